# lib-registry.sh - the push/pull suite run against the real docker-registry
# in one mode (t3001 plain, t3002 tls+htpasswd, t3003 token).  Source it
# after lib.sh, then call: registry_suite MODE.
#
# Sets CB_TLS (cbuild's TLS flag), SK_FLAGS (skopeo's flags for the
# registry), and runs every test with the registry started once.

. "$HELPERS/registry.sh"
test_atexit registry_stop

# blob upload requests for repository $1 in the registry's access log
upload_count() {
    grep -c -E "\"(PUT|PATCH|POST) /v2/$1/blobs/uploads" "$REG_LOG" || true
}

# the helper that speaks docker-credential-helpers' protocol
make_cred_helper() {
    mkdir -p "$TRASH/bin"
    cat >"$TRASH/bin/docker-credential-cbtest" <<HELPER
#!/bin/sh
echo "\$1" >>"$TRASH/helper.log"
case "\$1" in
get) read -r server; echo "{\"ServerURL\":\"\$server\",\"Username\":\"$REG_USER\",\"Secret\":\"$REG_PASS\"}" ;;
store) cat >>"$TRASH/helper.store" ;;
erase) cat >>"$TRASH/helper.erase" ;;
*) exit 1 ;;
esac
HELPER
    chmod +x "$TRASH/bin/docker-credential-cbtest"
}

registry_suite() {
    mode=$1
    if ! test_have_prereq REGISTRY,SKOPEO,BUSYBOX,PYTHON3; then
        test_expect_success REGISTRY,SKOPEO,BUSYBOX,PYTHON3 "$mode registry suite" 'false'
        return 0
    fi
    registry_start "$mode" >/dev/null 2>&1 || { say "# registry_start $mode failed"; }
    CB_TLS=--tls-verify=false
    SK_FLAGS="--tls-verify=false"
    SK_COPY="--dest-tls-verify=false"
    AUTH=
    case "$mode" in
    tls)
        mkdir -p "$TRASH/certs.d/$REG_HOST"
        cp "$REG_CA" "$TRASH/certs.d/$REG_HOST/ca.crt"
        CBUILD_CERTS_D=$TRASH/certs.d
        export CBUILD_CERTS_D
        CB_TLS=--tls-verify=true
        SK_FLAGS="--cert-dir $REG_CERTS_D --creds $REG_USER:$REG_PASS"
        SK_COPY="--dest-cert-dir $REG_CERTS_D --dest-creds $REG_USER:$REG_PASS"
        AUTH=yes
        test_set_prereq TLS
        ;;
    token)
        SK_FLAGS="--tls-verify=false --creds $REG_USER:$REG_PASS"
        SK_COPY="--dest-tls-verify=false --dest-creds $REG_USER:$REG_PASS"
        AUTH=yes
        test_set_prereq TOKEN
        ;;
    esac
    export CB_TLS SK_FLAGS SK_COPY AUTH mode
    [ -n "$AUTH" ] && test_set_prereq AUTH
    [ -z "$AUTH" ] && test_set_prereq NOAUTH

    test_expect_success "$mode: skopeo pushes the busybox base" '
	busybox_image bb &&
	skopeo copy -q $SK_COPY oci:bb:latest docker://$REG_HOST/bb/busybox:src &&
	skopeo inspect $SK_FLAGS --format "{{.Digest}}" docker://$REG_HOST/bb/busybox:src \
		>"$TRASH/src.digest" &&
	test_grep "^sha256:" "$TRASH/src.digest"
'

    test_expect_success AUTH "$mode: login with wrong credentials fails quoting the registry" '
	echo wrong | test_exit_code 1 cbuild login $CB_TLS -u $REG_USER --password-stdin $REG_HOST 2>err &&
	test_grep "^error: login to .$REG_HOST. failed: " err &&
	test_grep "401" err &&
	! test -f "$DOCKER_CONFIG/config.json"
'

    test_expect_success TOKEN "$mode: anonymous pull works before login" '
	CBUILD_ROOT=$TRASH/anon cbuild pull -q $CB_TLS $REG_HOST/bb/busybox:src >out &&
	test_grep "^Digest: $(cat "$TRASH/src.digest")$" out
'

    test_expect_success TLS "$mode: a pull without credentials says how to log in" '
	CBUILD_ROOT=$TRASH/anon test_exit_code 1 cbuild pull -q $CB_TLS $REG_HOST/bb/busybox:src 2>err &&
	test_grep "401 unauthorized" err &&
	test_grep "cbuild login $REG_HOST" err
'

    test_expect_success AUTH "$mode: login stores the credentials (0600)" '
	echo "$REG_PASS" | cbuild login $CB_TLS -u $REG_USER --password-stdin $REG_HOST >out &&
	test_grep "Login Succeeded" out &&
	test "$(stat -c %a "$DOCKER_CONFIG/config.json")" = 600 &&
	test_grep "\"$REG_HOST\"" "$DOCKER_CONFIG/config.json"
'

    test_expect_success "$mode: we pull what skopeo pushed, same digest" '
	cbuild pull $CB_TLS $REG_HOST/bb/busybox:src >out 2>progress &&
	test_grep "^Digest: $(cat "$TRASH/src.digest")$" out &&
	test_grep "done" progress
'

    test_expect_success NOAUTH "$mode: plain http is refused without --tls-verify=false" '
	CBUILD_ROOT=$TRASH/strict test_exit_code 1 cbuild pull -q $REG_HOST/bb/busybox:src 2>err &&
	test_grep "GET https://$REG_HOST/v2/" err &&
	test_grep "needs --tls-verify=false" err &&
	CBUILD_INSECURE_REGISTRIES="other:1,$REG_HOST" CBUILD_ROOT=$TRASH/listed \
		cbuild pull -q $REG_HOST/bb/busybox:src >out &&
	test_grep "^Digest: $(cat "$TRASH/src.digest")$" out
'

    test_expect_success TLS "$mode: self-signed: refused without its CA, accepted with --tls-verify=false" '
	CBUILD_CERTS_D=$TRASH/no-certs CBUILD_ROOT=$TRASH/noca \
		test_exit_code 1 cbuild pull -q $REG_HOST/bb/busybox:src 2>err &&
	test_grep "certificate" err &&
	CBUILD_CERTS_D=$TRASH/no-certs CBUILD_ROOT=$TRASH/noca \
		cbuild pull -q --tls-verify=false $REG_HOST/bb/busybox:src >out &&
	test_grep "^Digest: $(cat "$TRASH/src.digest")$" out
'

    test_expect_success "$mode: a second pull with --pull=missing does no network I/O" '
	before=$(wc -l <"$REG_LOG") &&
	cbuild pull --pull=missing $CB_TLS $REG_HOST/bb/busybox:src >out &&
	test_grep "is in the store" out &&
	test "$(wc -l <"$REG_LOG")" = "$before"
'

    test_expect_success "$mode: a digest reference to a stored image needs no network" '
	before=$(wc -l <"$REG_LOG") &&
	cbuild pull --pull=missing $CB_TLS $REG_HOST/bb/busybox@$(cat "$TRASH/src.digest") >out &&
	test_grep "is in the store" out &&
	test "$(wc -l <"$REG_LOG")" = "$before" &&
	cbuild pull --pull=never $CB_TLS $REG_HOST/bb/busybox@$(cat "$TRASH/src.digest") >out
'

    test_expect_success "$mode: --pull=never of a missing image names it" '
	test_exit_code 1 cbuild pull --pull=never $CB_TLS $REG_HOST/bb/nothere:x 2>err &&
	test_grep "$REG_HOST/bb/nothere:x. not found locally" err
'

    test_expect_success "$mode: push with two tags" '
	cbuild push $CB_TLS $REG_HOST/bb/busybox:src $REG_HOST/app/img:one $REG_HOST/app/img:two \
		>out 2>progress &&
	test_grep "^Digest: $(cat "$TRASH/src.digest")$" out &&
	test_grep "tags: 2 pushed" out
'

    test_expect_success "$mode: skopeo inspects what we pushed" '
	for t in one two; do
		skopeo inspect $SK_FLAGS --format "{{.Digest}}" docker://$REG_HOST/app/img:$t >d.$t || return 1
		test_cmp "$TRASH/src.digest" d.$t || return 1
	done &&
	skopeo inspect $SK_FLAGS --raw docker://$REG_HOST/app/img:one >raw &&
	test_grep "\"schemaVersion\":2" raw
'

    test_expect_success "$mode: pull into an empty store gives the same digest" '
	CBUILD_ROOT=$TRASH/store2 cbuild pull -q $CB_TLS $REG_HOST/app/img:two >out &&
	test_grep "^Digest: $(cat "$TRASH/src.digest")$" out &&
	test_grep "Downloaded 2 blobs" out
'

    test_expect_success "$mode: a second push sends no blob bytes" '
	before=$(upload_count app/img) &&
	cbuild push -q $CB_TLS $REG_HOST/bb/busybox:src $REG_HOST/app/img:one $REG_HOST/app/img:two >out &&
	test "$(upload_count app/img)" = "$before" &&
	test_grep "0 uploaded (0 B), 2 already present" out &&
	test_grep "tags: 0 pushed, 2 unchanged" out
'

    test_expect_success "$mode: a push to a new repository uploads (or mounts) every blob once" '
	cbuild push -q $CB_TLS --mount-from $REG_HOST/none/x $REG_HOST/bb/busybox:src $REG_HOST/fresh/img:1 >out &&
	test_grep "2 uploaded" out &&
	test "$(upload_count fresh/img)" -ge 2 &&
	cbuild push -q $CB_TLS $REG_HOST/bb/busybox:src $REG_HOST/mounted/img:1 >out &&
	test_grep "2 mounted" out
'

    test_expect_success "$mode: chunked upload" '
	cbuild push -q $CB_TLS --chunk-size 65536 --mount-from $REG_HOST/none/x \
		$REG_HOST/bb/busybox:src $REG_HOST/chunked/img:1 >out &&
	test_grep "2 uploaded" out &&
	test "$(grep -c "\"PATCH /v2/chunked/img/blobs/uploads" "$REG_LOG")" -gt 10 &&
	CBUILD_ROOT=$TRASH/store3 cbuild pull -q $CB_TLS $REG_HOST/chunked/img:1 >out &&
	test_grep "^Digest: $(cat "$TRASH/src.digest")$" out
'

    test_expect_success "$mode: an index: platform selection, children pushed by digest first" '
	python3 "$HELPERS/multiarch-index.py" bb multi >"$TRASH/multi.digest" &&
	skopeo copy -q --all $SK_COPY oci:multi:latest docker://$REG_HOST/multi/img:1 &&
	cbuild --root $TRASH/ms pull -q $CB_TLS --platform linux/arm64/v8 $REG_HOST/multi/img:1 >out &&
	test_grep "^Digest: $(cat "$TRASH/multi.digest")$" out &&
	grep -l "\"arm64\"" $TRASH/ms/oci/blobs/sha256/* >/dev/null &&
	test_exit_code 1 cbuild --root $TRASH/ms pull -q $CB_TLS --platform linux/s390x $REG_HOST/multi/img:1 2>err &&
	test_grep "no manifest for platform .linux/s390x.*linux/amd64" err &&
	cbuild --root $TRASH/ms pull -q $CB_TLS --platform linux/amd64 $REG_HOST/multi/img:1 >out &&
	cbuild --root $TRASH/ms push -q $CB_TLS $REG_HOST/multi/img:1 $REG_HOST/multi/copy:1 >out &&
	test_grep "^Digest: $(cat "$TRASH/multi.digest")$" out &&
	grep -n -E "\"PUT /v2/multi/copy/manifests/" "$REG_LOG" >puts &&
	test "$(grep -c "manifests/sha256:" puts)" = 2 &&
	tail -n 1 puts | test_grep "manifests/1 " &&
	skopeo inspect $SK_FLAGS --raw docker://$REG_HOST/multi/copy:1 >raw &&
	test_grep "\"arm64\"" raw
'

    test_expect_success AUTH "$mode: a credential helper is used when configured" '
	make_cred_helper &&
	mkdir -p cfg &&
	printf "{\"credHelpers\": {\"%s\": \"cbtest\"}}\n" "$REG_HOST" >cfg/config.json &&
	PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$TRASH/cfg cbuild push -q $CB_TLS \
		$REG_HOST/bb/busybox:src $REG_HOST/helper/img:1 >out &&
	test_grep "^get$" "$TRASH/helper.log" &&
	skopeo inspect $SK_FLAGS --format "{{.Digest}}" docker://$REG_HOST/helper/img:1 >d &&
	test_cmp "$TRASH/src.digest" d
'

    test_expect_success AUTH "$mode: login stores in the credsStore helper; logout erases" '
	make_cred_helper &&
	mkdir -p cfg2 &&
	echo "{\"credsStore\": \"cbtest\"}" >cfg2/config.json &&
	echo "$REG_PASS" | PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$TRASH/cfg2 \
		cbuild login $CB_TLS -u $REG_USER --password-stdin $REG_HOST >out &&
	test_grep "docker-credential-cbtest" out &&
	test_grep "\"Secret\":\"$REG_PASS\"" "$TRASH/helper.store" &&
	PATH=$TRASH/bin:$PATH DOCKER_CONFIG=$TRASH/cfg2 cbuild logout $REG_HOST >out &&
	test_grep "^$REG_HOST" "$TRASH/helper.erase"
'

    test_expect_success AUTH "$mode: logout removes config.json credentials" '
	cbuild logout $REG_HOST >out &&
	test_grep "Removed login credentials for $REG_HOST" out &&
	! grep -q "\"$REG_HOST\"" "$DOCKER_CONFIG/config.json" &&
	cbuild logout $REG_HOST >out &&
	test_grep "Not logged in" out
'

    test_expect_success AUTH "$mode: without credentials, push fails with a clear error" '
	test_exit_code 1 cbuild push -q $CB_TLS $REG_HOST/bb/busybox:src $REG_HOST/app/img:three 2>err &&
	test_grep "^error: push .$REG_HOST/app/img:three.: .*401 unauthorized" err &&
	test_grep "cbuild login $REG_HOST" err
'
}
