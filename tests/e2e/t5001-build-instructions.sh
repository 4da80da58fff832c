#!/bin/sh
test_description='cbuild build: instruction semantics (ADD tar, heredocs, --chmod, --link, USER/HOME, WORKDIR, ENTRYPOINT/CMD, ONBUILD, COPY --from an image)'
. "$(dirname "$0")/lib.sh"

FIX=$TEST_DIR/fixtures

# the routes.json server in the background; only it, not the chain before
start_http() {
	python3 "$HELPERS/httpserve.py" --routes routes.json --port-file port --log http.log >/dev/null 2>&1 &
	echo $! >http.pid
}

test_expect_success ROOT,RUNTIME,BUSYBOX 'setup: busybox in the store, the fixture builds' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	cp -r "$FIX/instructions" ctx &&
	cbuild build --progress=plain -t inst -o type=oci,dest=oci ctx >id 2>log &&
	rm -rf b && umoci unpack --image oci:latest b >/dev/null &&
	skopeo inspect --config --raw oci:oci:latest >cfg.json
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a base without PATH (an image, scratch, a stage on one) gets the default PATH, as BuildKit sets it' '
	test "$(jq -r ".config.Env[0]" cfg.json)" = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" &&
	test "$(jq "[.config.Env[] | select(startswith(\"PATH=\"))] | length" cfg.json)" = 1 &&
	mkdir -p pctx &&
	printf "FROM busybox:latest\nENV PATH=/opt/bin:\$PATH\n" >pctx/Dockerfile &&
	cbuild build -q -t pathed pctx >/dev/null &&
	cbuild inspect pathed >p.json &&
	test "$(jq -c ".[0].Config.config.Env" p.json)" = "[\"PATH=/opt/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]" &&
	printf "FROM busybox:latest AS one\nFROM one\nENV PATH=/two:\$PATH\n" >pctx/Dockerfile &&
	cbuild build -q -t p2 pctx >/dev/null &&
	test "$(cbuild inspect p2 | jq -r ".[0].Config.config.Env[0]")" = "PATH=/two:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" &&
	printf "FROM scratch\nENV PATH=/three:\$PATH\n" >pctx/Dockerfile &&
	cbuild build -q -t p3 pctx >/dev/null &&
	test "$(cbuild inspect p3 | jq -r ".[0].Config.config.Env[0]")" = "PATH=/three:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'COPY --from a stage follows its absolute symlinks inside that stage; hardlinks stay one file' '
	mkdir -p sctx/d &&
	echo shared >sctx/d/f && ln sctx/d/f sctx/d/hard &&
	printf "FROM busybox:latest AS b1\nRUN mkdir -p /out/sub && echo one >/out/sub/one && ln -s /out/sub/one /out/abs && ln -s ../../../out/sub /out/up\nFROM busybox:latest\nCOPY --from=b1 /out/abs /abs2\nCOPY --from=b1 /out/up/one /up2\nCOPY d /d\n" >sctx/Dockerfile &&
	cbuild build -q -t symlinked sctx >/dev/null &&
	rm -rf sr && cbuild save --format rootfs -o sr symlinked &&
	test "$(cat sr/abs2)" = one &&
	test "$(cat sr/up2)" = one &&
	test "$(stat -c %i sr/d/f)" = "$(stat -c %i sr/d/hard)"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'an ARG naming a platform arg gets its value in RUN, as in expansion' '
	mkdir -p actx &&
	printf "FROM busybox:latest\nARG TARGETARCH\nARG TARGETPLATFORM BUILDOS\nRUN echo \"\$TARGETARCH|\$TARGETPLATFORM|\$BUILDOS\" >/plat\nWORKDIR /w-\$TARGETARCH\n" >actx/Dockerfile &&
	cbuild build -q -t plat actx >/dev/null &&
	rm -rf ar && cbuild save --format rootfs -o ar plat &&
	arch=$(cbuild inspect plat | jq -r ".[0].Config.architecture") &&
	test "$(cat ar/plat)" = "$arch|linux/$arch|linux" &&
	test -d "ar/w-$arch"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'history texts are BuildKit'\''s' '
	mkdir -p hctx && echo f >hctx/f &&
	cat >hctx/Dockerfile <<-\EOF &&
	FROM busybox:latest
	SHELL ["/bin/sh", "-xc"]
	HEALTHCHECK --interval=1h1m --timeout=1500ms --start-period=300ms --start-interval=2500us --retries=3 CMD true
	EXPOSE 80 443/udp 8000-8001
	ONBUILD RUN true
	ARG WHO=1
	COPY --link --chmod=0644 --chown=${WHO}:2 f /f
	EOF
	cbuild build -q -t hist hctx >/dev/null &&
	cbuild inspect hist | jq -r ".[0].Config.history[].created_by" | tail -6 >got &&
	cat >want <<-\EOF &&
	SHELL [/bin/sh -xc]
	HEALTHCHECK {Test:[CMD-SHELL true] Interval:1h1m0s Timeout:1.5s StartPeriod:300ms StartInterval:2.5ms Retries:3}
	EXPOSE [443/udp 80/tcp 8000/tcp 8001/tcp]
	ARG WHO=1
	COPY --chown=1:2 --chmod=0644 f /f # buildkit
	EOF
	tail -5 want >want5 && tail -5 got >got5 &&
	test_cmp want5 got5
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'build -o type=local gives the files to the caller, as BuildKit; save --format rootfs keeps owners' '
	mkdir -p octx && echo o >octx/o &&
	printf "FROM busybox:latest\nCOPY --chown=1000:1000 o /o\n" >octx/Dockerfile &&
	cbuild build -q -t owned -o type=local,dest=olocal octx >/dev/null &&
	test "$(stat -c %u:%g olocal/o)" = "$(id -u):$(id -g)" &&
	! getfattr -d -m - olocal/o 2>/dev/null | grep -q rootlesscontainers &&
	cbuild save --format rootfs -o orootfs owned &&
	test "$(stat -c %u:%g orootfs/o)" = 1000:1000
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI 'ADD extracts a local tar archive' '
	test "$(cat b/rootfs/opt/payload/one.txt)" = one &&
	test "$(cat b/rootfs/opt/payload/sub/two.txt)" = two
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI 'a heredoc RUN runs as a script' '
	printf "line one\nline two\n" >want &&
	test_cmp want b/rootfs/heredoc/out
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI 'a heredoc COPY source is expanded with the args in scope' '
	test "$(cat b/rootfs/etc/motd)" = "welcome builder"
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI 'COPY --chmod sets the mode; context files are root-owned' '
	test "$(stat -c %a:%u:%g b/rootfs/usr/local/bin/tool)" = 755:0:0
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI,SKOPEO 'COPY --link makes a layer with only its files' '
	layer=$(jq -r ".history | map(select(.empty_layer != true)) | map(.created_by) | index(\"COPY tool.sh /linked/tool.sh # buildkit\")" cfg.json) &&
	test "$layer" != null &&
	test -f b/rootfs/linked/tool.sh
'

test_expect_success ROOT,RUNTIME,BUSYBOX,UMOCI 'USER by name: RUN sees its HOME; WORKDIR is created owned by the user' '
	test "$(cat b/rootfs/home/app/work/whoami)" = "home=/home/app user=app" &&
	test "$(stat -c %u:%g b/rootfs/home/app/work)" = 1000:1000
'

test_expect_success ROOT,RUNTIME,BUSYBOX,SKOPEO 'ENTRYPOINT clears the inherited CMD; ONBUILD is recorded' '
	test "$(jq -c .config.Entrypoint cfg.json)" = "[\"/bin/sh\",\"-c\"]" &&
	test "$(jq -c .config.Cmd cfg.json)" = null &&
	test "$(jq -r ".config.OnBuild[0]" cfg.json)" = "RUN echo triggered > /tmp/onbuild" &&
	test "$(jq -r .config.User cfg.json)" = app &&
	test "$(jq -r .config.WorkingDir cfg.json)" = /home/app/work
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'ONBUILD triggers run in a child image, COPY --from an image works' '
	mkdir child &&
	printf "FROM inst\nUSER root\nRUN cat /tmp/onbuild > /from-trigger\nCOPY --from=busybox:latest /etc/group /copied-group\nCMD [\"ls\"]\n" >child/Dockerfile &&
	cbuild build --progress=plain -o type=oci,dest=coci child >/dev/null 2>clog &&
	rm -rf c && umoci unpack --image coci:latest c >/dev/null &&
	test "$(cat c/rootfs/from-trigger)" = triggered &&
	grep -q "^nogroup:" c/rootfs/copied-group && ! grep -q "^app:" c/rootfs/copied-group
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'CMD after ENTRYPOINT in the same stage is kept' '
	mkdir ep &&
	printf "FROM busybox:latest\nCMD [\"a\"]\nENTRYPOINT [\"b\"]\n" >ep/Dockerfile &&
	cbuild build --progress=quiet -o type=oci,dest=eoci ep >/dev/null &&
	test "$(skopeo inspect --config oci:eoci:latest | jq -c .config.Cmd)" = "[\"a\"]"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'RUN --mount from=STAGE and from=IMAGE bind their rootfs; a rebuild is cached' '
	mkdir mf &&
	printf "FROM busybox:latest AS tools\nRUN mkdir -p /opt/tool && echo tool-v1 > /opt/tool/version\n\nFROM busybox:latest\nRUN --mount=type=bind,from=tools,source=/opt/tool,target=/t cat /t/version > /got\nRUN --mount=type=bind,from=busybox:latest,source=/etc,target=/e grep -c ^root: /e/passwd > /root-lines\n" >mf/Dockerfile &&
	cbuild build --progress=plain -o type=local,dest=mfo mf >/dev/null 2>mlog &&
	test "$(cat mfo/got)" = tool-v1 &&
	test "$(cat mfo/root-lines)" = 1 &&
	test ! -e mfo/t/version &&
	cbuild build --progress=plain mf >/dev/null 2>mlog2 &&
	test "$(grep -c CACHED mlog2)" = 3 &&
	test -z "$(ls "$CBUILD_ROOT/tmp" | grep mount-from)"
'

test_expect_success ROOT,RUNTIME,BUSYBOX,PYTHON3,UMOCI 'ADD of a URL: name from the URL, --checksum verified, mode 0600, mtime from Last-Modified' '
	printf "%s" "{\"/files/tool.sh\": [{\"body\": \"echo remote\\n\", \"headers\": {\"Last-Modified\": \"Wed, 21 Oct 2015 07:28:00 GMT\"}}]}" >routes.json &&
	start_http &&
	for i in 1 2 3 4 5 6 7 8 9 10; do test -s port && break; sleep 0.2; done &&
	url="http://127.0.0.1:$(cat port)/files/tool.sh" &&
	sum=$(printf "echo remote\n" | sha256sum | cut -d" " -f1) &&
	mkdir -p uctx &&
	printf "FROM busybox:latest\nADD --checksum=sha256:$sum $url /opt/\n" >uctx/Dockerfile &&
	cbuild build --progress=plain -o type=oci,dest=uo uctx >/dev/null 2>ulog &&
	rm -rf ub && umoci unpack --image uo:latest ub >/dev/null &&
	test "$(cat ub/rootfs/opt/tool.sh)" = "echo remote" &&
	test "$(stat -c %a ub/rootfs/opt/tool.sh)" = 600 &&
	test "$(stat -c %Y ub/rootfs/opt/tool.sh)" = 1445412480 &&
	printf "FROM busybox:latest\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 $url /opt/\n" >uctx/Dockerfile &&
	test_exit_code 1 cbuild build --progress=plain uctx 2>uerr &&
	test_grep "Dockerfile:2" uerr &&
	test_grep "$url" uerr &&
	printf "FROM busybox:latest\nCOPY $url /opt/\n" >uctx/Dockerfile &&
	test_must_fail cbuild build --progress=plain uctx 2>uerr2 &&
	test_grep "source can.t be a URL for COPY" uerr2;
	rc=$?; kill "$(cat http.pid)" 2>/dev/null; exit $rc
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'ADD: xz and bzip2 tars are extracted, a compressed non-tar is copied as is' '
	mkdir -p ax/p && echo inner >ax/p/x.txt &&
	tar -C ax/p -cJf ax/p.tar.xz x.txt && tar -C ax/p -cjf ax/p.tar.bz2 x.txt &&
	echo "just text" >ax/note.txt && gzip -k ax/note.txt &&
	printf "FROM busybox:latest\nADD p.tar.xz /xz/\nADD p.tar.bz2 /bz/\nADD note.txt.gz /gz/\n" >ax/Dockerfile &&
	cbuild build --progress=quiet -o type=local,dest=axo ax >/dev/null &&
	test "$(cat axo/xz/x.txt)" = inner &&
	test "$(cat axo/bz/x.txt)" = inner &&
	test "$(zcat axo/gz/note.txt.gz)" = "just text"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'COPY --parents keeps source paths; --exclude leaves matches out' '
	mkdir -p pe/src/a pe/src/b && echo a >pe/src/a/f.go && echo b >pe/src/b/f.go && echo t >pe/src/a/f_test.go &&
	printf "FROM busybox:latest\nCOPY --parents src/*/f.go /out/\nCOPY --exclude=**/*_test.go --exclude=b src/ /ex/\n" >pe/Dockerfile &&
	cbuild build --progress=quiet -o type=local,dest=peo pe >/dev/null &&
	test "$(cat peo/out/src/a/f.go)" = a &&
	test "$(cat peo/out/src/b/f.go)" = b &&
	test "$(cat peo/ex/a/f.go)" = a &&
	test ! -e peo/ex/a/f_test.go &&
	test ! -e peo/ex/b
'

test_expect_success ROOT,RUNTIME,BUSYBOX,SKOPEO '--output type=tar writes the rootfs; --compression zstd gives zstd OCI layers and plain docker-archive tars' '
	cbuild build --progress=quiet -o type=tar,dest=rootfs.tar pe >/dev/null &&
	tar -tf rootfs.tar | test_grep "^out/src/a/f.go$" &&
	cbuild build --progress=quiet --compression zstd -t zs:1 -o type=docker,dest=zs.tar -o type=oci,dest=zs-oci pe >/dev/null &&
	skopeo inspect docker-archive:zs.tar >zd.json &&
	for l in $(tar -xOf zs.tar manifest.json | jq -r ".[0].Layers[]"); do tar -xOf zs.tar "$l" | tar -t >/dev/null || exit 1; done &&
	skopeo inspect --raw oci:zs-oci:1 | jq -r ".layers[-1].mediaType" | test_grep "tar+zstd"
'

test_done
