#!/bin/sh
test_description='the executor: RUN steps in runc (the shared suite in lib-exec.sh)'
. "$(dirname "$0")/lib.sh"
RT=runc RT_PREREQ=RUNC
. "$TEST_DIR/lib-exec.sh"
test_done
