#!/bin/sh
# busybox-cbuild.sh CBUILD OUTDIR [TAG] - the busybox base image made with
# our own code (`cbuild debug mkimage`) instead of umoci: same rootfs as
# busybox-image.sh (Debian's busybox-static, an applet symlink each, passwd,
# group, tmp dirs), owner 0:0, mtimes clamped to SOURCE_DATE_EPOCH (default
# 0), so two runs give the same manifest digest.  Prints the digest.
set -eu
cb=$1
out=$2
tag=${3:-latest}
epoch=${SOURCE_DATE_EPOCH:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

r=$work/rootfs
sh "$(dirname "$0")/busybox-rootfs.sh" "$r"

"$cb" debug mkimage --rootfs "$r" -o "oci:$out:$tag" --source-date-epoch "$epoch" \
    --platform linux/amd64 --created-by busybox-cbuild.sh \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd sh
