#!/bin/sh
# suite-instructions.sh - BuildKit instruction-level vectors (C runner).
"$CONF_BIN/runner_instructions" "$CONFORMANCE_DIR/buildkit/instructions"
