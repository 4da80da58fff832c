#!/bin/sh
# gen-registry.sh FILE... - print a C file registering every TEST(name) in
# FILEs, and both names of every TEST2(name, variant).
set -e
names=$(grep -hoE '^TEST2?\([A-Za-z0-9_]*(, *[A-Za-z0-9_]*)?\)' "$@" 2>/dev/null |
	sed -E 's/^TEST\(([^)]*)\)$/\1/; s/^TEST2\(([^,]*), *([^)]*)\)$/\1 \1_\2/')
echo '#include "harness.h"'
for n in $names; do echo "TEST($n);"; done
echo 'const struct t_case t_cases[] = {'
for n in $names; do echo "    {\"$n\", test_$n},"; done
echo '    {0, 0},'
echo '};'
