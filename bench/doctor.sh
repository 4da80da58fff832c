#!/bin/sh
# doctor.sh - time `cbuild doctor` on a ~500 MB image (make bench-doctor).
#
# The image is generated deterministically (python3's seeded PRNG, fixed
# mtimes): a busybox-less rootfs with /etc/passwd, a user "app" whose home
# holds a 20,000-file tree (the ownership walk), a Python user base and 480 MB
# of incompressible data files in /opt/data, made into one gzip layer with
# `cbuild debug mkimage` and put in a scratch store.  Timed, medians of 5:
#   blob      the layer was never unpacked (a pulled or loaded image): the
#             doctor reads it from its blob into memory, the store untouched
#   disk      the same with the blob's pages dropped from the page cache
#             (root only; skipped otherwise)
#   unpacked  the layer is in the store's layer cache (an image that was
#             built on, or fixed up): the union view over the directory
#   peer      `tar -xzf` of the same blob into an empty directory: the least
#             any checker that unpacks the image first must spend
# Env: CBUILD (default ./cbuild), BENCH_DIR (default a temp dir, removed).
set -eu
CBUILD=${CBUILD:-$(pwd)/cbuild}
dir=${BENCH_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/doctor-bench.XXXXXX")}
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$dir"' EXIT
export CBUILD_ROOT="$dir/store"
# a reused BENCH_DIR keeps the rootfs, never the store: "cold" must unpack
rm -rf "$CBUILD_ROOT"

now() { date +%s.%N; }
ms() { echo "$1 $2" | awk '{printf "%.0f", ($2 - $1) * 1000}'; }

if [ ! -d "$dir/rootfs" ]; then
	python3 - "$dir/rootfs" <<'PY'
import os, random, sys
root = sys.argv[1]
rnd = random.Random(20261122)
def write(path, data, mode=0o644, uid=0):
    p = os.path.join(root, path.lstrip("/"))
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, "wb") as f:
        f.write(data)
    os.chmod(p, mode)
    os.lchown(p, uid, uid)
write("/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n")
write("/etc/group", b"root:x:0:\napp:x:1000:\n")
write("/bin/sh", b"#!/bin/sh\n", 0o755)
write("/usr/bin/python3", b"#!/bin/sh\n", 0o755)
write("/home/app/start", b"#!/bin/sh\nexec python3 -m app\n", 0o755, 1000)
for i in range(200):
    for j in range(100):
        write("/home/app/src/pkg%03d/mod%03d.py" % (i, j), b"x = %d\n" % j, 0o644, 1000)
for i in range(50):
    write("/home/app/.local/lib/python3.11/site-packages/lib%02d/__init__.py" % i, b"", 0o644, 1000)
write("/home/app/.local/bin/tool", b"#!/usr/bin/python3\n", 0o755, 1000)
for i in range(480):
    write("/opt/data/blob%03d.bin" % i, rnd.randbytes(1 << 20))
for dp, dns, fns in os.walk(root):
    for n in dns + fns:
        os.utime(os.path.join(dp, n), (1700000000, 1700000000), follow_symlinks=False)
    if dp.startswith(os.path.join(root, "home/app")):
        os.lchown(dp, 1000, 1000)
PY
fi
"$CBUILD" debug mkimage --rootfs "$dir/rootfs" -o bench-doctor:latest --user app \
	--workdir /home/app --env PATH=/home/app/.local/bin:/usr/bin:/bin \
	--env PYTHONUSERBASE=/home/app/.local --cmd /home/app/start \
	--source-date-epoch 1700000000 >/dev/null
size=$(du -sm "$CBUILD_ROOT/oci/blobs" | cut -f1)
echo "image: $(du -sm "$dir/rootfs" | cut -f1) MB rootfs, $size MB blobs, $(find "$dir/rootfs" | wc -l) entries"

# median of 5 runs of "$@" in ms; the output of the last run in $dir/out
median() {
	: >"$dir/times"
	for i in 1 2 3 4 5; do
		[ -z "${DROP:-}" ] || { sync; echo 3 >/proc/sys/vm/drop_caches; }
		t0=$(now)
		"$@" >"$dir/out" || { cat "$dir/out"; exit 1; }
		t1=$(now)
		ms "$t0" "$t1" >>"$dir/times"
		echo >>"$dir/times"
	done
	sort -n "$dir/times" | sed -n 3p
}
check_quiet() {
	if [ -s "$dir/out" ]; then
		echo "unexpected findings:"
		cat "$dir/out"
		exit 1
	fi
}
blob=$CBUILD_ROOT/oci/blobs/sha256/$(ls -S "$CBUILD_ROOT/oci/blobs/sha256" | head -1)

t_blob=$(median "$CBUILD" doctor bench-doctor)
check_quiet
test -z "$(ls "$CBUILD_ROOT/layers" 2>/dev/null)" || { echo "the doctor unpacked a layer"; exit 1; }
echo "blob (layer read from its blob, store untouched): $t_blob ms"
if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
	t_disk=$(DROP=1 median "$CBUILD" doctor bench-doctor)
	echo "disk (the same, page cache dropped first): $t_disk ms"
fi
rm -rf "$dir/x"
t_peer=$(median sh -c "rm -rf '$dir/x' && mkdir '$dir/x' && tar -xzf '$blob' -C '$dir/x'")
rm -rf "$dir/x"
echo "peer (tar -xzf of the blob): $t_peer ms"
"$CBUILD" doctor --fixup=all -t bench-doctor-fixed bench-doctor >/dev/null 2>&1
t_unp=$(median "$CBUILD" doctor bench-doctor)
check_quiet
echo "unpacked (the layer in the store's layer cache): $t_unp ms"
echo "$t_blob $t_peer" | awk '{printf "ratio: doctor from the blob / tar -xzf = %.2f (goal: doctor under 2000 ms)\n", $1 / $2}'
