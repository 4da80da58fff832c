#!/bin/sh
# push.sh - time `cbuild push` of a ~1 GB image (4 x 256 MB incompressible
# layers) to a local plain docker-registry against `skopeo copy` of the same
# OCI layout, in the same run.  Each tool pushes to a fresh registry (its
# own storage), RUNS times, alternating; the table shows every run, the
# best time and the throughput ratio.
#
#   sh bench/push.sh [LAYERS] [MB_PER_LAYER] [RUNS]     (defaults 4 256 3)
#   CBUILD=path/to/cbuild (default ./cbuild, a release build)
set -eu

LAYERS=${1:-4}
MB=${2:-256}
RUNS=${3:-3}
SRC_DIR=$(cd "$(dirname "$0")/.." && pwd)
CBUILD=${CBUILD:-$SRC_DIR/cbuild}
HELPERS=$SRC_DIR/tests/helpers
TRASH=$(mktemp -d "${TMPDIR:-/tmp}/cbuild-bench-push.XXXXXX")
export TRASH HELPERS
REG_BASE=$TRASH/registry
export REG_BASE
. "$HELPERS/registry.sh"
trap 'registry_stop >/dev/null 2>&1; rm -rf "$TRASH"' EXIT INT TERM

now() { date +%s.%N; }

# An OCI layout with LAYERS uncompressed tar layers of MB MiB of random
# bytes each, plus the same image in a cbuild store (blobs hard-linked).
python3 - "$TRASH" "$LAYERS" "$MB" <<'PY'
import hashlib, io, json, os, sys, tarfile
trash, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
lay = os.path.join(trash, "layout")
blobs = os.path.join(lay, "blobs", "sha256")
os.makedirs(blobs)
def put(data_path=None, data=None):
    h = hashlib.sha256()
    if data is not None:
        h.update(data)
        d = h.hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return d, len(data)
    with open(data_path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    d = h.hexdigest()
    os.rename(data_path, os.path.join(blobs, d))
    return d, os.path.getsize(os.path.join(blobs, d))
layers, diffs = [], []
for i in range(n):
    tmp = os.path.join(trash, "layer.tar")
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo("data/blob%d.bin" % i)
        info.size = mb << 20
        info.mtime = 0
        with open("/dev/urandom", "rb") as r:
            t.addfile(info, r)
    d, size = put(tmp)
    layers.append({"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": "sha256:" + d, "size": size})
    diffs.append("sha256:" + d)
config = {"architecture": "amd64", "os": "linux", "config": {},
          "rootfs": {"type": "layers", "diff_ids": diffs}, "history": []}
cd, cs = put(data=json.dumps(config, sort_keys=True, separators=(",", ":")).encode())
manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "sha256:" + cd, "size": cs},
            "layers": layers}
md, ms = put(data=json.dumps(manifest, sort_keys=True, separators=(",", ":")).encode())
def index(name):
    return json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": "sha256:" + md, "size": ms,
        "annotations": {"org.opencontainers.image.ref.name": name}}]})
with open(os.path.join(lay, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(os.path.join(lay, "index.json"), "w") as f:
    f.write(index("latest"))
store = os.path.join(trash, "store", "oci")
os.makedirs(os.path.join(store, "blobs", "sha256"))
for b in os.listdir(blobs):
    os.link(os.path.join(blobs, b), os.path.join(store, "blobs", "sha256", b))
with open(os.path.join(store, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion":"1.0.0"}')
with open(os.path.join(store, "index.json"), "w") as f:
    f.write(index("docker.io/bench/img:latest"))
print("sha256:" + md)
PY
BYTES=$(du -cb "$TRASH"/layout/blobs/sha256/* | tail -n 1 | cut -f1)
echo "image: $LAYERS x $MB MiB layers, $BYTES bytes of blobs"

results=$TRASH/results
: >"$results"
run_one() { # TOOL RUN
    registry_start plain "$1-$2" >/dev/null 2>&1 || { echo "registry_start failed" >&2; exit 1; }
    if [ "$1" = skopeo ]; then
        t0=$(now)
        skopeo copy -q --dest-tls-verify=false "oci:$TRASH/layout:latest" "docker://$REG_HOST/bench/img:1"
        t1=$(now)
    else
        t0=$(now)
        CBUILD_ROOT=$TRASH/store "$CBUILD" push -q --tls-verify=false bench/img "$REG_HOST/bench/img:1" >/dev/null
        t1=$(now)
    fi
    uploads=$(grep -c -E '"PUT /v2/bench/img/blobs/uploads' "$REG_LOG" || true)
    registry_stop "$1-$2" >/dev/null 2>&1 || true
    rm -rf "$REG_BASE/$1-$2/storage"
    echo "$1 $2 $(echo "$t1 - $t0" | bc -l) $uploads" >>"$results"
}
i=1
while [ $i -le "$RUNS" ]; do
    run_one skopeo $i
    run_one cbuild $i
    i=$((i + 1))
done

awk -v bytes="$BYTES" '
{ t[$1] = t[$1] sprintf(" %.2f", $3); if (!($1 in best) || $3 < best[$1]) best[$1] = $3 }
END {
    printf "| tool | runs (s) | best (s) | best MB/s |\n|---|---|---|---|\n"
    for (k in best) printf "| %s |%s | %.2f | %.0f |\n", k, t[k], best[k], bytes / 1e6 / best[k]
    printf "\ncbuild / skopeo throughput (best runs): %.2f\n", best["skopeo"] / best["cbuild"]
}' "$results"
