# lib.sh - end-to-end test library, in git's t/test-lib.sh style.
#
#   test_description='what this script covers'
#   . "$(dirname "$0")/lib.sh"
#   test_expect_success 'title' 'cmd && cmd'
#   test_expect_success ROOT,CRUN 'title' '...'    # skipped unless prereqs hold
#   test_done
#
# Every script runs in its own trash directory ($TRASH, also the cwd), removed
# at the end unless a test failed and CBUILD_KEEP_TRASH is set.  $CBUILD is
# the binary under test (default: the repository's ./cbuild); call it as
# `cbuild`.  Prerequisites detected here: ROOT, CRUN, RUNC, RUNTIME, SKOPEO,
# UMOCI, REGISTRY, BUSYBOX, PYTHON3, OVERLAY, CURL, HTPASSWD, TMUX, VALGRIND.
# Scripts may add their own with test_set_prereq.  test_atexit registers
# cleanup commands (e.g. registry_stop) that run even when a test fails.

TEST_DIR=$(cd "$(dirname "$0")" && pwd)
SRC_DIR=$(cd "$TEST_DIR/../.." && pwd)
HELPERS=$SRC_DIR/tests/helpers
: "${CBUILD:=$SRC_DIR/cbuild}"
export CBUILD SRC_DIR HELPERS
: "${CBUILD_TEST_CACHE:=${TMPDIR:-/tmp}/cbuild-test-cache}"
export CBUILD_TEST_CACHE
# ASan's leak checker cannot follow our fork+exec children; keep it on for
# the cbuild process itself.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

test_name=$(basename "$0" .sh)
test_count=0 test_pass=0 test_fail=0 test_skip=0
test_prereqs=" "
test_atexit_cmds=""

TRASH=$(mktemp -d "${TMPDIR:-/tmp}/cbuild-e2e.$test_name.XXXXXX")
export TRASH
export CBUILD_ROOT="$TRASH/store"
export HOME="$TRASH/home"
export DOCKER_CONFIG="$TRASH/home/.docker"
mkdir -p "$HOME"
cd "$TRASH" || exit 1

cbuild() { "$CBUILD" "$@"; }

say() { printf '%s\n' "$*"; }

test_set_prereq() { test_prereqs="$test_prereqs$1 "; }
test_have_prereq() {
    _ifs=$IFS IFS=,
    for _p in $1; do
        case "$test_prereqs" in
        *" $_p "*) ;;
        *) IFS=$_ifs; return 1 ;;
        esac
    done
    IFS=$_ifs
    return 0
}

[ "$(id -u)" = 0 ] && test_set_prereq ROOT
command -v crun >/dev/null 2>&1 && test_set_prereq CRUN
command -v runc >/dev/null 2>&1 && test_set_prereq RUNC
{ test_have_prereq CRUN || test_have_prereq RUNC; } && test_set_prereq RUNTIME
command -v skopeo >/dev/null 2>&1 && test_set_prereq SKOPEO
command -v umoci >/dev/null 2>&1 && test_set_prereq UMOCI
command -v docker-registry >/dev/null 2>&1 && test_set_prereq REGISTRY
command -v busybox >/dev/null 2>&1 && test_have_prereq UMOCI && test_set_prereq BUSYBOX
command -v python3 >/dev/null 2>&1 && test_set_prereq PYTHON3
command -v curl >/dev/null 2>&1 && test_set_prereq CURL
command -v htpasswd >/dev/null 2>&1 && test_set_prereq HTPASSWD
command -v tmux >/dev/null 2>&1 && test_set_prereq TMUX
command -v valgrind >/dev/null 2>&1 && test_set_prereq VALGRIND
grep -qw overlay /proc/filesystems 2>/dev/null && test_have_prereq ROOT && test_set_prereq OVERLAY

test_atexit() { test_atexit_cmds="$1
$test_atexit_cmds"; }

test_expect_success() {
    if [ $# = 3 ]; then _pre=$1; shift; else _pre=; fi
    _title=$1 _body=$2
    test_count=$((test_count + 1))
    if [ -n "$_pre" ] && ! test_have_prereq "$_pre"; then
        test_skip=$((test_skip + 1))
        say "ok $test_count # skip $_title (missing $_pre)"
        return 0
    fi
    (cd "$TRASH" && eval "$_body") >"$TRASH/.out" 2>&1 </dev/null
    _rc=$?
    if [ $_rc = 0 ]; then
        test_pass=$((test_pass + 1))
        say "ok $test_count - $_title"
        [ -n "${CBUILD_TEST_VERBOSE:-}" ] && sed 's/^/#   /' "$TRASH/.out"
    else
        test_fail=$((test_fail + 1))
        say "not ok $test_count - $_title"
        say "#   exit $_rc; the body was:"
        printf '%s\n' "$_body" | sed 's/^/#     /'
        say "#   its output (last 40 lines):"
        tail -n 40 "$TRASH/.out" | sed 's/^/#   | /'
    fi
    return 0
}

# A body that must fail; for a command that must exit non-zero use
# test_must_fail inside test_expect_success instead.
test_must_fail() {
    "$@"
    _rc=$?
    if [ $_rc = 0 ]; then
        say "test_must_fail: '$*' succeeded" >&2
        return 1
    fi
    if [ $_rc -gt 128 ] && [ $_rc != 130 ]; then
        say "test_must_fail: '$*' died of signal $((_rc - 128))" >&2
        return 1
    fi
    return 0
}

# test_exit_code N cmd...: cmd must exit exactly N.
test_exit_code() {
    _want=$1
    shift
    "$@"
    _rc=$?
    [ $_rc = "$_want" ] || { say "test_exit_code: '$*' exited $_rc, want $_want" >&2; return 1; }
}

test_cmp() { diff -u "$1" "$2"; }
test_grep() {
    if ! grep "$@"; then
        say "test_grep: no match for '$*'" >&2
        for _f; do :; done
        [ -f "$_f" ] && sed 's/^/#   | /' "$_f" >&2
        return 1
    fi
}

# busybox_image DIR [TAG]: an OCI layout with the busybox base, cached
# between runs in $CBUILD_TEST_CACHE.
busybox_image() {
    _bbv=$(busybox 2>&1 | head -n 1 | tr -c 'A-Za-z0-9.\n' '_')
    _cache="$CBUILD_TEST_CACHE/busybox-$_bbv"
    if [ ! -f "$_cache/index.json" ]; then
        mkdir -p "$CBUILD_TEST_CACHE"
        rm -rf "$_cache.tmp.$$"
        sh "$HELPERS/busybox-image.sh" "$_cache.tmp.$$" latest >/dev/null &&
            { mv "$_cache.tmp.$$" "$_cache" 2>/dev/null || rm -rf "$_cache.tmp.$$"; }
    fi
    rm -rf "$1"
    cp -a "$_cache" "$1" || return 1
    if [ -n "${2:-}" ] && [ "$2" != latest ]; then
        umoci tag --image "$1:latest" "$2" && umoci rm --image "$1:latest"
    fi
}

test_done() {
    _ifs=$IFS IFS='
'
    for _c in $test_atexit_cmds; do eval "$_c" >/dev/null 2>&1; done
    IFS=$_ifs
    say "1..$test_count"
    say "$test_pass passed, $test_fail failed, $test_skip skipped"
    cd /
    if [ $test_fail = 0 ] || [ -z "${CBUILD_KEEP_TRASH:-}" ]; then
        rm -rf "$TRASH" 2>/dev/null || { umount -R "$TRASH"/* 2>/dev/null; rm -rf "$TRASH"; }
    else
        say "# trash kept in $TRASH"
    fi
    [ $test_fail = 0 ]
    exit $?
}

trap 'test_fail=$((test_fail + 1)); test_done' INT TERM
