#!/bin/sh
# deps.sh - install cbuild's build and test dependencies from Debian's
# packages.  Idempotent: when everything is installed it only runs dpkg-query.
set -eu

PKGS="build-essential pkg-config libarchive-dev libssl-dev libzstd-dev zlib1g-dev
libjansson-dev libcurl4-openssl-dev libdeflate-dev libisal-dev libyaml-dev
crun runc docker-registry skopeo umoci busybox-static apache2-utils jq
python3 openssl ca-certificates curl attr iproute2 tmux valgrind
clang clang-format libclang-rt-14-dev pigz zstd gzip tar hyperfine mmdebstrap git"

missing=""
for p in $PKGS; do
    st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$st" in
    *" installed") ;;
    *) missing="$missing $p" ;;
    esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing"
if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo -n"
    else
        echo "deps: not root and no sudo: install these packages:$missing" >&2
        exit 1
    fi
else
    SUDO=""
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq </dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold $missing </dev/null
