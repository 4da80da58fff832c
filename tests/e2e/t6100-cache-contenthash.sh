#!/bin/sh
test_description='the build cache: content digests of a context and the persistent stat cache'
. "$(dirname "$0")/lib.sh"

# files hashed N, ... as printed by --stats
hashed() { sed -n 's/^files hashed \([0-9]*\),.*/\1/p' "$1"; }

test_expect_success 'setup: a small context, older than the coarse clock tick' '
	mkdir -p ctx/src/lib ctx/logs/keep &&
	echo alpha >ctx/a.txt &&
	echo "int main;" >ctx/src/main.c &&
	echo util >ctx/src/lib/util.c &&
	echo log >ctx/logs/x.log &&
	echo kept >ctx/logs/keep/k.log &&
	ln -s src/main.c ctx/link &&
	printf "logs\n!logs/keep\n" >ctx/.dockerignore &&
	sleep 0.1
'

test_expect_success 'the first digest reads every file and saves the stat cache' '
	cbuild debug contenthash --stats ctx >d1 2>err &&
	test_grep "^sha256:[0-9a-f]\{64\}$" d1 &&
	test "$(hashed err)" = 6 &&
	test "$(ls "$CBUILD_ROOT/cache/statcache" | wc -l)" = 1
'

test_expect_success 'the second digest reads nothing and gives the same digest' '
	cbuild debug contenthash --stats ctx >d2 2>err &&
	test_cmp d1 d2 &&
	test "$(hashed err)" = 0 &&
	test_grep "cache hits 6" err
'

test_expect_success 'touching a file keeps the digest; editing it changes it' '
	touch -d "2001-01-01" ctx/a.txt &&
	cbuild debug contenthash ctx >d3 &&
	test_cmp d1 d3 &&
	echo ALPHA >ctx/a.txt &&
	cbuild debug contenthash --stats ctx >d4 2>err &&
	! test_cmp d1 d4 >/dev/null &&
	test "$(hashed err)" = 1
'

test_expect_success '.dockerignore: an excluded file does not count, a re-included one does' '
	cbuild debug contenthash --dockerignore ctx >i1 &&
	echo more >>ctx/logs/x.log &&
	cbuild debug contenthash --dockerignore ctx >i2 &&
	test_cmp i1 i2 &&
	echo more >>ctx/logs/keep/k.log &&
	cbuild debug contenthash --dockerignore ctx >i3 &&
	! test_cmp i1 i3 >/dev/null
'

test_expect_success 'selected paths: order and names count, threads do not' '
	cbuild debug contenthash ctx a.txt src >p1 &&
	cbuild debug contenthash ctx src a.txt >p2 &&
	cbuild debug contenthash ctx ./a.txt src/ >p3 &&
	cbuild debug contenthash --threads 4 ctx a.txt src >p4 &&
	! test_cmp p1 p2 >/dev/null &&
	test_cmp p1 p3 &&
	test_cmp p1 p4
'

test_expect_success 'a corrupt stat cache is ignored with a warning and rewritten' '
	cbuild debug contenthash ctx >c1 &&
	f=$(ls "$CBUILD_ROOT"/cache/statcache/*) &&
	echo garbage >"$f" &&
	cbuild debug contenthash --stats ctx >c2 2>err &&
	test_cmp c1 c2 &&
	test_grep "ignoring corrupt stat cache" err &&
	cbuild debug contenthash --stats ctx >c3 2>err &&
	test "$(hashed err)" = 0
'

test_expect_success 'bad arguments' '
	test_exit_code 1 cbuild debug contenthash ctx nope 2>err &&
	test_grep "^error: source .nope. not found$" err &&
	test_exit_code 2 cbuild debug contenthash ctx/../ctx ../x 2>err &&
	test_grep "outside the root" err &&
	test_exit_code 2 cbuild debug contenthash 2>err &&
	test_grep "expected DIR" err &&
	test_exit_code 2 cbuild debug contenthash --threads 0 ctx 2>err &&
	test_grep "threads" err
'

test_expect_success 'prune --cache drops the stat caches' '
	cbuild prune --cache >out &&
	test "$(ls "$CBUILD_ROOT/cache/statcache" | wc -l)" = 0
'

test_done
