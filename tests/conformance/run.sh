#!/bin/sh
# run.sh - the conformance driver behind `make conformance`.
#
# Runs every tests/conformance/suite-*.sh in name order.  A suite prints any
# number of lines "suite NAME: N passed, N failed" (plus failure details);
# this driver echoes everything and ends with the sum "N passed, N failed".
# Adding a suite means adding a file: nothing here changes.
#
# Environment given to each suite:
#   CONFORMANCE_DIR  the shared vectors (../shared/conformance)
#   CBUILD           the cbuild binary under test
#   CONF_BIN         directory holding the C runners built by mk/conformance.mk
#   CONF_SRC         this directory
# Exit status: 0 when nothing failed, or when the shared data is absent.
here=$(cd "$(dirname "$0")" && pwd)
: "${CONFORMANCE_DIR:=$here/../../../shared/conformance}"
if [ ! -d "$CONFORMANCE_DIR" ]; then
    echo "conformance: $CONFORMANCE_DIR is absent, skipping"
    echo "0 passed, 0 failed"
    exit 0
fi
CONFORMANCE_DIR=$(cd "$CONFORMANCE_DIR" && pwd)
CONF_SRC=$here
export CONFORMANCE_DIR CONF_SRC CBUILD CONF_BIN

tp=0 tf=0
out=$(mktemp)
sums=$(mktemp)
trap 'rm -f "$out" "$sums"' EXIT
for suite in "$here"/suite-*.sh; do
    [ -f "$suite" ] || continue
    sh "$suite" >"$out" 2>&1
    rc=$?
    grep -v -E '^suite [^ ]+: [0-9]+ passed, [0-9]+ failed' "$out"
    lines=$(grep -E '^suite [^ ]+: [0-9]+ passed, [0-9]+ failed' "$out")
    if [ -z "$lines" ]; then
        echo "suite $(basename "$suite" .sh): 0 passed, 1 failed (exited $rc without a summary)" >>"$sums"
        tf=$((tf + 1))
        continue
    fi
    echo "$lines" >>"$sums"
    p=$(echo "$lines" | sed -E 's/^suite [^ ]+: ([0-9]+) passed.*/\1/' | awk '{s+=$1} END {print s+0}')
    f=$(echo "$lines" | sed -E 's/^suite [^ ]+: [0-9]+ passed, ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
    tp=$((tp + p)) tf=$((tf + f))
done
echo
cat "$sums"
echo "$tp passed, $tf failed"
[ "$tf" = 0 ]
