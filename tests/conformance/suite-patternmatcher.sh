#!/bin/sh
# suite-patternmatcher.sh - moby/patternmatcher vectors (.dockerignore
# matching, filepath.Match, pattern compilation, ignore-file reading),
# run by the C runner against builder/dockerfile/ignore.c.
"$CONF_BIN/runner_patternmatcher" "$CONFORMANCE_DIR/patternmatcher"
