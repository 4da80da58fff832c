#!/bin/sh
# lint.sh [CFLAGS...] - clang-format check, every header compiles alone,
# every .c includes banned.h last, and no include points up a layer.  Files
# git tracks and new ones it does not ignore are checked.
set -u
fail=0
srcs=$(git ls-files -co --exclude-standard '*.c' '*.h' 2>/dev/null | grep -E '^(base|oci|cache|builder|cli)/')

if command -v clang-format >/dev/null 2>&1; then
    for f in $srcs; do
        # generated files ("do not edit" at the top) follow their generator
        head -n 5 "$f" | grep -q "do not edit" && continue
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "lint: $f: not clang-formatted (make format)"
            fail=1
        fi
    done
fi

for h in $(echo "$srcs" | grep '\.h$'); do
    if ! printf '#include "%s"\n' "$h" | ${CC:-cc} -std=c11 -D_GNU_SOURCE -fsyntax-only \
            -Wall -Werror -I. "$@" -x c - 2>/tmp/lint.$$; then
        echo "lint: $h does not compile alone:"
        head -n 5 /tmp/lint.$$
        fail=1
    fi
done
rm -f /tmp/lint.$$

for c in $(echo "$srcs" | grep '\.c$'); do
    last=$(grep -E '^#include' "$c" | tail -n 1)
    case "$last" in
    *banned.h*) ;;
    *) echo "lint: $c: banned.h must be the last include"; fail=1 ;;
    esac
done

# layer order: cli(5) builder(4) cache(3) oci(2) base(1)
rank() {
    case "$1" in
    cli/*) echo 5 ;; builder/*) echo 4 ;; cache/*) echo 3 ;; oci/*) echo 2 ;; base/*) echo 1 ;;
    *) echo 0 ;;
    esac
}
for f in $srcs; do
    r=$(rank "$f")
    for inc in $(grep -oE '^#include "[^"]+"' "$f" | sed 's/#include "\(.*\)"/\1/'); do
        target=$(realpath -m --relative-to=. "$(dirname "$f")/$inc")
        tr=$(rank "$target")
        if [ "$tr" -gt "$r" ]; then
            echo "lint: $f includes $inc, a layer above it"
            fail=1
        fi
        case "$f:$target" in
        builder/dockerfile/*:builder/exec/*|builder/dockerfile/*:oci/*|builder/dockerfile/*:cache/*)
            echo "lint: $f: the frontend knows nothing of execution ($inc)"; fail=1 ;;
        esac
    done
done

if command -v python3 >/dev/null 2>&1 && ! python3 scripts/gen-docs.py --check; then
    fail=1
fi

[ $fail = 0 ] && echo "lint: ok"
exit $fail
