#!/bin/sh
test_description='cbuild doctor: the runtime traps on the busybox base, exact findings, fixups that make the image pass, silence on right images'
. "$(dirname "$0")/lib.sh"

FIX=$TEST_DIR/fixtures

# build FIXTURE TAG
build() {
	cbuild build -q -t "$2" "$FIX/$1" >/dev/null
}

test_expect_success ROOT,RUNTIME,BUSYBOX 'busybox base into the store' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null
'

test_expect_success ROOT,BUSYBOX 'the busybox base has no findings' '
	cbuild doctor busybox >out &&
	test ! -s out &&
	cbuild doctor --strict --format json busybox >out.json &&
	test "$(jq -c . out.json)" = "[]"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'the examples/hello image has no findings' '
	cbuild build -q -t hello "$TEST_DIR/../../examples/hello" >/dev/null &&
	cbuild doctor --strict hello >out &&
	test ! -s out
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a right image has no findings, even with --strict' '
	build doctor-right right &&
	cbuild doctor --strict right >out &&
	test ! -s out &&
	cbuild doctor --fixup=all right -t right-fixed 2>log &&
	test_grep "fixup: nothing to change" log &&
	test "$(cbuild images -q right)" = "$(cbuild images -q right-fixed)"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'missing home: exact finding, exit 1' '
	build doctor-home home &&
	test_exit_code 1 cbuild doctor home >out &&
	test_grep "^error\[home-missing\]: HOME '\''/home/app'\'' of user '\''app'\'' does not exist$" out &&
	test_grep "^  home_source: /etc/passwd$" out &&
	test "$(grep -c "^error\|^warning" out)" = 1 &&
	test_exit_code 1 cbuild doctor --format json home >out.json &&
	test "$(jq -r ".[0].id" out.json)" = home-missing &&
	test "$(jq -r ".[0].severity" out.json)" = error &&
	test "$(jq -r ".[0].evidence.home" out.json)" = /home/app
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'a store that never unpacked the image: same findings, nothing unpacked' '
	cbuild save -o home.tar home &&
	CBUILD_ROOT=$PWD/fresh cbuild load -i home.tar -t home >/dev/null &&
	test -z "$(ls fresh/layers 2>/dev/null)" &&
	cbuild doctor --fixup=home home -t home-unpacked >/dev/null 2>&1 &&
	for d in $(cbuild inspect home | jq -r ".[0].Config.rootfs.diff_ids[]" | sed s/sha256://); do
		test -d "$CBUILD_ROOT/layers/$d" || return 1
	done &&
	test_exit_code 1 cbuild doctor --format json home >unpacked.json &&
	test_exit_code 1 env CBUILD_ROOT=$PWD/fresh "$CBUILD" doctor --format json home >blobs.json &&
	test_cmp unpacked.json blobs.json &&
	test -z "$(ls fresh/layers 2>/dev/null)"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'the image'\''s start command fails in the trap image' '
	test_must_fail cbuild run home
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--exec confirms the missing home in the image' '
	test_exit_code 1 cbuild doctor --exec home >out &&
	test_grep "^  exec: \[sh, -c, .*\] exited 1: HOME=/home/app is not a writable directory$" out
'

test_expect_success ROOT,RUNTIME,BUSYBOX '--fixup=home creates the home, sets HOME, and the image passes' '
	cbuild doctor --fixup=home home -t home-fixed 2>log >out &&
	test_grep "^fixup: home: created /home/app owned by 1000:1000$" log &&
	test_grep "^fixup: home: HOME=/home/app$" log &&
	test ! -s out &&
	cbuild doctor --strict home-fixed &&
	cbuild inspect home-fixed >i.json &&
	jq -e ".[0].Config.config.Env | index(\"HOME=/home/app\")" i.json >/dev/null &&
	test "$(jq -r ".[0].Config.history[-1].created_by" i.json)" = \
		"cbuild fixup: home (home: created /home/app owned by 1000:1000, home: HOME=/home/app)" &&
	cbuild run home-fixed >run.out &&
	test_grep "^started$" run.out &&
	cbuild run home-fixed sh -c "test \$(stat -c %u \$HOME) = 1000"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'fixups are idempotent: a second run changes nothing' '
	cbuild doctor --fixup=all home-fixed -t home-fixed2 2>log &&
	test_grep "fixup: nothing to change" log &&
	test "$(cbuild images -q home-fixed)" = "$(cbuild images -q home-fixed2)"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'node: npm cache and the dropped typescript' '
	build doctor-node node &&
	test_exit_code 1 cbuild doctor --format json node >out.json &&
	test "$(jq -r "[.[].id] | join(\" \")" out.json)" = \
		"home-missing npm-cache-not-writable node-module-missing" &&
	test "$(jq -r ".[1].evidence.cache" out.json)" = /home/app/.npm &&
	test "$(jq -r ".[1].evidence.blocked_at" out.json)" = /home &&
	test "$(jq -r ".[2].message" out.json)" = \
		"'\''next'\'' loads '\''/srv/next.config.ts'\'', which needs '\''typescript'\'', but '\''/srv/node_modules/typescript'\'' is missing" &&
	test_exit_code 1 cbuild doctor --exec --format json node >out.json &&
	test "$(jq -r ".[1].evidence.exec" out.json)" = \
		"[sh, -c, mkdir -p \"\$0\" && test -w \"\$0\", /home/app/.npm] exited 1: mkdir: can'\''t create directory '\''/home/app/'\'': Permission denied"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'node: --fixup=all makes the home and npm cache; typescript stays a finding' '
	cbuild doctor --fixup=all node -t node-fixed 2>log >out;
	test $? = 1 &&
	test_grep "^fixup: home: created /home/app/.npm owned by 1000:1000$" log &&
	test_grep "^error\[node-module-missing\]" out &&
	test "$(grep -c "^error\|^warning" out)" = 1 &&
	cbuild run node-fixed sh -c "test -w \$HOME/.npm"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'root-owned files in the home: a warning; --strict fails; --fixup=ownership passes' '
	build doctor-ownership own &&
	cbuild doctor own >out &&
	test_grep "^warning\[home-owned-by-root\]: 3 paths under HOME '\''/home/app'\''" out &&
	test_grep "^  paths: /home/app/.cache, /home/app/.cache/tool, /home/app/config$" out &&
	test_exit_code 1 cbuild doctor --strict own >/dev/null &&
	test_must_fail cbuild run own &&
	cbuild doctor --strict --fixup=ownership own -t own-fixed 2>log &&
	test_grep "^fixup: ownership: chown 1000:1000 4 paths under /home/app$" log &&
	cbuild run own-fixed
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'secrets in ENV and LABEL are warnings' '
	build doctor-secrets sec &&
	cbuild doctor sec >out &&
	test_grep "^warning\[secret-in-env\]: ENV '\''DATABASE_PASSWORD'\'' looks like a secret (SecretsUsedInArgOrEnv)$" out &&
	test_grep "^warning\[secret-in-label\]: LABEL '\''deploy_token'\''" out &&
	test "$(grep -c "^warning" out)" = 2 &&
	test_exit_code 1 cbuild doctor --strict sec >/dev/null
'

test_expect_success ROOT 'unknown USER, missing program and a #! interpreter the image lacks' '
	mkdir -p r/etc r/bin r/usr/local/bin &&
	echo "root:x:0:0:root:/root:/bin/sh" >r/etc/passwd &&
	echo "root:x:0:" >r/etc/group &&
	printf "#!/bin/sh\n" >r/bin/sh && chmod 755 r/bin/sh &&
	printf "#!/usr/local/bin/node\n" >r/usr/local/bin/serve && chmod 755 r/usr/local/bin/serve &&
	cbuild debug mkimage --rootfs r -o ghost --user ghost --cmd sh >/dev/null &&
	test_exit_code 1 cbuild doctor ghost >out &&
	test_grep "^error\[user-unknown\]: USER '\''ghost'\'' is not in the image'\''s /etc/passwd$" out &&
	cbuild debug mkimage --rootfs r -o nocmd --cmd uvicorn >/dev/null &&
	test_exit_code 1 cbuild doctor nocmd >out &&
	test_grep "^error\[cmd-not-found\]: the start program '\''uvicorn'\'' is not on the image'\''s PATH$" out &&
	cbuild debug mkimage --rootfs r -o nonode --entrypoint serve --cmd --port=80 >/dev/null &&
	test_exit_code 1 cbuild doctor nonode >out &&
	test_grep "^error\[cmd-interpreter-missing\]: '\''/usr/local/bin/serve'\'' starts with '\''#!/usr/local/bin/node'\'' but '\''/usr/local/bin/node'\'' is not in the image$" out
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'deleted files and replaced directories in later layers are gone for the doctor' '
	mkdir -p wh &&
	cat >wh/Dockerfile <<-\EOF &&
	FROM busybox:latest
	RUN mkdir -p /opt/tools && printf "#!/bin/sh\\n" >/opt/tools/old && chmod 755 /opt/tools/old
	RUN rm -rf /opt/tools && mkdir /opt/tools && printf "#!/bin/sh\\n" >/opt/tools/new && chmod 755 /opt/tools/new && rm /bin/ls
	ENV PATH=/opt/tools:/bin
	EOF
	printf "CMD [\"new\"]\n" >>wh/Dockerfile &&
	cbuild build -q -t wh-new wh >/dev/null &&
	cbuild doctor --strict wh-new &&
	sed -i "s/\"new\"/\"old\"/" wh/Dockerfile &&
	cbuild build -q -t wh-old wh >/dev/null &&
	test_exit_code 1 cbuild doctor wh-old >out &&
	test_grep "^error\[cmd-not-found\]: the start program '\''old'\''" out &&
	sed -i "s/\"old\"/\"ls\"/" wh/Dockerfile &&
	cbuild build -q -t wh-ls wh >/dev/null &&
	test_exit_code 1 cbuild doctor wh-ls >out &&
	test_grep "^error\[cmd-not-found\]: the start program '\''ls'\''" out
'

test_expect_success ROOT,BUSYBOX 'bad arguments' '
	test_exit_code 2 cbuild doctor 2>err &&
	test_grep "expected one IMAGE" err &&
	test_exit_code 2 cbuild doctor --format xml busybox 2>err &&
	test_grep "error: --format: expected text or json, got '\''xml'\''" err &&
	test_exit_code 2 cbuild doctor --fixup=home busybox 2>err &&
	test_grep "fixup needs -t NEWNAME" err &&
	test_exit_code 2 cbuild doctor --fixup=homes busybox -t x 2>err &&
	test_grep "^error: --fixup: unknown fixup '\''homes'\''" err &&
	test_exit_code 1 cbuild doctor nosuchimage 2>err &&
	test_grep "nosuchimage" err
'

test_done
