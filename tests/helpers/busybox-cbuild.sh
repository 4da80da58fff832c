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
bb=$(command -v busybox)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

r=$work/rootfs
mkdir -p "$r/bin" "$r/etc" "$r/tmp" "$r/var/tmp" "$r/root" "$r/home" "$r/usr/bin" "$r/sbin" \
    "$r/usr/sbin" "$r/dev" "$r/proc" "$r/sys"
cp "$bb" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"
"$bb" --list-full | while read -r app; do
    [ "$app" = bin/busybox ] && continue
    mkdir -p "$r/$(dirname "$app")"
    rel=$(echo "$(dirname "$app")" | sed 's|[^/][^/]*|..|g')
    ln -sf "$rel/bin/busybox" "$r/$app"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
    >"$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
chmod 1777 "$r/tmp" "$r/var/tmp"
chmod 0700 "$r/root"
chown -R 0:0 "$r" 2>/dev/null || true

"$cb" debug mkimage --rootfs "$r" -o "oci:$out:$tag" --source-date-epoch "$epoch" \
    --platform linux/amd64 --created-by busybox-cbuild.sh \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd sh
