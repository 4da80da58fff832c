#!/bin/sh
test_description='the foundation: the binary, its usage errors, the test helpers'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
test_atexit registry_stop

test_expect_success 'cbuild --version prints a version' '
	cbuild --version >out &&
	test_grep "^cbuild version " out
'

test_expect_success 'cbuild --help lists commands' '
	cbuild --help >out &&
	test_grep "^usage: cbuild" out &&
	test_grep "^  help " out
'

test_expect_success 'an unknown command is a one-line error and exit 2' '
	test_exit_code 2 cbuild frobnicate 2>err &&
	test_grep "^error: unknown command .frobnicate." err &&
	test_grep "^usage: " err
'

test_expect_success 'an unknown global option is exit 2' '
	test_exit_code 2 cbuild --frobnicate 2>err &&
	test_grep "unknown option" err
'

test_expect_success BUSYBOX,SKOPEO 'the busybox base image is a valid OCI layout' '
	busybox_image bb &&
	skopeo inspect oci:bb:latest >inspect.json &&
	test_grep "\"Architecture\": \"amd64\"" inspect.json &&
	umoci unpack --image bb:latest bundle >/dev/null &&
	test -x bundle/rootfs/bin/busybox &&
	test -L bundle/rootfs/bin/sh &&
	test_grep "^root:x:0:0:" bundle/rootfs/etc/passwd
'

test_expect_success BUSYBOX 'the busybox base image is reproducible' '
	sh "$HELPERS/busybox-image.sh" again >/dev/null &&
	busybox_image cached &&
	test_cmp again/index.json cached/index.json
'

test_expect_success REGISTRY,SKOPEO,BUSYBOX,CURL 'plain registry accepts skopeo copy' '
	busybox_image bb &&
	registry_start plain &&
	skopeo copy -q --dest-tls-verify=false oci:bb:latest docker://$REG_HOST/busybox:plain &&
	skopeo inspect --tls-verify=false docker://$REG_HOST/busybox:plain >out &&
	test_grep "\"Digest\": \"sha256:" out
'

test_expect_success REGISTRY,SKOPEO,BUSYBOX,HTPASSWD 'TLS registry with htpasswd needs the credentials' '
	busybox_image bb &&
	registry_start tls &&
	test_must_fail skopeo copy -q --dest-cert-dir "$REG_CERTS_D" oci:bb:latest \
		docker://$REG_HOST/busybox:tls 2>err &&
	test_grep -i "authentication required\|unauthorized" err &&
	skopeo copy -q --dest-cert-dir "$REG_CERTS_D" --dest-creds "$REG_USER:$REG_PASS" \
		oci:bb:latest docker://$REG_HOST/busybox:tls &&
	skopeo inspect --cert-dir "$REG_CERTS_D" --creds "$REG_USER:$REG_PASS" \
		docker://$REG_HOST/busybox:tls >out &&
	test_grep "\"Digest\": \"sha256:" out
'

test_expect_success REGISTRY,SKOPEO,BUSYBOX,PYTHON3 'token registry issues Bearer tokens' '
	busybox_image bb &&
	registry_start token &&
	test_must_fail skopeo copy -q --dest-tls-verify=false oci:bb:latest \
		docker://$REG_HOST/busybox:token 2>err &&
	test_must_fail skopeo copy -q --dest-tls-verify=false --dest-creds "$REG_USER:wrong" \
		oci:bb:latest docker://$REG_HOST/busybox:token 2>err2 &&
	skopeo copy -q --dest-tls-verify=false --dest-creds "$REG_USER:$REG_PASS" \
		oci:bb:latest docker://$REG_HOST/busybox:token &&
	skopeo inspect --tls-verify=false docker://$REG_HOST/busybox:token >out &&
	test_grep "\"Digest\": \"sha256:" out &&
	test_grep "\"user\": \"cbuild\", \"ok\": true" "$TOKEN_LOG"
'

test_expect_success REGISTRY 'registry_stop kills only its own processes' '
	pids="$(cat registry/*/registry.pid 2>/dev/null)" &&
	test -n "$pids" &&
	registry_stop &&
	sleep 0.3 &&
	for p in $pids; do
		! kill -0 $p 2>/dev/null || grep -q "^State:.*Z" /proc/$p/status || exit 1
	done
'

test_done
