#!/bin/sh
test_description='push and pull against the real docker-registry, plain mode'
. "$(dirname "$0")/lib.sh"
. "$TEST_DIR/lib-registry.sh"

registry_suite plain
test_done
