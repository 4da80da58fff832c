#!/bin/sh
# suite-parser.sh - BuildKit parser vectors through the C runner, then the
# testfiles again through the public interface `cbuild debug dump-ast`.
d=$CONFORMANCE_DIR/buildkit/parser
"$CONF_BIN/runner_parser" "$d"
[ -x "$CBUILD" ] || { echo "suite parser-cli: 0 passed, 1 failed (no cbuild binary)"; exit 1; }
p=0 f=0
tmp=$(mktemp)
for c in "$d"/testfiles/*/; do
    name=$(basename "$c")
    if "$CBUILD" debug dump-ast "$c/Dockerfile" >"$tmp" 2>&1 && cmp -s "$tmp" "$c/result"; then
        p=$((p + 1))
    else
        f=$((f + 1))
        echo "FAIL parser-cli testfiles/$name"
    fi
done
for c in "$d"/testfiles-negative/*/; do
    name=$(basename "$c")
    "$CBUILD" debug dump-ast "$c/Dockerfile" >"$tmp" 2>&1
    rc=$?
    if [ "$rc" = 1 ] && [ "$(wc -l <"$tmp")" = 1 ] && grep -q '^error: ' "$tmp"; then
        p=$((p + 1))
    else
        f=$((f + 1))
        echo "FAIL parser-cli testfiles-negative/$name: exit $rc"
    fi
done
rm -f "$tmp"
echo "suite parser-cli: $p passed, $f failed"
