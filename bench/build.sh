#!/bin/sh
# build.sh - cbuild build vs buildah bud on the same Dockerfile, base image
# and runtime, measured in the same run.  Prints a table and the ratios.
#
#   sh bench/build.sh [RUNS]
#
# Cases (each a fresh store for cold, then the same store):
#   cold   first build, nothing cached (base image already local)
#   noop   the same build again: every step cached
#   edit   one context file changed: the steps after its COPY rerun
# plus noop-10k: a no-op rebuild of `COPY . /app` over a 10,000-file context.
# buildah is installed from Debian on demand; it runs with --isolation chroot
# and the overlay driver (its fastest mode here, see ../shared/peers).
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-3}
CBUILD=${CBUILD:-$PWD/cbuild}
W=/tmp/cbuild-bench-build-$$ # lowercase: buildah names the oci: base after its path
rm -rf "$W" && mkdir -p "$W"
trap 'for m in $(grep " $W" /proc/mounts | cut -d" " -f2 | sort -r); do umount "$m" 2>/dev/null; done; rm -rf "$W"' EXIT

[ "$(id -u)" = 0 ] || { echo "bench/build.sh: needs root (RUN steps, buildah)" >&2; exit 1; }
command -v buildah >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah >/dev/null </dev/null

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc; }

sh tests/helpers/busybox-image.sh "$W/busybox" latest >/dev/null

mkdir -p "$W/ctx"
cat >"$W/ctx/Dockerfile" <<'DF'
ARG BASE=busybox:latest
FROM ${BASE} AS build
RUN mkdir -p /out && echo built > /out/data && echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd
RUN echo "$(id -u)" > /out/who && ln -s data /out/link

FROM ${BASE}
RUN echo 'app:x:1000:1000::/home/app:/bin/sh' >> /etc/passwd && mkdir -p /home/app && chown 1000:1000 /home/app
COPY --from=build --chown=1000:1000 /out /home/app/out
COPY hello.txt /home/app/
ENV APP_HOME=/home/app GREETING="hello world"
WORKDIR /home/app
USER app
CMD ["sh", "-c", "cat out/data hello.txt"]
DF
echo hello >"$W/ctx/hello.txt"

cb() { "$CBUILD" --root "$W/cb" build --progress=quiet -t bench:latest "$@" >/dev/null; }
ba() {
    buildah --root "$W/ba/root" --runroot "$W/ba/run" --storage-driver overlay build --layers \
        --isolation chroot -q -t bench:latest --build-arg "BASE=oci:$W/busybox:latest" "$@" >/dev/null 2>"$W/ba.log" || { cat "$W/ba.log" >&2; return 1; }
}

# time_case TOOL CASE: median of RUNS wall times, seconds
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

run_tool() { # tool
    tool=$1
    : >"$W/$tool.cold" ; : >"$W/$tool.noop" ; : >"$W/$tool.edit"
    for i in $(seq "$RUNS"); do
        if [ "$tool" = cbuild ]; then rm -rf "$W/cb"; else rm -rf "$W/ba"; fi
        for m in $(grep " $W/ba" /proc/mounts | cut -d" " -f2 | sort -r); do umount "$m" 2>/dev/null || true; done
        if [ "$tool" = cbuild ]; then
            "$CBUILD" --root "$W/cb" load -i "$W/busybox" -t busybox:latest >/dev/null
        fi
        echo hello >"$W/ctx/hello.txt"
        t0=$(now); $tool_cmd "$W/ctx"; t1=$(now); elapsed "$t0" "$t1" >>"$W/$tool.cold"
        t0=$(now); $tool_cmd "$W/ctx"; t1=$(now); elapsed "$t0" "$t1" >>"$W/$tool.noop"
        echo "edit $i" >"$W/ctx/hello.txt"
        t0=$(now); $tool_cmd "$W/ctx"; t1=$(now); elapsed "$t0" "$t1" >>"$W/$tool.edit"
    done
}

tool_cmd=cb; run_tool cbuild
tool_cmd=ba; run_tool buildah

# a no-op rebuild with a 10k-file context
mkdir -p "$W/big"
printf 'FROM busybox:latest\nCOPY . /app\n' >"$W/big/Dockerfile"
for d in $(seq 100); do
    mkdir -p "$W/big/d$d"
    for f in $(seq 100); do echo "$d $f" >"$W/big/d$d/f$f"; done
done
rm -rf "$W/cb"
"$CBUILD" --root "$W/cb" load -i "$W/busybox" -t busybox:latest >/dev/null
"$CBUILD" --root "$W/cb" build --progress=quiet "$W/big" >/dev/null
: >"$W/big.noop"
for i in $(seq 5); do
    t0=$(now); "$CBUILD" --root "$W/cb" build --progress=quiet "$W/big" >/dev/null; t1=$(now)
    elapsed "$t0" "$t1" >>"$W/big.noop"
done

printf '| case | cbuild (s) | buildah (s) | buildah / cbuild | goal |\n|---|---|---|---|---|\n'
for c in cold noop edit; do
    a=$(median <"$W/cbuild.$c") b=$(median <"$W/buildah.$c")
    goal=$(case $c in cold) echo ">= 3";; noop) echo ">= 20";; edit) echo ">= 5";; esac)
    printf '| %s | %.3f | %.3f | %.1f | %s |\n' "$c" "$a" "$b" "$(echo "$b / $a" | bc -l)" "$goal"
done
printf '| noop, 10k-file context | %.3f | | | < 0.100 s |\n' "$(median <"$W/big.noop")"
echo "(median of $RUNS runs; $(nproc) cores; $(date -u +%Y-%m-%d))"
