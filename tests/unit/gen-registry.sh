#!/bin/sh
# gen-registry.sh FILE... - print a C file registering every TEST(name) in FILEs.
set -e
names=$(grep -ho '^TEST([A-Za-z0-9_]*)' "$@" 2>/dev/null | sed 's/^TEST(\(.*\))$/\1/')
echo '#include "harness.h"'
for n in $names; do echo "TEST($n);"; done
echo 'const struct t_case t_cases[] = {'
for n in $names; do echo "    {\"$n\", test_$n},"; done
echo '    {0, 0},'
echo '};'
