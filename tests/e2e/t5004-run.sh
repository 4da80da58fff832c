#!/bin/sh
test_description='cbuild run: an image command once, docker run --rm style'
. "$(dirname "$0")/lib.sh"

test_expect_success ROOT,RUNTIME,BUSYBOX 'setup: an image with ENTRYPOINT, CMD, USER, WORKDIR, ENV' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	mkdir app &&
	printf "FROM busybox:latest\nRUN echo \"app:x:1000:1000::/home/app:/bin/sh\" >> /etc/passwd && mkdir -p /home/app && chown 1000 /home/app\nENV GREETING=hi\nUSER app\nWORKDIR /home/app\nENTRYPOINT [\"/bin/sh\", \"-c\"]\nCMD [\"echo \$GREETING from \$(id -un) in \$(pwd)\"]\n" >app/Dockerfile &&
	cbuild build --progress=quiet -t app:test app >/dev/null
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'the image command runs as its user in its workdir' '
	cbuild run --rm app:test >out &&
	test "$(cat out)" = "hi from app in /home/app"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'groups as docker run gives them: the primary group is a supplementary one; RUN steps keep BuildKit'"'"'s' '
	mkdir -p grp &&
	printf "FROM busybox:latest\nRUN echo \"app:x:1000:1000::/:/bin/sh\" >> /etc/passwd && echo \"app:x:1000:\" >> /etc/group && echo \"grp:x:2000:app\" >> /etc/group\nUSER app:grp\nRUN grep ^Groups: /proc/self/status > /tmp/build-groups\n" >grp/Dockerfile &&
	cbuild build -q -t grp:test grp >/dev/null &&
	groups() { cbuild run "$@" --entrypoint grep grp:test ^Groups: /proc/self/status | tr -s "\t " " " | sed "s/ *\$//"; } &&
	test "$(groups)" = "Groups: 2000" &&
	test "$(groups --user app)" = "Groups: 1000 2000" &&
	test "$(groups --user root)" = "Groups: 0" &&
	test "$(cbuild run --entrypoint cat grp:test /tmp/build-groups | tr -s "\t " " " | sed "s/ *\$//")" = "Groups:"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'arguments replace CMD; -e sets env; the exit status is the command'"'"'s' '
	cbuild run -e GREETING=hello app:test "echo \$GREETING" >out &&
	test "$(cat out)" = hello &&
	test_exit_code 7 cbuild run app:test "exit 7"
'

test_expect_success ROOT,RUNTIME,BUSYBOX 'the common check: --entrypoint sh IMAGE -c "echo \$HOME"' '
	cbuild run --rm --entrypoint sh app:test -c "echo \$HOME" >out &&
	test "$(cat out)" = /home/app &&
	cbuild run --user root -w /tmp --entrypoint sh app:test -c "id -u; pwd" >out2 &&
	printf "0\n/tmp\n" >want &&
	test_cmp want out2
'

test_expect_success ROOT,RUNTIME,BUSYBOX '-v binds a host directory; --network none has only loopback' '
	mkdir host && echo "from the host" >host/file &&
	cbuild run -v "$TRASH/host:/data:ro" --entrypoint cat app:test /data/file >out &&
	test "$(cat out)" = "from the host" &&
	cbuild run --network none --entrypoint sh app:test -c "cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d \" \"" >ifs &&
	test "$(cat ifs)" = lo
'

test_expect_success 'usage errors' '
	test_exit_code 2 cbuild run 2>err &&
	test_grep "expected an image" err &&
	test_exit_code 2 cbuild run --network bridge busybox:latest true 2>err2 &&
	test_grep "want host or none" err2
'

test_done
