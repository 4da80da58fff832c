#!/bin/sh
test_description='a CI-style script: login with --password-stdin, build with build args and two tags, --push to the TLS+htpasswd registry, pull back'
. "$(dirname "$0")/lib.sh"
. "$HELPERS/registry.sh"
test_atexit registry_stop

# the registry runs for the whole script: its variables must outlive a test
if test_have_prereq ROOT,RUNTIME,BUSYBOX,REGISTRY,HTPASSWD; then
	registry_start tls >/dev/null 2>&1 || test_set_prereq NOREGISTRY
	mkdir -p "$TRASH/certs.d/$REG_HOST" && cp "$REG_CA" "$TRASH/certs.d/$REG_HOST/ca.crt"
	export CBUILD_CERTS_D="$TRASH/certs.d"
	REG=$REG_HOST
fi

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY,HTPASSWD 'setup: busybox, an app that takes build args' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	mkdir -p app &&
	printf "FROM busybox:latest\nARG VERSION\nARG VCS_REF\nARG BUILD_DATE\nLABEL org.opencontainers.image.version=\$VERSION org.opencontainers.image.revision=\$VCS_REF org.opencontainers.image.created=\$BUILD_DATE\nRUN echo \"\$VERSION\" > /version\n" >app/Dockerfile
'

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY,HTPASSWD 'the CI script: login --password-stdin, build with build args and two tags, --push' '
	cat >ci.sh <<-\SCRIPT &&
	set -e
	echo "$REG_PASS" | "$CBUILD" login -u "$REG_USER" --password-stdin "$REG"
	"$CBUILD" build --progress=plain \
		--build-arg VERSION=1.1.0 --build-arg VCS_REF=abc1234 \
		--build-arg BUILD_DATE=2026-11-22T00:00:00Z \
		-t "$REG/team/app:1.1.0" -t "$REG/team/app:latest" --push app
	SCRIPT
	REG=$REG sh ci.sh >out 2>err &&
	test_grep "^sha256:" out &&
	test_grep "^Login Succeeded" out
'

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY,HTPASSWD,SKOPEO 'both tags are in the registry with the labels' '
	skopeo inspect --cert-dir "$TRASH/certs.d/$REG" --creds "$REG_USER:$REG_PASS" docker://$REG/team/app:1.1.0 >i1 &&
	skopeo inspect --cert-dir "$TRASH/certs.d/$REG" --creds "$REG_USER:$REG_PASS" docker://$REG/team/app:latest >i2 &&
	test "$(jq -r .Digest i1)" = "$(jq -r .Digest i2)" &&
	test "$(jq -r ".Labels[\"org.opencontainers.image.version\"]" i1)" = 1.1.0 &&
	test "$(jq -r ".Labels[\"org.opencontainers.image.revision\"]" i1)" = abc1234
'

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY,HTPASSWD 'an empty store pulls it back with the same digest' '
	CBUILD_ROOT=$TRASH/store2 cbuild pull "$REG/team/app:1.1.0" >/dev/null 2>&1 &&
	CBUILD_ROOT=$TRASH/store2 cbuild images --format json >imgs &&
	test "$(jq -r ".[0].Digest" imgs)" = "$(skopeo inspect --cert-dir "$TRASH/certs.d/$REG" --creds "$REG_USER:$REG_PASS" docker://$REG/team/app:1.1.0 | jq -r .Digest)"
'

test_expect_success ROOT,RUNTIME,BUSYBOX,REGISTRY 'build --push without a tag is a usage error' '
	test_exit_code 2 cbuild build --push app 2>err &&
	test_grep "needs at least one -t" err
'

test_done
