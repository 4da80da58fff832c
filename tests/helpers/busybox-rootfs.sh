#!/bin/sh
# busybox-rootfs.sh DIR - the busybox base image's root filesystem, made in
# DIR from Debian's busybox-static: /bin/busybox and a symlink per applet,
# /etc/passwd and /etc/group (root, nobody/nogroup), /tmp and /var/tmp
# (1777), /root (0700), /home.  busybox-image.sh (umoci) and
# busybox-cbuild.sh (our own code) both package this tree.
set -eu
r=$1
bb=$(command -v busybox)
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
