#!/bin/sh
test_description='cbuild debug dump-ast, expand and words: the frontend interface'
. "$(dirname "$0")/lib.sh"

test_expect_success 'dump-ast prints the BuildKit testfile dump' '
	printf "FROM busybox AS b\nCOPY --from=b a /x/\nENV k=v\nONBUILD RUN [\"echo\"]\n" >Dockerfile &&
	cbuild debug dump-ast Dockerfile >out &&
	printf "(from \"busybox\" \"AS\" \"b\")\n(copy [\"--from=b\"] \"a\" \"/x/\")\n(env \"k\" \"v\" \"=\")\n(onbuild (run \"echo\"))\n" >expect &&
	test_cmp expect out
'

test_expect_success 'dump-ast: a parse error is one line and exit 1' '
	printf "FROM x\nENV ONLY\n" >Dockerfile &&
	test_exit_code 1 cbuild debug dump-ast Dockerfile 2>err &&
	echo "error: Dockerfile:2: ENV must have two arguments" >expect &&
	test_cmp expect err
'

test_expect_success 'dump-ast: an empty file has no instructions' '
	: >Dockerfile &&
	test_exit_code 1 cbuild debug dump-ast Dockerfile 2>err &&
	test_grep "^error: file with no instructions$" err
'

test_expect_success 'dump-ast: a missing file and bad usage' '
	test_exit_code 1 cbuild debug dump-ast nosuchfile 2>err &&
	test_grep "nosuchfile" err &&
	test_exit_code 2 cbuild debug dump-ast 2>err &&
	test_grep "^usage: " err
'

test_expect_success 'expand applies ProcessWord with --env' '
	cbuild debug expand --env A=1 --env "B=x y" -- "\${A:-d}-\${B// /_}-\"\$B\"" >out &&
	echo "1-x_y-x y" >expect &&
	test_cmp expect out
'

test_expect_success 'expand: errors are exit 1 on stderr' '
	test_exit_code 1 cbuild debug expand -- "\${A:?must be set}" >out 2>err &&
	! test -s out &&
	test_grep "^error: failed to process .*A: must be set" err
'

test_expect_success 'expand --escape uses the backtick' '
	cbuild debug expand --escape "\`" -- "c:\\dir\`\$x" >out &&
	echo "c:\\dir\$x" >expect &&
	test_cmp expect out &&
	test_exit_code 2 cbuild debug expand --escape x -- a 2>err &&
	test_grep "escape" err
'

test_expect_success 'words splits like ProcessWords, one word a line' '
	cbuild debug words --env "S=a  b" -- "x\$S \"\$S\" c\\ d" >out &&
	printf "xa\nb\na  b\nc d\n" >expect &&
	test_cmp expect out
'

test_done
