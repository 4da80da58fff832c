#!/bin/sh
test_description='cbuild build: multi-stage builds on the busybox base, cache hits, --target, parallel stages'
. "$(dirname "$0")/lib.sh"

FIX=$TEST_DIR/fixtures

# busybox:latest in the store, from the offline OCI layout
load_busybox() {
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null
}

# unpack an OCI layout's "latest" image into DIR/rootfs (and DIR/config.json)
unpack() {
	rm -rf "$2" && umoci unpack --image "$1:latest" "$2" >/dev/null
}

# the image config of an OCI layout's "latest" image, as JSON
config_of() {
	skopeo inspect --config oci:"$1":latest
}

test_expect_success ROOT,RUNTIME,BUSYBOX 'busybox base goes into the store' '
	load_busybox &&
	cbuild images >out &&
	test_grep "busybox" out
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a multi-stage build succeeds' '
	cp -r "$FIX/multistage" ctx &&
	cbuild build --progress=plain -t ms -o type=oci,dest=oci1 ctx >id 2>log &&
	test_grep "^sha256:" id &&
	test_grep "\[builder 2/3\] RUN mkdir" log &&
	test_grep "DONE" log
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI 'files, owners and modes are right' '
	unpack oci1 b1 &&
	test "$(cat b1/rootfs/home/app/out/data)" = built &&
	test "$(cat b1/rootfs/home/app/out/who)" = "uid=0" &&
	test -L b1/rootfs/home/app/out/link &&
	test "$(stat -c %u:%g b1/rootfs/home/app/out/data)" = 1000:1000 &&
	test "$(stat -c %u:%g b1/rootfs/home/app/note.txt)" = 0:0 &&
	test "$(cat b1/rootfs/home/app/note.txt)" = "a note from the context" &&
	test ! -e b1/rootfs/home/app/secret.txt
'

test_expect_success ROOT,RUNTIME,BUSYBOX,SKOPEO 'the config is as BuildKit writes it' '
	config_of oci1 >cfg.json &&
	test "$(jq -r .config.User cfg.json)" = app &&
	test "$(jq -r .config.WorkingDir cfg.json)" = /home/app &&
	jq -e ".config.Env | index(\"GREETING=hello there\")" cfg.json >/dev/null &&
	test "$(jq -c .config.Entrypoint cfg.json)" = "[\"sh\",\"-c\"]" &&
	test "$(jq -c .config.Cmd cfg.json)" = "[\"cat out/data note.txt\"]" &&
	test "$(jq ".history | length" cfg.json)" -gt 5 &&
	jq -e ".history[] | select(.created_by == \"ENV APP_HOME=/home/app GREETING=hello there\") | .empty_layer" cfg.json >/dev/null
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a rebuild with nothing changed runs no step, same digest' '
	cbuild build --progress=plain -t ms ctx >id2 2>log2 &&
	test_cmp id id2 &&
	test "$(grep -c "^#[0-9]* DONE" log2)" = 2 &&
	test "$(grep -c CACHED log2)" = 6
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'changing one context file reruns only what depends on it' '
	echo "edited" >ctx/note.txt &&
	cbuild build --progress=plain -t ms ctx >id3 2>log3 &&
	! test_cmp id id3 >/dev/null &&
	grep -A1 "COPY note.txt" log3 | test_grep -v CACHED &&
	grep -A1 "RUN mkdir -p /out" log3 | test_grep CACHED
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--target skips a stage that would fail' '
	cp -r "$FIX/target" tctx &&
	cbuild build --progress=plain --target final tctx >/dev/null 2>tlog &&
	! grep -q "exit 7" tlog &&
	test_must_fail cbuild build --progress=plain --target broken tctx 2>tlog2 &&
	test_grep "exit code: 7" tlog2
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a failing RUN names the line and the exit code' '
	printf "FROM busybox:latest\nRUN echo about to fail && exit 3\n" >Dockerfile.fail &&
	test_exit_code 1 cbuild build --progress=plain -f Dockerfile.fail ctx 2>flog &&
	test_grep "Dockerfile:2" flog &&
	test_grep "exit code: 3" flog &&
	test_grep "about to fail" flog
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'independent stages overlap in time' '
	cp -r "$FIX/parallel" pctx &&
	cbuild build --progress=rawjson --jobs 2 pctx >/dev/null 2>events &&
	jq -s "[.[] | select(.vertexes) | .vertexes[] | select(.name != null and (.name | test(\"RUN sleep\")))]" events >runs.json &&
	last_start=$(jq -r "[.[] | select(.completed == null) | .started] | max" runs.json) &&
	first_end=$(jq -r "[.[] | select(.completed != null) | .completed] | min" runs.json) &&
	test "$(jq "[.[] | select(.completed == null)] | length" runs.json)" = 2 &&
	test "$last_start" \< "$first_end"
'

test_expect_success 'build with a bad flag is a usage error' '
	test_exit_code 2 cbuild build --frob . 2>err &&
	test_grep "unknown option" err &&
	test_exit_code 2 cbuild build 2>err2 &&
	test_grep "exactly one CONTEXT" err2
'

test_done
