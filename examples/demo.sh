#!/bin/sh
# demo.sh - what `make demo` shows: an offline busybox base image made from
# Debian's busybox-static, a two-stage build of examples/hello on it, the
# result in the local store and as an OCI layout, and the image run once.
set -eu
cd "$(dirname "$0")/.."
CBUILD=${CBUILD:-./cbuild}
OUT=${DEMO_OUT:-examples/out}
export CBUILD_ROOT=${CBUILD_ROOT:-$PWD/$OUT/store}

step() { printf '\n== %s\n' "$*"; }

rm -rf "$OUT/busybox" "$OUT/hello-oci"
mkdir -p "$OUT"

step "making the busybox base image (offline, from /bin/busybox)"
sh tests/helpers/busybox-image.sh "$OUT/busybox" latest
$CBUILD load -i "$OUT/busybox" -t busybox:latest
$CBUILD images

if [ "$(id -u)" != 0 ]; then
    echo "demo: RUN steps need root here (rootless mode is not there yet); run 'sudo make demo'" >&2
    exit 1
fi

step "building examples/hello (two stages)"
$CBUILD build --progress=plain -t hello:demo -o "type=oci,dest=$OUT/hello-oci" examples/hello

step "the image in the store"
$CBUILD images
$CBUILD inspect hello:demo | jq '.[0] | {Name, ManifestDigest, Id, layers: [.Manifest.layers[].digest], User: .Config.config.User, Cmd: .Config.config.Cmd, WorkingDir: .Config.config.WorkingDir, Env: .Config.config.Env}'

step "the OCI layout, checked by skopeo"
skopeo inspect "oci:$OUT/hello-oci:demo" | jq '{Digest, Layers}'

step "a no-op rebuild (every step cached)"
$CBUILD build --progress=plain -t hello:demo examples/hello 2>&1 | grep -c CACHED | sed 's/^/cached steps: /'

step "running the image's command once (cbuild debug run, as user app)"
$CBUILD debug run --image hello:demo --user app -w /home/app -- hello
