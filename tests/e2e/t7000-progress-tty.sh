#!/bin/sh
test_description='cbuild build on a real terminal (tmux): the live view with timers and output tails, CACHED on a rebuild, the collapsed final frame ending with the image ID'
. "$(dirname "$0")/lib.sh"

# Our own tmux server, by socket name; only it is killed at the end.
SOCK=cbuild-t7000-$$
test_atexit "tmux -L $SOCK kill-server 2>/dev/null"

# run_tty NAME CMD...: run CMD in a fresh tmux window (200x50, a pty, CI
# unset), saving a frame of the pane every 0.1 s to NAME.frame.N until it
# exits; then NAME.final is the last frame and NAME.rc its exit status.
run_tty() {
	_n=$1 && shift &&
	printf "%s\n" "cd '$TRASH' && env -u CI TERM=xterm-256color $*; echo \$? >'$TRASH/$_n.rc.tmp' && mv '$TRASH/$_n.rc.tmp' '$TRASH/$_n.rc'; exec sleep 600" >"$_n.cmd" &&
	rm -f "$_n.rc" "$_n".frame.* &&
	tmux -L "$SOCK" -f /dev/null new-session -d -s "$_n" -x 200 -y 50 "sh '$TRASH/$_n.cmd'" &&
	_i=0 &&
	while [ ! -f "$_n.rc" ]; do
		_i=$((_i + 1))
		[ $_i -lt 1800 ] || { echo "run_tty: '$*' did not finish in 180 s" >&2; return 1; }
		tmux -L "$SOCK" capture-pane -p -J -t "$_n" >"$_n.frame.$_i" 2>/dev/null
		sleep 0.1
	done &&
	sleep 0.2 &&
	tmux -L "$SOCK" capture-pane -p -J -t "$_n" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}' >"$_n.final" &&
	tmux -L "$SOCK" kill-session -t "$_n"
}

# The frames of a run in which a step was running (no FINISHED header yet).
live_frames() {
	for f in "$1".frame.*; do
		if grep -q "^\[+\] Building [0-9.]*s (" "$f" && ! grep -q FINISHED "$f"; then echo "$f"; fi
	done
}

STEP2='\[stage-0 2/3\] RUN for i in'

test_expect_success ROOT,RUNTIME,BUSYBOX,TMUX 'setup: busybox in the store, a Dockerfile whose RUN talks for 2 s' '
	busybox_image bb &&
	cbuild load -i bb -t busybox:latest >/dev/null &&
	mkdir ctx &&
	cat >ctx/Dockerfile <<-\EOF
	FROM busybox
	RUN for i in $(seq 1 20); do echo "tick-$i"; sleep 0.1; done
	RUN echo built >/built
	EOF
'

test_expect_success ROOT,RUNTIME,BUSYBOX,TMUX 'the live view shows the running step with a timer and its output tail' '
	run_tty b1 "$CBUILD" build -t tty:1 --iidfile iid1 ctx &&
	test "$(cat b1.rc)" = 0 &&
	live_frames b1 >live &&
	test -s live &&
	# a running RUN step with its timer, and the tail of its output below it
	for f in $(cat live); do
		if grep -qE "^ => $STEP2.* [0-9]+\.[0-9]s\$" $f &&
			grep -qE "^ => => # tick-[0-9]+\$" $f; then echo $f; fi
	done >running &&
	test_grep . running &&
	# the timer moves between frames
	for f in $(cat running); do sed -n "s|^ => $STEP2.* \([0-9.]*\)s\$|\1|p" $f; done | sort -u >timers &&
	test $(wc -l <timers) -ge 3 &&
	# a tail, not the whole log: late frames show late lines without the first
	for f in $(cat running); do
		if grep -qE "^ => => # tick-1[0-9]\$" $f && ! grep -qx " => => # tick-1" $f; then echo $f; fi
	done >tail &&
	test_grep . tail
'

test_expect_success ROOT,RUNTIME,BUSYBOX,TMUX 'the final frame collapses to one line per step and ends with the image ID' '
	cat b1.final &&
	test_grep -E "^\[\+\] Building [0-9]+\.[0-9]s \(3/3\) FINISHED\$" b1.final &&
	test $(grep -c "^\[+\] Building" b1.final) = 1 &&
	test $(grep -c "^ => \[stage-0 [1-3]/3\] " b1.final) = 3 &&
	grep -E "^ => $STEP2.* [0-9]+\.[0-9]s\$" b1.final &&
	test_grep -E "^ => \[stage-0 3/3\] RUN echo built >/built [0-9]+\.[0-9]s\$" b1.final &&
	! grep "=> => #" b1.final &&
	! grep -F "[2K" b1.final &&
	test "$(tail -n 1 b1.final)" = "$(cat iid1)" &&
	test_grep -E "^sha256:[0-9a-f]{64}\$" iid1
'

test_expect_success ROOT,RUNTIME,BUSYBOX,TMUX 'a rebuild marks the steps CACHED and gives the same image ID' '
	run_tty b2 "$CBUILD" build -t tty:2 --iidfile iid2 ctx &&
	cat b2.final &&
	test "$(cat b2.rc)" = 0 &&
	test_grep -E "^\[\+\] Building [0-9]+\.[0-9]s \(3/3\) FINISHED\$" b2.final &&
	test_grep -E "^ => $STEP2.* CACHED [0-9]+\.[0-9]s\$" b2.final &&
	test_grep -E "^ => \[stage-0 3/3\] RUN echo built >/built CACHED" b2.final &&
	! grep "=> => #" b2.final &&
	test "$(tail -n 1 b2.final)" = "$(cat iid1)" &&
	test_cmp iid1 iid2
'

test_expect_success ROOT,RUNTIME,BUSYBOX,TMUX 'a failing step is marked ERROR with its exit code and output' '
	mkdir bad &&
	printf "FROM busybox\nRUN echo the-reason-it-broke; exit 3\n" >bad/Dockerfile &&
	run_tty b3 "$CBUILD" build bad &&
	cat b3.final &&
	test "$(cat b3.rc)" = 1 &&
	test_grep -E "^ => \[stage-0 2/2\] RUN echo the-reason-it-broke; exit 3 ERROR" b3.final &&
	test_grep "exit.* 3" b3.final &&
	test_grep "the-reason-it-broke" b3.final &&
	! grep -E "^sha256:" b3.final
'

test_expect_success ROOT,RUNTIME,BUSYBOX,TMUX 'auto is plain when CI is set or stderr is a pipe, even on a terminal' '
	run_tty b4 CI=true "$CBUILD" build ctx &&
	test "$(cat b4.rc)" = 0 &&
	test_grep -E "^#[0-9]+ .*RUN for i in" b4.final &&
	! grep "^\[+\] Building" b4.final &&
	run_tty b5 "$CBUILD" build ctx "2>&1 | cat" &&
	test_grep -E "^#[0-9]+ .*RUN for i in" b5.final &&
	! grep "^\[+\] Building" b5.final
'

test_done
