#!/bin/sh
test_description='ADD <git repository>: refs, tags, commits, subdirs, --keep-git-dir, submodules, --checksum, cache by commit; served by git daemon and dumb http on 127.0.0.1'
. "$(dirname "$0")/lib.sh"

command -v git >/dev/null 2>&1 && test -x "$(git --exec-path)/git-daemon" && test_set_prereq GIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve srv/ over dumb http on port $1
start_http() {
	(cd srv && exec python3 -m http.server --bind 127.0.0.1 "$1" >/dev/null 2>&1) &
	echo $! >http.pid
}

# commit in the work tree src (author and dates fixed)
commit() {
	git -C src add -A &&
	GIT_AUTHOR_DATE="@$2 +0000" GIT_COMMITTER_DATE="@$2 +0000" \
		git -C src -c user.name=t -c user.email=t@example.com commit -qm "$1"
}

# publish src to the servers' bare repository
publish() {
	git -C src push -q --force "$PWD/srv/repo.git" "+refs/heads/*:refs/heads/*" \
		"+refs/tags/*:refs/tags/*" &&
	git -C srv/repo.git update-server-info
}

# the build of Dockerfile text (printf format) $1 exits 1 with $2 in stderr
build_fails() {
	mkdir -p gctx &&
	printf "$1" >gctx/Dockerfile &&
	test_exit_code 1 cbuild build -q gctx 2>err &&
	test_grep "$2" err
}

# build Dockerfile text (printf format) into ROOTFS dir $2 via a rootfs save
build_to() {
	mkdir -p gctx &&
	printf "$1" >gctx/Dockerfile &&
	cbuild build -q -t gt gctx >/dev/null 2>gerr &&
	rm -rf "$2" && cbuild save --format rootfs -o "$2" gt
}

test_expect_success GIT,PYTHON3 'a repository with tags, a branch, a subdir and a submodule, served two ways' '
	git init -q -b main lib &&
	echo "lib file" >lib/lib.txt &&
	git -C lib add -A &&
	GIT_AUTHOR_DATE="@1600000000 +0000" GIT_COMMITTER_DATE="@1600000000 +0000" \
		git -C lib -c user.name=t -c user.email=t@example.com commit -qm lib &&
	mkdir -p srv &&
	git clone -q --bare lib srv/lib.git &&
	git init -q -b main src &&
	mkdir -p src/sub &&
	echo one >src/hello.txt &&
	echo inner >src/sub/inner.txt &&
	commit one 1700000000 &&
	git -C src tag v1 &&
	git -C src -c user.name=t -c user.email=t@example.com tag -a v1-annotated -m annotated &&
	echo two >src/two.txt &&
	commit two 1700000100 &&
	git -C src branch dev &&
	git clone -q --bare src srv/repo.git &&
	git -C srv/repo.git update-server-info &&
	gport=$(free_port) && echo "$gport" >gport &&
	git daemon --base-path="$PWD/srv" --export-all --listen=127.0.0.1 --port="$gport" \
		--reuseaddr --detach --pid-file="$PWD/gdaemon.pid" &&
	hport=$(free_port) && echo "$hport" >hport &&
	start_http "$hport" &&
	for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
		git ls-remote "git://127.0.0.1:$gport/repo.git" >/dev/null 2>&1 &&
			curl -fs "http://127.0.0.1:$hport/repo.git/info/refs" >/dev/null && break
		sleep 0.2
	done &&
	git ls-remote "git://127.0.0.1:$gport/repo.git" | grep -q refs/heads/dev
'
test_atexit 'kill "$(cat "$TRASH/gdaemon.pid")" "$(cat "$TRASH/http.pid")" 2>/dev/null'

test_expect_success GIT 'a tag: its files, no .git, the default branch when no ref is given' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	build_to "FROM scratch\nADD $url#v1 /src\nADD $url /head\n" out &&
	test "$(cat out/src/hello.txt)" = one &&
	test "$(cat out/src/sub/inner.txt)" = inner &&
	test ! -e out/src/two.txt &&
	test ! -e out/src/.git &&
	test "$(cat out/head/two.txt)" = two
'

test_expect_success GIT 'an annotated tag, a branch, a subdir, and a full commit id' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	sha=$(git -C src rev-parse v1) &&
	build_to "FROM scratch\nADD $url#v1-annotated /a\nADD $url#dev:sub /s\nADD $url#$sha /c\n" out &&
	test "$(cat out/a/hello.txt)" = one &&
	test ! -e out/a/two.txt &&
	test "$(cat out/s/inner.txt)" = inner &&
	test ! -e out/s/hello.txt &&
	test "$(cat out/c/hello.txt)" = one &&
	test ! -e out/c/two.txt
'

test_expect_success GIT '--keep-git-dir keeps a repository at the commit, origin the remote' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	build_to "FROM scratch\nADD --keep-git-dir=true $url#v1 /k\n" out &&
	test "$(git -C out/k rev-parse HEAD)" = "$(git -C src rev-parse v1)" &&
	test "$(git -C out/k config remote.origin.url)" = "$url" &&
	test -z "$(git -C out/k status --porcelain)" &&
	test ! -e out/k/.git/FETCH_HEAD
'

test_expect_success GIT '?mtime=commit gives every file the commit time' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	build_to "FROM scratch\nADD $url?ref=v1&mtime=commit /m\n" out &&
	test "$(stat -c %Y out/m/hello.txt)" = 1700000000 &&
	test "$(stat -c %Y out/m/sub/inner.txt)" = 1700000000
'

test_expect_success GIT 'a submodule is checked out with its repository' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	git -C src -c protocol.file.allow=always submodule add -q "$PWD/srv/lib.git" lib &&
	git -C src config -f .gitmodules submodule.lib.url ../lib.git &&
	commit submodule 1700000200 &&
	publish &&
	build_to "FROM scratch\nADD $url /w\nADD $url?submodules=false /n\n" out &&
	test "$(cat out/w/lib/lib.txt)" = "lib file" &&
	test ! -e out/w/lib/.git &&
	test -d out/n/lib &&
	test ! -e out/n/lib/lib.txt
'

test_expect_success GIT,CURL 'dumb http: the full fetch when a single commit cannot be fetched' '
	url="http://127.0.0.1:$(cat hport)/repo.git" &&
	build_to "FROM scratch\nADD $url#v1 /h\n" out &&
	test "$(cat out/h/hello.txt)" = one &&
	test ! -e out/h/two.txt
'

test_expect_success GIT 'cached by commit: a rebuild fetches nothing, a new commit runs the step' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	mkdir -p cctx &&
	printf "FROM scratch\nADD $url /c\n" >cctx/Dockerfile &&
	cbuild build --progress=plain -t gc cctx >/dev/null 2>l1 &&
	cbuild build --progress=plain -t gc cctx >/dev/null 2>l2 &&
	test_grep "CACHED" l2 &&
	test -z "$(ls "$CBUILD_ROOT/tmp" | grep add-git)" &&
	echo three >src/three.txt &&
	commit three 1700000300 &&
	publish &&
	cbuild build --progress=plain -t gc cctx >/dev/null 2>l3 &&
	! grep -q CACHED l3 &&
	rm -rf out && cbuild save --format rootfs -o out gc &&
	test "$(cat out/c/three.txt)" = three
'

test_expect_success GIT '--checksum: a matching commit prefix passes, another fails naming both' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	sha=$(git -C src rev-parse v1) &&
	short=$(echo "$sha" | cut -c1-12) &&
	build_to "FROM scratch\nADD --checksum=$short $url#v1 /ok\n" out &&
	test "$(cat out/ok/hello.txt)" = one &&
	build_fails "FROM scratch\nADD --checksum=0123456789ab $url#v1 /bad\n" \
		"Dockerfile:2: ADD $url#v1: the ref resolved to commit $sha, the checksum wants 0123456789ab"
'

test_expect_success GIT 'a missing ref, a missing subdir, an unreachable server: Dockerfile:LINE and why' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	build_fails "FROM scratch\nADD $url#nope /x\n" \
		"Dockerfile:2: ADD $url#nope: repository does not contain ref .nope." &&
	build_fails "FROM scratch\nADD $url#v1:missing /x\n" \
		"Dockerfile:2: ADD $url#v1:missing: subdir .missing. is not a directory" &&
	build_fails "FROM scratch\nADD $url#v1:../.. /x\n" \
		"leaves the repository" &&
	build_fails "FROM scratch\nADD git://127.0.0.1:1/none.git /x\n" \
		"Dockerfile:2: ADD git://127.0.0.1:1/none.git: git ls-remote: fatal: unable to connect" &&
	build_fails "FROM scratch\nADD https://bob:s3cret@127.0.0.1:1/r.git /x\n" \
		"Dockerfile:2: ADD https://bob:xxxxx@127.0.0.1:1/r.git: git ls-remote: fatal:" &&
	! grep -q s3cret err &&
	test -z "$(ls "$CBUILD_ROOT/tmp" | grep add-git)"
'

test_expect_success GIT 'a git source with other sources, and COPY of a git URL, are refused' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	echo x >gctx/local &&
	build_fails "FROM scratch\nADD $url local /x/\n" \
		"Dockerfile:2: ADD $url: a git repository must be the only source" &&
	printf "FROM scratch\nCOPY $url /x\n" >gctx/Dockerfile &&
	test_must_fail cbuild build -q gctx 2>err &&
	test_grep "Dockerfile:2" err
'

test_expect_success GIT 'a git URL as the build context: the repository with .git, or its subdir' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	git -C src checkout -q -b ctx &&
	printf "FROM scratch\nCOPY . /ctx/\n" >src/Dockerfile &&
	mkdir -p src/app &&
	printf "FROM scratch\nCOPY . /app/\n" >src/app/Dockerfile &&
	echo a >src/app/a.txt &&
	commit context 1700000400 &&
	git -C src checkout -q main &&
	publish &&
	mkdir -p tmpd &&
	TMPDIR=$PWD/tmpd cbuild build -q -t gctx "$url#ctx" >/dev/null &&
	rm -rf out && cbuild save --format rootfs -o out gctx &&
	test "$(cat out/ctx/hello.txt)" = one &&
	test "$(git -C out/ctx rev-parse HEAD)" = "$(git -C src rev-parse ctx)" &&
	TMPDIR=$PWD/tmpd cbuild build -q -t gctx2 "$url#ctx:app" >/dev/null &&
	rm -rf out && cbuild save --format rootfs -o out gctx2 &&
	test "$(cat out/app/a.txt)" = a &&
	test ! -e out/app/hello.txt &&
	test -z "$(ls tmpd)" &&
	test_exit_code 1 env TMPDIR=$PWD/tmpd "$CBUILD" build -q "$url#nope" 2>err &&
	test_grep "context .$url#nope.: repository does not contain ref .nope." err &&
	test -z "$(ls tmpd)"
'

test_expect_success GIT '--build-context NAME=<git URL> feeds COPY --from=NAME' '
	url="git://127.0.0.1:$(cat gport)/repo.git" &&
	mkdir -p nctx &&
	printf "FROM scratch\nCOPY --from=lib sub/inner.txt /inner\n" >nctx/Dockerfile &&
	TMPDIR=$PWD/tmpd cbuild build -q -t gnamed --build-context "lib=$url#v1" nctx >/dev/null &&
	rm -rf out && cbuild save --format rootfs -o out gnamed &&
	test "$(cat out/inner)" = inner &&
	test -z "$(ls tmpd)" &&
	test_exit_code 1 env TMPDIR=$PWD/tmpd "$CBUILD" build -q --build-context "lib=$url#nope" nctx 2>err &&
	test_grep "build-context .lib=$url#nope.: repository does not contain ref" err &&
	test -z "$(ls tmpd)"
'

test_done
