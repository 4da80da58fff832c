#!/bin/sh
test_description='the local image store: load, images, inspect, tag, rmi, prune'
. "$(dirname "$0")/lib.sh"

command -v busybox >/dev/null 2>&1 && test_set_prereq BUSYBOX_BIN

test_expect_success BUSYBOX_BIN 'setup: a busybox layout made by us' '
	sh "$HELPERS/busybox-cbuild.sh" "$CBUILD" bb >digest
'

test_expect_success BUSYBOX_BIN 'load an OCI layout directory with --tag' '
	cbuild load -i bb --tag busybox >out &&
	test_grep "^Loaded image: docker.io/library/busybox:latest$" out &&
	test -f "$CBUILD_ROOT/oci/index.json" &&
	test -f "$CBUILD_ROOT/lock"
'

test_expect_success BUSYBOX_BIN 'a bare ref.name tag loads untagged with a note' '
	cbuild load -i bb >out 2>err &&
	test_grep "^Loaded image ID: $(cat digest)$" out &&
	test_grep "only a tag" err
'

test_expect_success BUSYBOX_BIN 'images lists names, IDs, sizes; -q and --format json' '
	cbuild images >out &&
	test_grep "^REPOSITORY " out &&
	test_grep "^docker.io/library/busybox  *latest  *[0-9a-f]\{12\} " out &&
	cbuild images -q >ids &&
	test "$(sort -u ids | wc -l)" = 1 &&
	cbuild images --format json >out.json &&
	jq -e ".[] | select(.Name == \"docker.io/library/busybox:latest\") | .Digest == \"$(cat digest)\"" out.json &&
	test_exit_code 2 cbuild images --format yaml 2>err &&
	test_grep "table or json" err
'

test_expect_success BUSYBOX_BIN 'inspect shows manifest and config; by name, ID prefix and digest' '
	cbuild inspect busybox >i1.json &&
	jq -e ".[0].Config.config.Cmd == [\"sh\"]" i1.json &&
	jq -e ".[0].Manifest.layers | length == 1" i1.json &&
	id=$(jq -r ".[0].Id" i1.json | cut -c8-19) &&
	cbuild inspect "$id" >i2.json &&
	jq -e ".[0].Name == null" i2.json &&
	cbuild inspect "$(cat digest)" >i3.json &&
	jq -e ".[0].Digest == \"$(cat digest)\"" i3.json &&
	test_exit_code 1 cbuild inspect nosuch 2>err &&
	test_grep "^error: image .nosuch. not found$" err &&
	test_exit_code 2 cbuild inspect 2>err &&
	test_grep "expected at least one image" err
'

test_expect_success BUSYBOX_BIN 'tag adds names, moves them, rejects bad ones' '
	cbuild tag busybox localhost/bb:v1 &&
	cbuild tag busybox:latest example.com:5000/team/bb:v2 &&
	cbuild images >out &&
	test_grep "^localhost/bb  *v1 " out &&
	test_grep "^example.com:5000/team/bb  *v2 " out &&
	test_exit_code 2 cbuild tag busybox "Bad Name" 2>err &&
	test_grep "invalid reference" err &&
	test_exit_code 1 cbuild tag nosuch x 2>err &&
	test_grep "not found" err &&
	test_exit_code 2 cbuild tag onlyone 2>err
'

test_expect_success BUSYBOX_BIN,SKOPEO 'the store itself is an OCI layout skopeo copies' '
	skopeo copy -q "oci:$CBUILD_ROOT/oci:localhost/bb:v1" oci:skout:v1 &&
	skopeo copy -q "oci:$CBUILD_ROOT/oci:docker.io/library/busybox:latest" oci:skout:latest &&
	skopeo inspect oci:skout:v1 >/dev/null
'

test_expect_success BUSYBOX_BIN 'parallel loads into one store keep every name' '
	for i in 1 2 3 4; do
		cbuild load -i bb -t localhost/par:$i >/dev/null &
	done &&
	wait &&
	for i in 1 2 3 4; do
		cbuild inspect localhost/par:$i >/dev/null || exit 1
	done &&
	test -z "$(ls -a "$CBUILD_ROOT/oci/blobs/sha256" | grep "^\.tmp-")" &&
	cbuild rmi localhost/par:1 localhost/par:2 localhost/par:3 localhost/par:4 >/dev/null
'

test_expect_success BUSYBOX_BIN 'rmi untags; by ID it needs -f when several names' '
	cbuild rmi localhost/bb:v1 >out &&
	test_grep "^Untagged: localhost/bb:v1$" out &&
	! cbuild images | grep -q "^localhost/bb " &&
	id=$(cbuild images -q | head -n 1) &&
	test_exit_code 2 cbuild rmi "$id" 2>err &&
	test_grep "use --force" err &&
	cbuild rmi -f "$id" >out &&
	test "$(grep -c Untagged out)" = 2 &&
	test "$(cbuild images -q | wc -l)" = 0 &&
	test_exit_code 1 cbuild rmi busybox 2>err
'

test_expect_success BUSYBOX_BIN 'prune removes unreferenced blobs and unpacked layers' '
	ls "$CBUILD_ROOT/oci/blobs/sha256" | wc -l >before &&
	test "$(cat before)" -ge 3 &&
	mkdir -p "$CBUILD_ROOT/layers/0000stale" &&
	cbuild prune --dry-run >out &&
	test_grep "^Would remove 3 blobs" out &&
	test -d "$CBUILD_ROOT/layers/0000stale" &&
	cbuild prune >out &&
	test_grep "^Removed 3 blobs .* and 1 unpacked layers$" out &&
	test "$(ls "$CBUILD_ROOT/oci/blobs/sha256" | wc -l)" = 0 &&
	! test -e "$CBUILD_ROOT/layers/0000stale"
'

test_expect_success BUSYBOX_BIN 'prune keeps what images use; --cache drops build cache' '
	cbuild load -i bb --tag keep:me >/dev/null &&
	cbuild prune >out &&
	test_grep "^Removed 0 blobs" out &&
	cbuild inspect keep:me >/dev/null &&
	cbuild prune --cache >out &&
	test_grep "build-cache records" out &&
	test_exit_code 2 cbuild prune --keep-storage 1GB 2>err &&
	test_grep "needs --cache" err &&
	test_exit_code 2 cbuild prune --cache --keep-storage lots 2>err &&
	test_grep "invalid --keep-storage" err
'

test_expect_success BUSYBOX_BIN 'a second cbuild waits for the exclusive prune lock' '
	cbuild images >/dev/null &&
	( flock -s 9; sleep 1 ) 9>"$CBUILD_ROOT/lock" &
	sleep 0.2 &&
	start=$(date +%s%N) &&
	cbuild prune >/dev/null 2>err &&
	end=$(date +%s%N) &&
	wait &&
	test $(( (end - start) / 1000000 )) -ge 500
'

test_done
