#!/bin/sh
test_description='cbuild bake: bake JSON with per-environment args, compose files'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
test_atexit registry_stop

FIX=$TEST_DIR/fixtures

test_expect_success ROOT,RUNTIME,BUSYBOX 'setup' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	cp -r "$FIX/bake" bk &&
	cp -r "$FIX/compose" cp
'

test_expect_success 'bake --print resolves inheritance, variables and --set' '
	(cd bk && TAG=7 cbuild bake --print --set production.args.EXTRA=1) >plan.json &&
	test "$(jq -r .target.staging.args.API_URL plan.json)" = https://staging.api.acme.io &&
	test "$(jq -r .target.production.tags[0] plan.json)" = web:prod-7 &&
	test "$(jq -r .target.production.args.EXTRA plan.json)" = 1 &&
	test "$(jq -r .target.staging.labels.team plan.json)" = web &&
	test "$(jq -c .group.default.targets plan.json)" = "[\"staging\",\"production\"]"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'two environments from one Dockerfile: different API URLs, the dependency step once' '
	(cd bk && cbuild bake --progress=plain) >ids 2>log &&
	test "$(wc -l <ids)" = 2 &&
	test "$(cbuild run --entrypoint cat web:staging-dev /app/api_url)" = https://staging.api.acme.io &&
	test "$(cbuild run --entrypoint cat web:prod-dev /app/api_url)" = https://api.acme.io &&
	test "$(grep -c "^#[0-9]* [0-9.]* installing deps" log)" = 1 &&
	test "$(grep -A1 "RUN echo \"installing deps\"" log | grep -c CACHED)" = 1 &&
	! grep -q "development default" log
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a second bake is all cache hits' '
	(cd bk && cbuild bake --progress=plain) >ids2 2>log2 &&
	test_cmp ids ids2 &&
	test "$(grep -c "^#[0-9]* [0-9.]* installing deps" log2)" = 0
'

test_expect_success 'compose: --print plans the two built services, not the image-only ones' '
	cbuild bake -f cp/compose.yaml --print >cplan.json &&
	test "$(jq -r .target.api.context cplan.json)" = cp/api &&
	test "$(jq -r .target.api.args.SERVICE cplan.json)" = api &&
	test "$(jq -r .target.web.tags[0] cplan.json)" = shop/web:latest &&
	test "$(jq -r .target.db.build cplan.json)" = false &&
	test "$(jq -r .target.db.image cplan.json)" = postgres:16
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'compose: exactly the two services with build: are built' '
	cbuild bake -f cp/compose.yaml --progress=plain >cids 2>clog &&
	test "$(wc -l <cids)" = 2 &&
	test_grep "^api sha256:" cids &&
	test_grep "^web sha256:" cids &&
	cbuild images >imgs &&
	test_grep "shop/api" imgs &&
	test_grep "shop/web" imgs &&
	! grep -q "postgres\|redis\|nginx" imgs &&
	test "$(cbuild run --entrypoint cat shop/api:dev /service)" = api
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'compose: a symlinked context gives the symlink error' '
	mkdir -p shared/web proj/web &&
	echo "<p>x</p>" >shared/web/index.html &&
	printf "FROM busybox:latest\nCOPY site/ /www/\n" >proj/web/Dockerfile &&
	ln -s ../../shared/web proj/web/site &&
	printf "services:\n  web:\n    build: ./web\n    image: proj/web\n" >proj/compose.yaml &&
	test_exit_code 1 cbuild bake -f proj/compose.yaml --progress=plain 2>serr &&
	test_grep "'\''site'\'' is a symlink to '\''../../shared/web'\''" serr &&
	test_grep -- "--build-context" serr
'

if test_have_prereq ROOT,RUNTIME,BUSYBOX,REGISTRY,SKOPEO; then
	registry_start plain >/dev/null 2>&1
fi

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY,SKOPEO 'compose: bake --pull pulls the image-only services' '
	skopeo copy -q --dest-tls-verify=false oci:bb:latest docker://$REG_HOST/library/postgres:16 &&
	mkdir -p pl/app &&
	printf "FROM busybox:latest\nRUN true\n" >pl/app/Dockerfile &&
	printf "services:\n  app:\n    build: ./app\n    image: pl/app:1\n  db:\n    image: %s/library/postgres:16\n" "$REG_HOST" >pl/compose.yaml &&
	CBUILD_INSECURE_REGISTRIES=$REG_HOST cbuild bake -f pl/compose.yaml --pull --progress=plain >pout 2>perr &&
	test_grep "^db: pulled $REG_HOST/library/postgres:16" pout &&
	cbuild images >pimgs &&
	test_grep "$REG_HOST/library/postgres" pimgs
'

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY,SKOPEO 'bake --push pushes every target to each of its tags' '
	mkdir -p ps/a ps/b &&
	printf "FROM busybox:latest\nRUN echo a >/a\n" >ps/a/Dockerfile &&
	printf "FROM busybox:latest\nRUN echo b >/b\n" >ps/b/Dockerfile &&
	cat >ps/docker-bake.json <<-EOF &&
	{"group": {"default": {"targets": ["a", "b"]}},
	 "target": {"a": {"context": "a", "tags": ["$REG_HOST/ps/a:1", "$REG_HOST/ps/a:latest"]},
	            "b": {"context": "b", "tags": ["$REG_HOST/ps/b:1"]}}}
	EOF
	CBUILD_INSECURE_REGISTRIES=$REG_HOST cbuild bake -f ps/docker-bake.json --push --progress=plain >psout 2>pserr &&
	skopeo inspect --tls-verify=false docker://$REG_HOST/ps/a:1 >ia1 &&
	skopeo inspect --tls-verify=false docker://$REG_HOST/ps/a:latest >ia2 &&
	skopeo inspect --tls-verify=false docker://$REG_HOST/ps/b:1 >ib &&
	test "$(jq -r .Digest ia1)" = "$(jq -r .Digest ia2)" &&
	test "$(jq -r .Digest ia1)" != "$(jq -r .Digest ib)"
'

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY 'a bad tag in a bake file names the target and the tag' '
	printf "{\"target\": {\"a\": {\"context\": \"a\", \"tags\": [\"Bad/UPPER:1\"]}}}" >ps/bad.json &&
	test_must_fail cbuild bake -f ps/bad.json --push --progress=plain 2>pberr &&
	test_grep "target '\''a'\'': tag '\''Bad/UPPER:1'\''.*must be lowercase" pberr
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'contexts: a named directory (relative to the bake file) and a git repository, also as the context' '
	git init -q -b main repo &&
	printf "FROM busybox:latest\nCOPY --from=extra x /x\nCOPY r.txt /r\n" >repo/Dockerfile &&
	echo from-git >repo/r.txt &&
	git -C repo add -A &&
	git -C repo -c user.name=t -c user.email=t@example.com commit -qm one &&
	mkdir -p srv && git clone -q --bare repo srv/repo.git &&
	git -C srv/repo.git update-server-info &&
	port=$(python3 -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])") &&
	git daemon --base-path="$PWD/srv" --export-all --listen=127.0.0.1 --port="$port" \
		--reuseaddr --detach --pid-file="$PWD/gd.pid" &&
	for i in 1 2 3 4 5 6 7 8 9 10; do git ls-remote "git://127.0.0.1:$port/repo.git" >/dev/null 2>&1 && break; sleep 0.2; done &&
	mkdir -p bc/extra bc/app &&
	echo from-dir >bc/extra/x &&
	printf "FROM busybox:latest\nCOPY --from=extra x /x\nCOPY --from=src r.txt /r\n" >bc/app/Dockerfile &&
	cat >bc/docker-bake.json <<-EOF &&
	{"target": {
	  "local": {"context": "app", "contexts": {"extra": "extra", "src": "git://127.0.0.1:$port/repo.git"}, "tags": ["bk:local"]},
	  "remote": {"context": "git://127.0.0.1:$port/repo.git", "contexts": {"extra": "./extra"}, "tags": ["bk:remote"]}
	}, "group": {"default": {"targets": ["local", "remote"]}}}
	EOF
	(cd / && "$CBUILD" bake -f "$TRASH/bc/docker-bake.json" >/dev/null) 2>err;
	rc=$?; kill "$(cat gd.pid)"; test $rc = 0 || { cat err; false; } &&
	test "$(cbuild run --entrypoint cat bk:local /x)" = from-dir &&
	test "$(cbuild run --entrypoint cat bk:local /r)" = from-git &&
	test "$(cbuild run --entrypoint cat bk:remote /x)" = from-dir &&
	test "$(cbuild run --entrypoint cat bk:remote /r)" = from-git &&
	test -z "$(ls "$CBUILD_ROOT/tmp" | grep git-context)" &&
	mkdir -p other && echo from-set >other/x && echo set-r >other/r.txt &&
	(cd / && "$CBUILD" bake -f "$TRASH/bc/docker-bake.json" --set "local.contexts.extra=$TRASH/other" \
		--set "local.contexts.src=$TRASH/other" --set local.tags=bk:set local >/dev/null) &&
	test "$(cbuild run --entrypoint cat bk:set /x)" = from-set &&
	test "$(cbuild run --entrypoint cat bk:set /r)" = set-r &&
	(cd / && "$CBUILD" bake -f "$TRASH/bc/docker-bake.json" --set "local.contexts.extra=$TRASH/other" \
		--print local) | jq -e ".target.local.contexts.extra == \"$TRASH/other\"" >/dev/null
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'compose: build.additional_contexts feed COPY --from' '
	mkdir -p cc/svc cc/shared &&
	echo shared >cc/shared/s.txt &&
	printf "FROM busybox:latest\nCOPY --from=common s.txt /s\n" >cc/svc/Dockerfile &&
	printf "services:\n  svc:\n    build:\n      context: ./svc\n      additional_contexts:\n        common: ./shared\n    image: cc/svc:1\n" >cc/compose.yaml &&
	(cd cc && cbuild bake -f compose.yaml >/dev/null) &&
	test "$(cbuild run --entrypoint cat cc/svc:1 /s)" = shared
'

test_expect_success 'bake takes --provenance=false/--sbom=false and refuses attestations by name' '
	(cd bk && cbuild bake --provenance=false --sbom=false --print >/dev/null) &&
	(cd bk && test_exit_code 2 cbuild bake --sbom=true --print 2>err) &&
	test_grep "^error: --sbom=true: cbuild writes no attestations; only --sbom=false is accepted$" bk/err
'

test_expect_success 'bad bake input is a clear error' '
	echo "{\"target\": {\"a\": {\"tags\": \"notalist\"}}}" >bad.json &&
	test_exit_code 2 cbuild bake -f bad.json --print 2>e1 &&
	test_grep "\"tags\" must be a list of strings" e1 &&
	test_exit_code 1 cbuild bake -f bk/docker-bake.json --print nosuch 2>e2 &&
	test_grep "no target or group named '\''nosuch'\''" e2 &&
	test_exit_code 2 cbuild bake -f bk/docker-bake.json --print --set nodot 2>e3 &&
	test_grep "want TARGET.KEY=VALUE" e3
'

test_done
