#!/bin/sh
test_description='pull, push, login, logout: usage errors and bad input, no registry needed'
. "$(dirname "$0")/lib.sh"

test_expect_success 'help lists the registry commands' '
	cbuild --help >out &&
	for c in pull push login logout; do test_grep "^  $c " out || return 1; done &&
	cbuild pull --help >out && test_grep "^usage: cbuild pull" out &&
	cbuild push --help >out && test_grep "^usage: cbuild push" out &&
	cbuild login --help >out && test_grep "password-stdin" out
'

test_expect_success 'pull without a reference is a usage error' '
	test_exit_code 2 cbuild pull 2>err &&
	test_grep "expected one image reference" err
'

test_expect_success 'an invalid reference is exit 2, quoting it' '
	test_exit_code 2 cbuild pull Busybox 2>err &&
	test_grep "^error: invalid reference .Busybox.: repository name must be lowercase$" err &&
	test_exit_code 2 cbuild pull "a/b:-x" 2>err &&
	test_grep "invalid tag" err &&
	test_exit_code 2 cbuild pull "a@sha256:1234" 2>err &&
	test_grep "invalid digest" err
'

test_expect_success 'a bad pull policy or platform is exit 2' '
	test_exit_code 2 cbuild pull --pull=sometimes busybox 2>err &&
	test_grep "invalid pull policy .sometimes." err &&
	test_exit_code 2 cbuild pull --platform "" busybox 2>err
'

test_expect_success 'push of an image not in the store fails naming it' '
	test_exit_code 1 cbuild push nothere:1 2>err &&
	test_grep "nothere" err
'

test_expect_success 'push: bad --chunk-size' '
	test_exit_code 2 cbuild push --chunk-size -5 x 2>err &&
	test_grep "must be positive" err
'

test_expect_success 'login needs a user and exactly one password source' '
	test_exit_code 2 cbuild login r.example 2>err &&
	test_grep "username is required" err &&
	test_exit_code 2 cbuild login -u u -p p --password-stdin r.example 2>err &&
	test_grep "mutually exclusive" err &&
	test_exit_code 2 cbuild login -u u r.example 2>err &&
	test_grep "password-stdin" err &&
	printf "\n" | test_exit_code 2 cbuild login -u u --password-stdin r.example 2>err &&
	test_grep "password is empty" err
'

test_expect_success 'login/logout reject a bad host' '
	test_exit_code 2 cbuild logout "bad host" 2>err &&
	test_grep "invalid registry host" err &&
	echo p | test_exit_code 2 cbuild login -u u --password-stdin "a..b" 2>err
'

test_expect_success 'login to nothing listening is a network error, nothing stored' '
	port=$(python3 -c "import socket; s=socket.socket(); s.bind((\"127.0.0.1\",0)); print(s.getsockname()[1])") &&
	echo p | CBUILD_RETRY_BASE_MS=1 test_exit_code 1 cbuild login --tls-verify=false -u u --password-stdin 127.0.0.1:$port 2>err &&
	test_grep "login to .127.0.0.1:$port. failed" err &&
	! test -e "$DOCKER_CONFIG/config.json"
'

test_expect_success 'logout when not logged in' '
	cbuild logout r.example >out &&
	test_grep "Not logged in to r.example" out
'
test_done
