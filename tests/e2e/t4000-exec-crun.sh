#!/bin/sh
test_description='the executor: RUN steps in crun (the shared suite in lib-exec.sh)'
. "$(dirname "$0")/lib.sh"
RT=crun RT_PREREQ=CRUN
. "$TEST_DIR/lib-exec.sh"
test_done
