#!/bin/sh
test_description='the busybox base image made with our own code (debug mkimage)'
. "$(dirname "$0")/lib.sh"

command -v busybox >/dev/null 2>&1 && test_set_prereq BUSYBOX_BIN

mkbb() { sh "$HELPERS/busybox-cbuild.sh" "$CBUILD" "$@"; }

test_expect_success BUSYBOX_BIN,SKOPEO,UMOCI 'busybox base from busybox-static passes skopeo and umoci' '
	mkbb bb latest >digest &&
	test_grep "^sha256:[0-9a-f]\{64\}$" digest &&
	skopeo inspect oci:bb:latest >inspect.json &&
	test_grep "\"Architecture\": \"amd64\"" inspect.json &&
	test_grep "\"Os\": \"linux\"" inspect.json &&
	umoci unpack --image bb:latest bundle >/dev/null &&
	test -x bundle/rootfs/bin/busybox &&
	test -L bundle/rootfs/bin/sh &&
	test_grep "^root:x:0:0:" bundle/rootfs/etc/passwd &&
	test "$(stat -c %a bundle/rootfs/tmp)" = 1777 &&
	test_grep "\"sh\"" bundle/config.json
'

test_expect_success BUSYBOX_BIN,SKOPEO 'our layout passes skopeo copy oci: to oci:' '
	mkbb bb latest >/dev/null &&
	skopeo copy -q oci:bb:latest oci:copy:latest &&
	skopeo inspect oci:copy:latest >out &&
	test_grep "\"Digest\": \"$(skopeo inspect --format "{{.Digest}}" oci:bb:latest)\"" out
'

test_expect_success BUSYBOX_BIN 'the same tree gives the same manifest digest twice' '
	mkbb one latest >d1 &&
	mkbb two latest >d2 &&
	test_cmp d1 d2 &&
	test_cmp one/index.json two/index.json
'

test_expect_success BUSYBOX_BIN 'zstd and uncompressed layers, several tags in one layout' '
	mkdir -p root/etc && echo hi >root/etc/hello &&
	cbuild debug mkimage --rootfs root -o oci:multi:gz >/dev/null &&
	cbuild debug mkimage --rootfs root -o oci:multi:zst --compression zstd >/dev/null &&
	cbuild debug mkimage --rootfs root -o oci:multi:raw --compression none >/dev/null &&
	test "$(grep -o "org.opencontainers.image.ref.name" multi/index.json | wc -l)" = 3 &&
	grep -l "tar+zstd" multi/blobs/sha256/* >/dev/null
'

test_expect_success SKOPEO 'each image of a multi-tag layout passes skopeo copy' '
	for t in gz zst raw; do
		skopeo copy -q oci:multi:$t oci:copied:$t || exit 1
	done
'

test_expect_success 'mkimage into the store, and bad arguments' '
	mkdir -p r2 && echo x >r2/x &&
	cbuild debug mkimage --rootfs r2 -o localhost/mk:1 --cmd /x >/dev/null &&
	cbuild images >out &&
	test_grep "^localhost/mk  *1 " out &&
	test_exit_code 2 cbuild debug mkimage --rootfs r2 2>err &&
	test_grep "required" err &&
	test_exit_code 2 cbuild debug mkimage --rootfs r2 -o oci:x --compression lz4 2>err &&
	test_grep "lz4" err &&
	test_must_fail cbuild debug mkimage --rootfs missing -o oci:x 2>err &&
	test_grep "missing" err
'

test_done
