#!/bin/sh
test_description='.dockerignore as the build sees it (cbuild debug ignore)'
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup a context' '
	mkdir -p ctx/build/keep ctx/build/junk ctx/src/deep ctx/node_modules/x &&
	touch ctx/Dockerfile ctx/build/keep/a ctx/build/junk/b ctx/src/main.c \
		ctx/src/deep/x.log ctx/node_modules/x/y ctx/README.md &&
	printf "# build output\nbuild\n!build/keep\n**/*.log\n/node_modules/\n  *.md  \n" >ctx/.dockerignore
'

test_expect_success 'the walk keeps exceptions below excluded directories' '
	cbuild debug ignore ctx >out &&
	printf ".dockerignore\nDockerfile\nbuild/keep/a\nsrc/main.c\n" >want &&
	test_cmp want out
'

test_expect_success 'single paths: last matching pattern wins' '
	cbuild debug ignore ctx build/junk/b build/keep/a build/keep src/deep/x.log README.md >out &&
	printf "build/junk/b\texcluded\nbuild/keep/a\tincluded\nbuild/keep\tincluded\nsrc/deep/x.log\texcluded\nREADME.md\texcluded\n" >want &&
	test_cmp want out
'

test_expect_success 'the Dockerfile-specific ignore file wins over .dockerignore' '
	mkdir -p ctx/df && touch ctx/df/app.Dockerfile &&
	printf "src\n" >ctx/df/app.Dockerfile.dockerignore &&
	cbuild debug ignore -f ctx/df/app.Dockerfile ctx src/main.c build/junk/b >out &&
	printf "src/main.c\texcluded\nbuild/junk/b\tincluded\n" >want &&
	test_cmp want out
'

test_expect_success 'a malformed pattern is a one-line error' '
	mkdir -p bad && printf "a[\n" >bad/.dockerignore &&
	test_exit_code 2 cbuild debug ignore bad x 2>err &&
	test_grep "^error: syntax error in pattern" err
'

test_expect_success 'a pattern that only fails when used fails the walk' '
	mkdir -p late && touch late/f && printf "[z-a]\n" >late/.dockerignore &&
	test_exit_code 2 cbuild debug ignore late 2>err &&
	test_grep "syntax error in pattern" err
'

test_done
