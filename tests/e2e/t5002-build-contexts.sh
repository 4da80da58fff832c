#!/bin/sh
test_description='cbuild build: named build contexts, symlinked contexts, build-arg files'
. "$(dirname "$0")/lib.sh"

test_expect_success ROOT,RUNTIME,BUSYBOX 'setup' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	mkdir -p ctx extra/conf &&
	echo "from extra" >extra/conf/app.conf
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI '--build-context NAME=DIR feeds COPY --from=NAME' '
	printf "FROM busybox:latest\nCOPY --from=extra conf/app.conf /etc/app.conf\n" >ctx/Dockerfile &&
	cbuild build --progress=plain --build-context extra=extra -o type=oci,dest=o1 ctx >/dev/null 2>log &&
	rm -rf b1 && umoci unpack --image o1:latest b1 >/dev/null &&
	test "$(cat b1/rootfs/etc/app.conf)" = "from extra"
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI 'oci-layout:// and docker-image:// contexts replace FROM names and stages' '
	busybox_image other &&
	printf "FROM base\nRUN echo built-on-base > /marker\n" >ctx/Dockerfile &&
	cbuild build --progress=plain --build-context base=oci-layout://other:latest -o type=oci,dest=o2 ctx >/dev/null 2>log2 &&
	rm -rf b2 && umoci unpack --image o2:latest b2 >/dev/null &&
	test "$(cat b2/rootfs/marker)" = built-on-base &&
	printf "FROM busybox:latest AS base\nRUN exit 9\n\nFROM base\nRUN echo ok > /ok\n" >ctx/Dockerfile &&
	cbuild build --progress=plain --build-context base=docker-image://busybox:latest ctx >/dev/null 2>log3 &&
	! grep -q "exit 9" log3
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a COPY through a symlink that leaves the context names the link, its target and the fix' '
	mkdir -p deploy/build elsewhere/cmd &&
	echo "package main" >elsewhere/cmd/main.go &&
	ln -s ../../elsewhere/cmd deploy/build/cmd &&
	printf "FROM busybox:latest\nCOPY cmd/ /src/cmd/\n" >deploy/build/Dockerfile &&
	test_exit_code 1 cbuild build --progress=plain deploy/build 2>err &&
	test_grep "Dockerfile:2" err &&
	test_grep "'\''cmd'\'' is a symlink to '\''../../elsewhere/cmd'\''" err &&
	test_grep "outside the build context" err &&
	test_grep -- "--build-context" err
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI '--build-arg-file: later files win, the command line wins last' '
	printf "FROM busybox:latest\nARG API_URL\nARG REGION\nARG MODE\nRUN echo \"\$API_URL \$REGION \$MODE\" > /args\n" >ctx/Dockerfile &&
	printf "# base\nAPI_URL=https://base.example.net\nREGION=eu\nMODE=slow\n" >base.env &&
	printf "export API_URL=\"https://staging.example.net\"\n" >staging.env &&
	cbuild build --progress=plain --build-arg-file base.env --build-arg-file staging.env \
		--build-arg MODE=fast -o type=oci,dest=o3 ctx >/dev/null 2>log4 &&
	rm -rf b3 && umoci unpack --image o3:latest b3 >/dev/null &&
	test "$(cat b3/rootfs/args)" = "https://staging.example.net eu fast" &&
	printf "BROKEN LINE\n" >bad.env &&
	test_exit_code 2 cbuild build --build-arg-file bad.env ctx 2>err2 &&
	test_grep "bad.env:1: want KEY=VALUE" err2
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI '.dockerignore: an excluded directory with a re-included file' '
	mkdir -p ig/docs/keep ig/docs/drop &&
	echo keep >ig/docs/keep/a.md && echo drop >ig/docs/drop/b.md && echo top >ig/top.txt &&
	printf "docs\n!docs/keep\n" >ig/.dockerignore &&
	printf "FROM busybox:latest\nCOPY . /ctx\n" >ig/Dockerfile &&
	cbuild build --progress=plain -o type=oci,dest=o5 ig >/dev/null 2>log5 &&
	rm -rf b5 && umoci unpack --image o5:latest b5 >/dev/null &&
	test "$(cat b5/rootfs/ctx/docs/keep/a.md)" = keep &&
	test ! -e b5/rootfs/ctx/docs/drop &&
	test "$(cat b5/rootfs/ctx/top.txt)" = top &&
	echo changed >ig/docs/keep/a.md &&
	cbuild build --progress=plain ig >/dev/null 2>log6 &&
	grep -A1 "COPY . /ctx" log6 | test_grep -v CACHED &&
	echo changed >ig/docs/drop/b.md &&
	cbuild build --progress=plain ig >/dev/null 2>log7 &&
	grep -A1 "COPY . /ctx" log7 | test_grep CACHED
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'RUN --mount=type=bind from the context reruns when the files change' '
	mkdir -p bm/src && echo v1 >bm/src/input &&
	printf "FROM busybox:latest\nRUN --mount=type=bind,source=src,target=/mnt cat /mnt/input > /out\n" >bm/Dockerfile &&
	cbuild build --progress=plain bm >/dev/null 2>bl1 &&
	cbuild build --progress=plain bm >/dev/null 2>bl2 &&
	grep -A1 "RUN --mount" bl2 | test_grep CACHED &&
	echo v2 >bm/src/input &&
	cbuild build --progress=plain bm >/dev/null 2>bl3 &&
	grep -A1 "RUN --mount" bl3 | test_grep -v CACHED
'

test_expect_success 'a bad --build-context is a usage error' '
	mkdir -p c2 && echo "FROM scratch" >c2/Dockerfile &&
	test_exit_code 2 cbuild build --build-context nothing c2 2>err &&
	test_grep "want NAME=VALUE" err &&
	test_exit_code 2 cbuild build --build-context x=ftp://host/ctx.tar c2 2>err2 &&
	test_grep "only a directory, a git URL, docker-image:// and oci-layout://" err2
'

test_done
