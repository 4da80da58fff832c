#!/bin/sh
# bench/step.sh [N] - per-step overhead of a RUN step: snapshot + mount +
# runtime start + teardown for `RUN true` on the busybox base, averaged over
# N runs (default 20), for cbuild with crun and runc, the bare runtimes on a
# prepared bundle, and `buildah run` of the same command.  Needs root.
# buildah is installed with apt-get on first use (bench only).
#
#   CBUILD=path/to/cbuild (default ./cbuild)
set -eu
N=${1:-20}
SRC=$(cd "$(dirname "$0")/.." && pwd)
CBUILD=${CBUILD:-$SRC/cbuild}
work=/tmp/cbuild-bench-step-$$ # lowercase: buildah names the image after the path
mkdir "$work"
export CBUILD_ROOT=$work/store
cleanup() {
    if command -v buildah >/dev/null 2>&1 && [ -d "$work/b" ]; then
        buildah --root "$work/b/root" --runroot "$work/b/run" rm -a >/dev/null 2>&1 || true
        umount -R "$work/b/root/overlay" 2>/dev/null || true
    fi
    rm -rf "$work" 2>/dev/null || true
}
trap cleanup EXIT
[ "$(id -u)" = 0 ] || { echo "bench/step.sh: needs root" >&2; exit 77; }

cd "$work"
sh "$SRC/tests/helpers/busybox-image.sh" "$work/bb" latest >/dev/null
umoci unpack --image "$work/bb:latest" "$work/bundle" >/dev/null
ROOTFS=$work/bundle/rootfs

now_ms() { date +%s%N | cut -c1-13; }
# avg_ms CMD...: mean wall time of N runs in ms (one warm-up run first)
avg_ms() {
    "$@" >/dev/null 2>"$work/err" || {
        echo "failed: $*: $(tail -n 1 "$work/err")" >&2
        echo "-"
        return
    }
    t0=$(now_ms)
    i=0
    while [ $i -lt "$N" ]; do "$@" >/dev/null 2>&1; i=$((i + 1)); done
    t1=$(now_ms)
    echo $(((t1 - t0) / N))
}

cbuild_step() { "$CBUILD" debug run --runtime "$1" --rootfs "$ROOTFS" -- true; }

# The bare runtime on a prepared bundle (config from `RT spec`, rootfs as is).
bare_bundle() {
    rt=$1 d=$work/bare-$rt
    mkdir -p "$d"
    cp -a "$work/bundle/config.json" "$d/config.json"
    python3 - "$d/config.json" "$ROOTFS" <<'PY'
import json, sys
p = sys.argv[1]
c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["true"]
c["root"] = {"path": sys.argv[2], "readonly": True}
json.dump(c, open(p, "w"))
PY
}
bare_crun() {
    (cd "$work/bare-crun" && unshare -m sh -c "umount /sys/fs/cgroup/unified 2>/dev/null; crun ${1:-} run b$(date +%s%N)")
}
bare_runc() { (cd "$work/bare-runc" && runc run "b$(date +%s%N)"); }

buildah_setup() {
    command -v buildah >/dev/null 2>&1 || apt-get install -y buildah >/dev/null 2>&1 || return 1
    B="buildah --root $work/b/root --runroot $work/b/run --storage-driver overlay"
    $B from --name bench "oci:$work/bb:latest" >/dev/null 2>&1
}
buildah_run() { $B run --isolation "$1" ${2:+--runtime "$2"} bench true; }

printf '| what | ms per step (mean of %s) |\n| --- | --- |\n' "$N"
for rt in crun runc; do
    command -v $rt >/dev/null 2>&1 || continue
    printf '| cbuild debug run, %s, overlay | %s |\n' $rt "$(avg_ms cbuild_step $rt)"
done
# N steps in one cbuild process, as in a build (no process start per step):
# snapshot dirs + helper + runtime + teardown, the mean printed by --repeat
repeat_ms() {
    "$CBUILD" debug run --runtime "$1" --repeat "$N" --rootfs "$ROOTFS" -- true 2>&1 >/dev/null |
        sed -n 's/.*: \([0-9.]*\) ms per step/\1/p'
}
for rt in crun runc; do
    command -v $rt >/dev/null 2>&1 || continue
    printf '| cbuild, %s steps in one process (--repeat), %s | %s |\n' "$N" $rt "$(repeat_ms $rt)"
done
printf '| cbuild debug run, crun, native snapshot | %s |\n' \
    "$(avg_ms "$CBUILD" debug run --runtime crun --snapshotter native --rootfs "$ROOTFS" -- true)"
for rt in crun runc; do
    command -v $rt >/dev/null 2>&1 || continue
    bare_bundle $rt
    printf '| bare %s run (prepared bundle) | %s |\n' $rt "$(avg_ms bare_$rt)"
    [ $rt = crun ] && printf '| bare crun --cgroup-manager=disabled run | %s |\n' \
        "$(avg_ms bare_crun --cgroup-manager=disabled)"
done
if buildah_setup; then
    printf '| buildah run --isolation chroot | %s |\n' "$(avg_ms buildah_run chroot)"
    printf '| buildah run --isolation oci --runtime runc | %s |\n' "$(avg_ms buildah_run oci runc)"
else
    echo "| buildah | not installed |"
fi
