#!/bin/sh
# run-suites.sh KIND PROGRAM... [-- SCRIPT...]
#
# Runs unit-test binaries and e2e scripts, shows their output, reads each one's
# closing "N passed, N failed[, N skipped]" line and ends with the sum, in
# the same form.  A program that dies without a summary counts as one failure.
kind=$1
shift
tp=0 tf=0 ts=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

run_one() {
    name=$1
    shift
    "$@" >"$out" 2>&1
    rc=$?
    cat "$out"
    line=$(grep -E '^([A-Za-z]+: )?[0-9]+ passed, [0-9]+ failed' "$out" | tail -n 1)
    if [ -z "$line" ]; then
        echo "# $name: exited $rc without a summary"
        tf=$((tf + 1))
        return
    fi
    p=$(echo "$line" | sed -E 's/^([A-Za-z]+: )?([0-9]+) passed.*/\2/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    s=$(echo "$line" | sed -nE 's/.* ([0-9]+) skipped.*/\1/p')
    [ "$rc" != 0 ] && [ "$f" = 0 ] && f=1
    tp=$((tp + p)) tf=$((tf + f)) ts=$((ts + ${s:-0}))
    printf '# suite %s: %s passed, %s failed, %s skipped\n' "$name" "$p" "$f" "${s:-0}" >>"$out.sum"
}

: >"$out.sum"
e2e=0
for prog in "$@"; do
    if [ "$prog" = "--" ]; then
        e2e=1
        continue
    fi
    case "$kind:$e2e" in
    e2e:*|*:1) run_one "$(basename "$prog" .sh)" sh "$prog" ;;
    *) run_one "$(basename "$prog")" "$prog" ;;
    esac
done
echo
cat "$out.sum"
rm -f "$out.sum"
echo "$tp passed, $tf failed, $ts skipped"
[ "$tf" = 0 ]
