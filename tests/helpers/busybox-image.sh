#!/bin/sh
# busybox-image.sh OUTDIR [TAG] - make an offline busybox base image as an OCI
# layout from Debian's busybox-static.  Reproducible: the layer tar is sorted
# with fixed mtimes and owners, and the config has fixed timestamps, so two
# runs give the same manifest digest.
#
# Rootfs: /bin/busybox and a symlink per applet, /etc/passwd and /etc/group
# (root, nobody/nogroup), /tmp and /var/tmp (1777), /root, /home.
set -eu
out=$1
tag=${2:-latest}
epoch=${SOURCE_DATE_EPOCH:-0}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

r=$work/rootfs
sh "$(dirname "$0")/busybox-rootfs.sh" "$r"

tar --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$r" -cf "$work/layer.tar" .

created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
rm -rf "$out"
umoci init --layout "$out"
umoci new --image "$out:$tag"
umoci raw add-layer --image "$out:$tag" --history.created "$created" \
    --history.created_by "busybox-image.sh" "$work/layer.tar"
umoci config --image "$out:$tag" --created "$created" --no-history \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.cmd sh --architecture amd64 --os linux
umoci gc --layout "$out"
