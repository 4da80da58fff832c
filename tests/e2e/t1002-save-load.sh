#!/bin/sh
test_description='save and load: OCI archive, docker archive, OCI layout, rootfs'
. "$(dirname "$0")/lib.sh"

command -v busybox >/dev/null 2>&1 && test_set_prereq BUSYBOX_BIN

test_expect_success BUSYBOX_BIN 'setup: busybox in the store' '
	sh "$HELPERS/busybox-cbuild.sh" "$CBUILD" bb >digest &&
	cbuild load -i bb -t busybox >/dev/null &&
	cbuild tag busybox localhost/other:2
'

test_expect_success BUSYBOX_BIN,SKOPEO 'save --format oci is an OCI archive skopeo reads' '
	cbuild save -o bb.tar busybox &&
	tar tf bb.tar >list &&
	test_grep "^oci-layout$" list &&
	test_grep "^index.json$" list &&
	skopeo inspect oci-archive:bb.tar:latest >out &&
	test_grep "\"Digest\": \"$(cat digest)\"" out &&
	skopeo copy -q oci-archive:bb.tar:latest oci:fromarchive:latest
'

test_expect_success BUSYBOX_BIN 'save is deterministic, also to stdout' '
	cbuild save -o again.tar busybox &&
	cmp bb.tar again.tar &&
	cbuild save -o - busybox >stdout.tar &&
	cmp bb.tar stdout.tar
'

test_expect_success BUSYBOX_BIN,SKOPEO 'save --format docker is a docker archive skopeo reads' '
	cbuild save --format docker -o bbd.tar busybox localhost/other:2 &&
	tar tf bbd.tar >list &&
	test_grep "^manifest.json$" list &&
	test_grep "^repositories$" list &&
	test_grep "^[0-9a-f]\{64\}\.json$" list &&
	test_grep "^[0-9a-f]\{64\}\.tar$" list &&
	tar xOf bbd.tar manifest.json >m.json &&
	jq -e ".[0].RepoTags == [\"busybox:latest\"]" m.json &&
	jq -e ".[1].RepoTags == [\"localhost/other:2\"]" m.json &&
	skopeo inspect docker-archive:bbd.tar:busybox:latest >out &&
	test_grep "\"Architecture\": \"amd64\"" out &&
	skopeo copy -q docker-archive:bbd.tar:busybox:latest oci:fromdocker:latest
'

test_expect_success BUSYBOX_BIN,SKOPEO 'save --format oci-dir is a layout skopeo copies' '
	cbuild save --format oci-dir -o dir busybox &&
	skopeo copy -q oci:dir:latest oci:dircopy:latest &&
	cbuild save --format oci-dir -o dir localhost/other:2 &&
	skopeo inspect oci:dir:2 >/dev/null
'

test_expect_success BUSYBOX_BIN,UMOCI 'save --format rootfs matches umoci unpack' '
	cbuild save --format rootfs -o rootfs busybox &&
	umoci unpack --image bb:latest bundle >/dev/null &&
	diff -r --no-dereference rootfs bundle/rootfs &&
	test_exit_code 2 cbuild save --format rootfs -o rootfs busybox 2>err &&
	test_grep "already exists" err
'

test_expect_success BUSYBOX_BIN 'load round trips: OCI archive, docker archive' '
	CBUILD_ROOT=$TRASH/store2 cbuild load -i bb.tar >out &&
	test_grep "^Loaded image: docker.io/library/busybox:latest$" out &&
	CBUILD_ROOT=$TRASH/store2 cbuild inspect busybox >i.json &&
	jq -e ".[0].Digest == \"$(cat digest)\"" i.json &&
	CBUILD_ROOT=$TRASH/store3 cbuild load -i bbd.tar >out &&
	test_grep "^Loaded image: docker.io/library/busybox:latest$" out &&
	test_grep "^Loaded image: localhost/other:2$" out &&
	CBUILD_ROOT=$TRASH/store3 cbuild inspect localhost/other:2 >d.json &&
	jq -r ".[0].Id" d.json >id3 &&
	cbuild inspect busybox | jq -r ".[0].Id" >id1 &&
	test_cmp id1 id3
'

test_expect_success BUSYBOX_BIN,SKOPEO 'load accepts archives skopeo wrote' '
	skopeo copy -q oci:bb:latest docker-archive:sk.tar:skopeo/bb:sk &&
	CBUILD_ROOT=$TRASH/store4 cbuild load -i sk.tar >out &&
	test_grep "^Loaded image: docker.io/skopeo/bb:sk$" out &&
	skopeo copy -q oci:bb:latest oci-archive:ska.tar:mytag &&
	CBUILD_ROOT=$TRASH/store4 cbuild load -i ska.tar -t localhost/ska >out &&
	test_grep "^Loaded image: localhost/ska:latest$" out &&
	CBUILD_ROOT=$TRASH/store4 cbuild save --format rootfs -o r4 localhost/ska &&
	test -x r4/bin/busybox
'

test_expect_success BUSYBOX_BIN 'load picks one image with skopeo-style transports' '
	CBUILD_ROOT=$TRASH/store5 cbuild load -i docker-archive:bbd.tar:localhost/other:2 >out &&
	test_grep "^Loaded image: localhost/other:2$" out &&
	test "$(grep -c Loaded out)" = 1 &&
	CBUILD_ROOT=$TRASH/store5 cbuild load -i oci:bb:latest -t from/layout >out &&
	test_grep "^Loaded image: docker.io/from/layout:latest$" out &&
	CBUILD_ROOT=$TRASH/store5 cbuild load -i oci-archive:bb.tar:latest -t fromarchive >out &&
	test_grep "^Loaded image: docker.io/library/fromarchive:latest$" out &&
	test_exit_code 1 cbuild load -i oci:bb:nope 2>err &&
	test_grep "no image named .nope." err
'

test_expect_success 'save and load reject bad arguments' '
	test_exit_code 2 cbuild save busybox 2>err &&
	test_grep "\-o FILE is required" err &&
	test_exit_code 2 cbuild save -o x.tar 2>err &&
	test_grep "expected at least one image" err &&
	test_exit_code 2 cbuild save -o x.tar --format zip busybox 2>err &&
	test_grep "unknown format .zip." err &&
	test_exit_code 1 cbuild save -o x.tar nosuch 2>err &&
	test_grep "image .nosuch. not found" err &&
	! test -e x.tar &&
	test_exit_code 2 cbuild load 2>err &&
	test_grep "\-i PATH is required" err &&
	test_exit_code 1 cbuild load -i missing.tar 2>err &&
	test_grep "missing.tar" err &&
	echo "not a tar" >junk.tar &&
	test_exit_code 2 cbuild load -i junk.tar 2>err &&
	test_grep "^error: load .junk.tar.: not a tar archive" err
'

test_expect_success 'load rejects a hostile archive and writes nothing outside' '
	mkdir -p evil/sub && echo pwned >evil/sub/f &&
	tar -C evil -cf evil.tar --transform "s|sub/f|../../escaped|" sub/f &&
	test_must_fail cbuild load -i evil.tar 2>err &&
	test_grep "unsafe path" err &&
	! test -e ../escaped && ! test -e escaped &&
	test -z "$(ls "$CBUILD_ROOT/tmp")"
'

test_done
