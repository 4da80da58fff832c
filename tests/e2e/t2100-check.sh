#!/bin/sh
test_description='cbuild check: BuildKit build checks without building (golden cases in tests/data/check)'
. "$(dirname "$0")/lib.sh"

data="$SRC_DIR/tests/data/check"

# Run one golden case: Dockerfile, optional .dockerignore and args (K=V per
# line), expected.json, and expected-error (a substring of stderr; exit 1
# unless expected-exit says otherwise).
check_case() {
	rm -rf ctx && mkdir ctx &&
	cp "$data/$1/Dockerfile" ctx/ &&
	{ test ! -f "$data/$1/.dockerignore" || cp "$data/$1/.dockerignore" ctx/; } &&
	set -- "$1" &&
	args= &&
	if test -f "$data/$1/args"; then
		while read -r kv; do args="$args --build-arg $kv"; done <"$data/$1/args"
	fi &&
	want=0 &&
	{ test ! -f "$data/$1/expected-error" || want=1; } &&
	{ test ! -f "$data/$1/expected-exit" || want=$(cat "$data/$1/expected-exit"); } &&
	test_exit_code $want cbuild check --format json $args ctx >out.json 2>err &&
	python3 -c "import json,sys; a=json.load(open(sys.argv[1])); b=json.load(open(sys.argv[2])); sys.exit(a!=b)" \
		"$data/$1/expected.json" out.json &&
	{ test ! -f "$data/$1/expected-error" || test_grep -F "$(cat "$data/$1/expected-error")" err; }
}

for dir in "$data"/*/; do
	name=$(basename "$dir")
	test_expect_success PYTHON3 "golden: $name" "check_case $name"
done

test_expect_success 'text output names the rule, the URL and Dockerfile:LINE' '
	mkdir -p t && printf "FROM alpine\nMAINTAINER me\n" >t/Dockerfile &&
	cbuild check t >out &&
	test_grep "^WARNING: MaintainerDeprecated - https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/" out &&
	test_grep "^Maintainer instruction is deprecated in favor of using label" out &&
	test_grep "^Dockerfile:2" out &&
	test_grep ">>> MAINTAINER me" out
'

test_expect_success 'a clean Dockerfile says so and exits 0' '
	mkdir -p c && printf "FROM alpine\nRUN true\n" >c/Dockerfile &&
	cbuild check c >out &&
	test_grep "no warnings found" out
'

test_expect_success '-f picks the Dockerfile and its own .dockerignore' '
	mkdir -p f/sub && printf "FROM alpine\nCOPY a.txt /\n" >f/sub/app.Dockerfile &&
	printf "b.txt\n" >f/.dockerignore && printf "a.txt\n" >f/sub/app.Dockerfile.dockerignore &&
	cbuild check --format json -f f/sub/app.Dockerfile f >out.json &&
	test_grep "\"rule\": \"CopyIgnoredFile\"" out.json
'

test_expect_success '-f - reads the Dockerfile from stdin (the context ignore file still applies)' '
	mkdir -p s && printf "x.txt\n" >s/.dockerignore &&
	printf "FROM alpine\nCOPY x.txt /\n" | cbuild check --format json -f - s >out.json &&
	test_grep "Attempting to Copy file" out.json
'

test_expect_success 'InvalidBaseImagePlatform for a base image in the local store' '
	mkdir -p r/rootfs r/ctx && echo hi >r/rootfs/f &&
	cbuild debug mkimage --rootfs r/rootfs -o other:1 --platform linux/s390x >/dev/null &&
	printf "FROM other:1\nFROM --platform=linux/s390x other:1 AS s390x\nFROM unknown:1\n" >r/ctx/Dockerfile &&
	cbuild check --format json r/ctx >out.json &&
	test_grep "Base image other:1 was pulled with platform ..linux/s390x.., expected ..linux/" out.json &&
	test $(grep -c InvalidBaseImagePlatform out.json) = 1
'

test_expect_success 'check never creates a store' '
	CBUILD_ROOT="$TRASH/nostore" cbuild check c >/dev/null &&
	test ! -e "$TRASH/nostore"
'

test_expect_success 'a parse error exits 2 with Dockerfile:LINE' '
	mkdir -p p && printf "FROM alpine\nFROBNICATE x\n" >p/Dockerfile &&
	test_exit_code 2 cbuild check p 2>err &&
	test_grep "Dockerfile:2" err
'

test_expect_success 'bad options are usage errors (exit 2)' '
	test_exit_code 2 cbuild check --format yaml c 2>err &&
	test_grep "format" err &&
	test_exit_code 2 cbuild check --build-arg =x c 2>err &&
	test_grep "build-arg" err &&
	test_exit_code 2 cbuild check a b 2>err
'

test_expect_success '--build-arg KEY takes the value from the environment' '
	mkdir -p e && printf "ARG IMG\nFROM \$IMG\n" >e/Dockerfile &&
	IMG=alpine cbuild check --format json --build-arg IMG e >out.json &&
	test_grep "InvalidDefaultArgInFrom" out.json &&
	test_exit_code 1 cbuild check --build-arg UNSET_IN_ENV e 2>err &&
	test_grep "base name (\$IMG) should not be blank" err
'

test_expect_success 'a missing Dockerfile is an error naming it' '
	test_exit_code 1 cbuild check nowhere 2>err &&
	test_grep "nowhere/Dockerfile" err
'

test_expect_success 'a bad check directive is an error' '
	mkdir -p d && printf "# check=frobnicate=1\nFROM alpine\n" >d/Dockerfile &&
	test_exit_code 2 cbuild check d 2>err &&
	test_grep "invalid check option" err
'

test_done
