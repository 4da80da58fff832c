# lib-exec.sh - the executor's e2e suite, sourced by t4000-exec-crun.sh and
# t4001-exec-runc.sh with RT set to the runtime under test, so both runtimes
# pass the very same tests.  Steps run on the busybox base through
# `cbuild debug run`; the changes (the overlay upper dir) are inspected.

test_have_prereq "$RT_PREREQ" && test_have_prereq ROOT,OVERLAY,BUSYBOX && test_set_prereq EXEC

# run ARGS... -- CMD: one step with the runtime under test on the base rootfs.
run() { cbuild debug run --runtime "$RT" --rootfs "$TRASH/base/rootfs" "$@"; }

# The runtime's --root (a tmpfs dir when there is one), as cbuild noted it.
rt_root() { cat "$CBUILD_ROOT/run/runtime-root"; }

no_leftovers() {
    ! grep -q "$TRASH" /proc/self/mountinfo &&
    test -z "$(ls "$CBUILD_ROOT/run" | grep -v "^runtime")" &&
    test -z "$("$RT" --root "$(rt_root)" list -q 2>/dev/null)"
}


test_expect_success EXEC 'setup: the busybox rootfs' '
	busybox_image bb &&
	umoci unpack --image bb:latest base >/dev/null &&
	test -x base/rootfs/bin/busybox
'

test_expect_success EXEC 'output lands in the layer, deletions are whiteouts, a recreated dir is opaque' '
	run --changes ch -- sh -c "echo hello >/newfile; rm /etc/group; rm -rf /var && mkdir -p /var/opq && echo x >/var/opq/f" >out &&
	test "$(cat ch/newfile)" = hello &&
	test -c ch/etc/group &&
	test "$(stat -c %t:%T ch/etc/group)" = 0:0 &&
	getfattr --only-values -n trusted.overlay.opaque ch/var >opq &&
	test "$(cat opq)" = y &&
	test -f ch/var/opq/f &&
	no_leftovers
'

test_expect_success EXEC 'resolv.conf, hosts and mount targets never reach the layer' '
	run --changes ch2 --mount type=tmpfs,target=/new/tmp -- sh -c "cat /etc/hosts; test -d /new/tmp" >out &&
	test_grep buildkitsandbox out &&
	test -z "$(ls -A ch2)" &&
	no_leftovers
'

test_expect_success EXEC 'a step in its own cgroup (--cgroups)' '
	run --cgroups -- cat /proc/self/cgroup >out &&
	test_grep ":/.*cbuild-[A-Za-z0-9]*-[A-Za-z0-9]*$" out &&
	no_leftovers
'

test_expect_success EXEC 'stdout and stderr are streamed' '
	run -- sh -c "echo to-out; echo to-err >&2" >out 2>&1 &&
	test_grep to-out out &&
	test_grep to-err out
'

test_expect_success EXEC 'the environment: hostname, default PATH, HOME, env, cwd' '
	run -e FOO=bar -- sh -c "hostname; echo \$PATH; echo \$HOME; echo \$FOO; pwd" >out &&
	printf "%s\n" buildkitsandbox /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin /root bar / >want &&
	test_cmp want out
'

test_expect_success EXEC 'USER by name takes uid, gid and HOME from /etc/passwd' '
	run -u nobody -- sh -c "id -u; id -g; echo \$HOME" >out &&
	printf "65534\n65534\n/nonexistent\n" >want &&
	test_cmp want out
'

test_expect_success EXEC 'USER by uid:gid without a passwd entry, HOME is /' '
	run -u 1234:4321 -- sh -c "id -u; id -g; echo \$HOME" >out &&
	printf "1234\n4321\n/\n" >want &&
	test_cmp want out
'

test_expect_success EXEC 'USER name:group resolves the group name' '
	run -u root:nogroup -- sh -c "id -u; id -g" >out &&
	printf "0\n65534\n" >want &&
	test_cmp want out
'

test_expect_success EXEC 'supplementary groups come from /etc/group' '
	mkdir -p l2/etc && cp base/rootfs/etc/passwd base/rootfs/etc/group l2/etc/ &&
	echo "dev:x:1000:1000::/home/dev:/bin/sh" >>l2/etc/passwd &&
	echo "dev:x:1000:" >>l2/etc/group && echo "extra:x:2000:dev" >>l2/etc/group &&
	cbuild debug run --runtime "$RT" --rootfs "$TRASH/base/rootfs" --rootfs "$TRASH/l2" -u dev -- id -G >out &&
	echo "1000 2000" >want && test_cmp want out
'

test_expect_success EXEC 'an unknown user is an error naming it' '
	test_exit_code 1 run -u nosuchuser -- true 2>err &&
	test_grep "unable to find user nosuchuser" err &&
	no_leftovers
'

test_expect_success EXEC 'WORKDIR is created, owned by the user' '
	run --changes ch3 -u nobody -w /work/dir -- pwd >out &&
	echo /work/dir >want && test_cmp want out &&
	test "$(stat -c %u:%g ch3/work/dir)" = 65534:65534
'

test_expect_success EXEC 'a failing step reports its exit code and label' '
	test_exit_code 1 run --label Dockerfile:12 -- sh -c "echo last words; exit 3" >out 2>err &&
	test_grep "^error: Dockerfile:12: process \"sh -c echo last words; exit 3\" did not complete successfully: exit code: 3" err &&
	test_grep "last words" out &&
	no_leftovers
'

test_expect_success EXEC 'a command that does not exist fails cleanly' '
	test_exit_code 1 run -- /no/such/cmd 2>err &&
	test_grep "^error: runtime .* failed (status 1): .*no/such/cmd" err &&
	test "$(grep -c . err)" = 1 &&
	no_leftovers
'

test_expect_success EXEC '--network=none has only loopback and no route' '
	run --network none -- sh -c "cat /proc/net/route; ip -o link" >out &&
	test "$(grep -c . out)" -le 2 &&
	test_grep "lo:" out &&
	! grep -q eth out
'

test_expect_success EXEC '--network=default is the host network' '
	run -- cat /proc/net/route >out &&
	test "$(grep -c . out)" = "$(grep -c . /proc/net/route)"
'

test_expect_success EXEC 'cache mounts persist across runs' '
	run --mount type=cache,target=/cache -- sh -c "echo one >>/cache/log" &&
	run --mount type=cache,target=/cache,sharing=locked -- sh -c "echo two >>/cache/log" &&
	run --mount type=cache,target=/elsewhere,id=/cache -- cat /elsewhere/log >out &&
	printf "one\ntwo\n" >want && test_cmp want out &&
	run --changes ch4 --mount type=cache,target=/var/cache/x -- touch /var/cache/x/f &&
	test -z "$(ls -A ch4)"
'

test_expect_success EXEC 'parallel steps: sharing=locked serializes writers of one cache' '
	for i in 1 2 3; do
		run --mount type=cache,target=/c,id=par,sharing=locked -- \
			sh -c "echo start >>/c/log; sleep 0.3; echo end >>/c/log" &
	done; wait &&
	printf "start\nend\nstart\nend\nstart\nend\n" >want &&
	run --mount type=cache,target=/c,id=par -- cat /c/log >out &&
	test_cmp want out &&
	no_leftovers
'

test_expect_success EXEC 'a cache mount with uid, gid and mode' '
	run --mount type=cache,target=/c2,id=owned,uid=65534,gid=65534,mode=0700 -- stat -c "%u:%g %a" /c2 >out &&
	echo "65534:65534 700" >want && test_cmp want out
'

test_expect_success EXEC 'secrets are readable in the step and absent everywhere after' '
	echo s3cr3t-value >secret.txt &&
	run --changes ch5 --secret id=tok,src=secret.txt --mount type=secret,id=tok \
		-- sh -c "cat /run/secrets/tok; stat -c %a /run/secrets/tok" >out &&
	printf "s3cr3t-value\n400\n" >want && test_cmp want out &&
	! grep -r s3cr3t ch5 "$CBUILD_ROOT" &&
	test -z "$(ls -A ch5)" &&
	no_leftovers
'

test_expect_success EXEC 'a secret as an environment variable, and a required one missing' '
	SECRET_VAL=from-env run --secret id=e,env=SECRET_VAL --mount type=secret,id=e,env=TOKEN -- sh -c "echo \$TOKEN" >out &&
	echo from-env >want && test_cmp want out &&
	test_exit_code 1 run --mount type=secret,id=missing,required=true -- true 2>err &&
	test_grep "secret missing: not provided" err
'

test_expect_success EXEC 'a tmpfs is empty each time' '
	run --mount type=tmpfs,target=/scratch,size=1m -- sh -c "test -z \"\$(ls -A /scratch)\" && echo x >/scratch/f" &&
	run --mount type=tmpfs,target=/scratch -- sh -c "test -z \"\$(ls -A /scratch)\""
'

test_expect_success EXEC 'bind mounts are read-only unless rw, and rw changes are discarded' '
	mkdir -p ctx && echo orig >ctx/f &&
	test_must_fail run --mount type=bind,source=$TRASH/ctx,target=/ctx -- sh -c "echo new >/ctx/f" &&
	run --mount type=bind,source=$TRASH/ctx,target=/ctx,rw -- sh -c "echo new >/ctx/f; cat /ctx/f" >out &&
	echo new >want && test_cmp want out &&
	echo orig >want && test_cmp want ctx/f &&
	no_leftovers
'

test_expect_success EXEC 'ssh: the agent socket is forwarded' '
	python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$TRASH/agent.sock" &&
	run --ssh "default=$TRASH/agent.sock" --mount type=ssh -- sh -c "test -S \$SSH_AUTH_SOCK && echo \$SSH_AUTH_SOCK" >out &&
	echo /run/buildkit/ssh_agent.0 >want && test_cmp want out
'

test_expect_success EXEC 'the native snapshotter gives the same result' '
	run --snapshotter native --rootfs-out nat -- sh -c "echo hi >/newfile; rm /etc/group" &&
	test -f nat/newfile && ! test -e nat/etc/group && test -x nat/bin/busybox &&
	no_leftovers
'

test_expect_success EXEC 'a lowerdir chain longer than a page' '
	long=$TRASH/layers/$(printf "%0100d" 0) &&
	args= && i=0 &&
	while [ $i -lt 60 ]; do mkdir -p $long/$i/l && echo $i >$long/$i/l/f$i && args="$args --rootfs $long/$i"; i=$((i + 1)); done &&
	cbuild debug run --runtime "$RT" --rootfs "$TRASH/base/rootfs" $args -- sh -c "cat /l/f0 /l/f59; ls /l | wc -l" >out &&
	printf "0\n59\n60\n" >want && test_cmp want out
'

test_expect_success EXEC 'an image from the store as the base (layers unpacked by the store)' '
	cbuild load -i bb -t exec-base:latest >/dev/null &&
	cbuild debug run --runtime "$RT" --image exec-base:latest --changes ch6 -- sh -c "test -x /bin/busybox && rm /etc/passwd" &&
	test -c ch6/etc/passwd &&
	test_exit_code 1 cbuild debug run --runtime "$RT" --image no-such-image -- true 2>err &&
	test_grep "no-such-image" err
'

test_expect_success EXEC 'leftovers of a crashed run are cleaned at the next start' '
	mkdir -p "$CBUILD_ROOT/run/step-dead1/bundle" &&
	printf "999999 1\n" >"$CBUILD_ROOT/run/step-dead1/owner" &&
	run -- true &&
	! test -e "$CBUILD_ROOT/run/step-dead1"
'

test_expect_success EXEC 'a killed cbuild leaves a container that the next run deletes' '
	"$CBUILD" debug run --runtime "$RT" --rootfs "$TRASH/base/rootfs" -- sleep 1234 >/dev/null 2>&1 &
	pid=$! && sleep 1.5 && kill -KILL $pid; wait $pid;
	sleep 0.5 &&
	test -n "$("$RT" --root "$(rt_root)" list -q)" &&
	run -- true &&
	no_leftovers &&
	! pgrep -x -f "sleep 1234"
'

test_expect_success EXEC 'SIGTERM stops the step and leaves nothing behind' '
	"$CBUILD" debug run --runtime "$RT" --rootfs "$TRASH/base/rootfs" -- sleep 60 >/dev/null 2>err &
	pid=$! && sleep 1 && t0=$(date +%s) && kill -TERM $pid &&
	{ wait $pid; rc=$?; } ; test $rc = 130 &&
	test $(($(date +%s) - t0)) -lt 10 &&
	test_grep "cancelled" err &&
	no_leftovers
'

test_expect_success EXEC,TMUX 'Ctrl-C on a terminal stops the step and leaves nothing behind' '
	sess=cbexec$$ &&
	printf "#!/bin/sh\n\"%s\" debug run --runtime %s --rootfs %s -- sleep 60 2>%s\necho rc=\$? >%s\n" \
		"$CBUILD" "$RT" "$TRASH/base/rootfs" "$TRASH/tty.err" "$TRASH/tty.rc" >tty.sh &&
	tmux -L $sess new-session -d -s $sess -e CBUILD_ROOT="$CBUILD_ROOT" -e ASAN_OPTIONS="$ASAN_OPTIONS" \
		"bash $TRASH/tty.sh; sleep 30" &&
	sleep 1.5 && tmux -L $sess send-keys -t $sess C-c &&
	i=0 && while [ ! -s tty.rc ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done;
	tmux -L $sess kill-server;
	test_grep "rc=130" tty.rc &&
	test_grep "cancelled" tty.err &&
	no_leftovers
'

test_expect_success EXEC '--repeat runs the step on a fresh snapshot each time' '
	run --repeat 3 --changes ch7 -- sh -c "test ! -e /once && touch /once" 2>err &&
	test_grep "^3 steps: [0-9.]* ms per step" err &&
	test -f ch7/once &&
	no_leftovers
'

test_expect_success EXEC 'the runtime state dir is removed when no container is left' '
	run -- true &&
	! test -e "$(rt_root)"
'

test_expect_success EXEC 'bad arguments are usage errors' '
	test_exit_code 2 run --network bogus -- true 2>err &&
	test_grep "network" err &&
	test_exit_code 2 run --mount type=nope,target=/x -- true 2>err &&
	test_grep "unsupported mount type" err &&
	test_exit_code 2 run --snapshotter nope -- true 2>err
'
