#!/bin/sh
test_description='cbuild build under valgrind: a cold and a no-op multi-stage build leak nothing'
. "$(dirname "$0")/lib.sh"

# The release binary: valgrind and ASan do not mix.
RELBIN=$SRC_DIR/build/rel/cbuild
[ -x "$RELBIN" ] || RELBIN=$SRC_DIR/cbuild

vg() {
	valgrind --leak-check=full --log-file="$1.%p" \
		"$RELBIN" build --progress=plain --jobs 1 -t vg:latest --label vg=1 ctx >/dev/null 2>"$1.out"
}

# every process valgrind followed (forked helpers too) lost nothing, and the
# build process itself freed everything
no_leaks() {
	n=0
	for f in "$1".[0-9]*; do
		n=$((n + 1))
		# a helper that exec'd the runtime ends without a summary
		grep -q "HEAP SUMMARY" "$f" || continue
		if grep -q "definitely lost: [1-9]" "$f" || grep -q "indirectly lost: [1-9]" "$f"; then
			cat "$f"
			return 1
		fi
	done
	test $n -gt 0 &&
	grep -l "All heap blocks were freed" "$1".[0-9]* >/dev/null
}

test_expect_success ROOT,RUNTIME,BUSYBOX,VALGRIND 'setup' '
	busybox_image bb &&
	"$RELBIN" load -i bb -t busybox:latest >/dev/null &&
	cp -r "$TEST_DIR/fixtures/multistage" ctx
'

test_expect_success ROOT,RUNTIME,BUSYBOX,VALGRIND 'a cold build leaks nothing' '
	vg cold &&
	no_leaks cold
'

test_expect_success ROOT,RUNTIME,BUSYBOX,VALGRIND 'a no-op rebuild leaks nothing' '
	vg noop &&
	test_grep CACHED noop.out &&
	no_leaks noop
'

test_done
