#!/bin/sh
# layer.sh - layer commit throughput: cbuild's layer writer against the usual
# pipelines, on the same generated tree, in the same run.
#
#   sh bench/layer.sh            (or: make bench-layer)
#
# Environment: BENCH_SIZE_MB (default 1024), RUNS (best of N, default 2),
# BENCH_DIR (default /tmp/cbuild-layer-bench; removed at the end unless
# KEEP=1).  Needs python3, GNU time, tar, gzip, pigz, zstd, umoci.
#
# Every pipeline reads the same tree from a warm page cache and writes its
# compressed stream to a counter (wc -c) or /dev/null, except umoci, which
# stores its blob in an OCI layout as it always does.  umoci gets an
# uncompressed tar made beforehand (`umoci raw add-layer` takes a tar, not a
# directory), so its time excludes tar creation: it is favoured.
set -eu

# The machine may be shared: run in a session of our own and, when allowed
# (root), give that session's autogroup a higher weight so the figures are
# not mostly other people's load.  Every pipeline below runs under the same
# weight.
if [ -z "${LAYER_BENCH_SESSION:-}" ] && command -v setsid >/dev/null; then
	LAYER_BENCH_SESSION=1 exec setsid -w sh "$0" "$@"
fi
echo -15 2>/dev/null >/proc/self/autogroup || true

SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
BENCH=${LAYER_BENCH:-$SRCDIR/build/rel/bench/layer-bench}
SIZE_MB=${BENCH_SIZE_MB:-1024}
RUNS=${RUNS:-2}
DIR=${BENCH_DIR:-/tmp/cbuild-layer-bench}
TREE=$DIR/tree
NPROC=$(nproc)

for tool in python3 tar gzip pigz zstd umoci /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "layer.sh: $tool is missing" >&2; exit 1; }
done
[ -x "$BENCH" ] || { echo "layer.sh: build $BENCH first (make bench-layer)" >&2; exit 1; }

cleanup() { [ "${KEEP:-0}" = 1 ] || rm -rf "$DIR"; }
trap cleanup EXIT INT TERM
rm -rf "$DIR"
mkdir -p "$DIR"

# ------------------------------------------------------------------ the tree
# Deterministic (fixed seed): 85% of files small (100 B - 32 KiB), 13%
# medium (32 KiB - 1 MiB), 2% large (1 - 16 MiB), ~4000 files per GiB; by
# kind: 50% source-like text, 30% structured binary, 12% incompressible
# (already compressed media), 8% sparse data.
python3 - "$TREE" "$SIZE_MB" <<'EOF'
import os, random, sys
root, total = sys.argv[1], int(sys.argv[2]) << 20
rng = random.Random(20261122)
abc = 'abcdefghijklmnopqrstuvwxyz_'
words = [''.join(rng.choice(abc) for _ in range(rng.randint(2, 12))) for _ in range(6000)]
def text_pool(n):
    out, size = [], 0
    while size < n:
        ln = ' ' * (4 * rng.randint(0, 4)) + ' '.join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        ln += rng.choice([';', ' {', '}', '', ')', ',', ' = 0;']) + '\n'
        out.append(ln)
        size += len(ln)
    return ''.join(out).encode()
def bin_pool(n):
    out = bytearray()
    ops = [bytes([rng.randrange(256) for _ in range(rng.randint(2, 7))]) for _ in range(300)]
    while len(out) < n:
        r = rng.random()
        if r < 0.25:
            out += rng.randbytes(rng.randint(4, 48))
        elif r < 0.85:
            out += b''.join(rng.choice(ops) for _ in range(rng.randint(4, 40)))
        else:
            out += bytes(rng.randint(8, 256))
    return bytes(out)
pools = {'text': text_pool(8 << 20), 'bin': bin_pool(8 << 20)}
for k in list(pools):
    pools[k] = pools[k] * 2
dirs = ['']
for i in range(400):
    parent = rng.choice(dirs) if len(dirs) > 1 else ''
    if parent.count('/') > 4:
        parent = ''
    d = (parent + '/' if parent else '') + rng.choice(words) + str(i)
    dirs.append(d)
    os.makedirs(os.path.join(root, d), exist_ok=True)
written, n = 0, 0
while written < total:
    r = rng.random()
    size = rng.randint(100, 32 << 10) if r < 0.85 else rng.randint(32 << 10, 1 << 20) if r < 0.98 else rng.randint(1 << 20, 16 << 20)
    size = min(size, total - written)
    r = rng.random()
    if r < 0.50:
        kind, ext = 'text', '.c'
    elif r < 0.80:
        kind, ext = 'bin', '.so'
    elif r < 0.92:
        kind, ext = 'rand', '.jpg'
    else:
        kind, ext = 'sparse', '.db'
    if kind in pools:
        off = rng.randrange(len(pools[kind]) // 2)
        data = b''
        while len(data) < size:
            data += pools[kind][off:off + size - len(data)]
            off = 0
    elif kind == 'rand':
        data = rng.randbytes(size)
    else:
        data = bytearray(size)
        for _ in range(size // 4096 + 1):
            p = rng.randrange(size)
            data[p:p + 64] = rng.randbytes(min(64, size - p))
        data = bytes(data)
    path = os.path.join(root, rng.choice(dirs), '%s%d%s' % (rng.choice(words), n, ext))
    with open(path, 'wb') as f:
        f.write(data)
    os.utime(path, (1700000000, 1700000000))
    written += size
    n += 1
print('tree: %d files, %d dirs, %d MiB' % (n, len(dirs), written >> 20))
EOF
TREE_BYTES=$(du -sb "$TREE" | cut -f1)
tar -C "$TREE" -cf - . | wc -c >"$DIR/tar-bytes"
TAR_BYTES=$(cat "$DIR/tar-bytes")

# ------------------------------------------------------------------ runs
RESULTS=$DIR/results
: >"$RESULTS"

# run NAME OUTSIZE_CMD COMMAND: best wall of $RUNS, max RSS, output size.
run() {
	name=$1
	cmd=$2
	best=
	rss=0
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		i=$((i + 1))
		/usr/bin/time -f '%e %M' -o "$DIR/time" sh -c "$cmd" >"$DIR/out" 2>"$DIR/err" || {
			echo "layer.sh: '$name' failed:" >&2
			cat "$DIR/err" >&2
			exit 1
		}
		set -- $(cat "$DIR/time")
		if [ -z "$best" ] || awk "BEGIN { exit !($1 < $best) }"; then best=$1; fi
		if [ "$2" -gt "$rss" ]; then rss=$2; fi
	done
	# the size: the first word of the output (wc -c, or layer-bench's line)
	size=$(awk '{ print ($2 ~ /^[0-9]+$/) ? $2 : $1; exit }' "$DIR/out")
	echo "$name $best $rss $size" >>"$RESULTS"
	printf '  %-34s %8.2f s\n' "$name" "$best" >&2
}

echo "warming the page cache" >&2
tar -C "$TREE" -cf - . >/dev/null

run 'tar | gzip -6' "tar -C '$TREE' -cf - . | gzip -6 | wc -c"
run "tar | pigz -p$NPROC -6" "tar -C '$TREE' -cf - . | pigz -p$NPROC -6 | wc -c"
tar -C "$TREE" -cf "$DIR/layer.tar" .
run 'umoci raw add-layer (tar given)' \
	"rm -rf '$DIR/img' && umoci init --layout '$DIR/img' && umoci new --image '$DIR/img:t' && \
	 umoci raw add-layer --image '$DIR/img:t' '$DIR/layer.tar' && \
	 ls -l \$(find '$DIR/img/blobs' -type f) | sort -k5 -n | tail -1 | awk '{print \$5}'"
rm -rf "$DIR/layer.tar" "$DIR/img"
run 'tar | zstd -3 -T0' "tar -C '$TREE' -cf - . | zstd -3 -T0 -q -c | wc -c"
run 'cbuild gzip' "'$BENCH' write '$TREE' /dev/null gzip"
run 'cbuild zstd' "'$BENCH' write '$TREE' /dev/null zstd"
run 'cbuild none' "'$BENCH' write '$TREE' /dev/null none"
RUNS=1 run 'cbuild gzip, zlib fallback (1 thread)' "'$BENCH' write '$TREE' /dev/null gzip 1 zlib"

# ------------------------------------------------------------------ report
echo
echo "tree: $((TREE_BYTES / 1048576)) MiB of files, tar stream $((TAR_BYTES / 1048576)) MiB;" \
	"$NPROC CPUs; best of $RUNS; throughput = file bytes / wall"
awk -v tb="$TREE_BYTES" '
	$0 ~ /^tar \| gzip -6 / { gz6 = $(NF) }
	{ n[NR] = $0 }
	END {
		printf "| pipeline | wall s | MB/s | size MiB | size vs gzip -6 | peak RSS MiB |\n"
		printf "|---|---:|---:|---:|---:|---:|\n"
		for (i = 1; i <= NR; i++) {
			k = split(n[i], f, " ")
			size = f[k]; rss = f[k - 1]; wall = f[k - 2]
			name = f[1]; for (j = 2; j <= k - 3; j++) name = name " " f[j]
			gsub(/\|/, "\\|", name)
			printf "| %s | %.2f | %.0f | %.0f | %+.1f%% | %.1f |\n", name, wall,
				tb / wall / 1e6, size / 1048576, (size / gz6 - 1) * 100, rss / 1024
		}
	}' "$RESULTS"

# ------------------------------------------------------------------ goals
awk -v tb="$TREE_BYTES" '
	{ k = NF; wall[NR] = $(k - 2); rss[NR] = $(k - 1); size[NR] = $k
	  name = $1; for (j = 2; j <= k - 3; j++) name = name " " $j; nm[NR] = name }
	END {
		for (i = 1; i <= NR; i++) {
			if (nm[i] ~ /^tar \| gzip -6/) gz6 = i
			if (nm[i] ~ /^tar \| pigz/) pigz = i
			if (nm[i] ~ /^umoci/) umoci = i
			if (nm[i] ~ /^tar \| zstd/) zst = i
			if (nm[i] == "cbuild gzip") cg = i
			if (nm[i] == "cbuild zstd") cz = i
		}
		peer = (wall[pigz] < wall[umoci]) ? pigz : umoci
		r = wall[peer] / wall[cg]
		printf "\ngoal gzip >= 1.5x fastest gzip peer (%s): %.2fx %s\n", nm[peer], r, (r >= 1.5) ? "PASS" : "FAIL"
		d = (size[cg] / size[gz6] - 1) * 100
		printf "goal gzip size within 10%% of gzip -6: %+.1f%% %s\n", d, (d <= 10) ? "PASS" : "FAIL"
		r = wall[zst] / wall[cz]
		printf "goal zstd >= 0.8x tar | zstd -T0: %.2fx %s\n", r, (r >= 0.8) ? "PASS" : "FAIL"
		m = (rss[cg] > rss[cz]) ? rss[cg] : rss[cz]
		printf "goal peak RSS < 64 MiB: %.1f MiB %s\n", m / 1024, (m < 65536) ? "PASS" : "FAIL"
	}' "$RESULTS"
