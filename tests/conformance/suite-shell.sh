#!/bin/sh
# suite-shell.sh - BuildKit shell-lexer vectors through the C runner, then
# envVarTest through the public interface `cbuild debug expand`.
d=$CONFORMANCE_DIR/buildkit/shell
"$CONF_BIN/runner_shell" "$d"
[ -x "$CBUILD" ] || { echo "suite shell-cli: 0 passed, 1 failed (no cbuild binary)"; exit 1; }
python3 - "$CBUILD" "$d/envVarTest" <<'PY'
import subprocess, sys
cbuild, path = sys.argv[1], sys.argv[2]
env = ["PWD=/home", "SHELL=bash", "KOREAN=한국어", "NULL="]
args = []
for e in env:
    args += ["--env", e]
p = f = 0
for line in open(path, encoding="utf-8"):
    line = line.rstrip("\n")
    if line.startswith("#") or not line.strip():
        continue
    parts = line.split("|")
    if len(parts) != 3 or parts[0].strip() == "W":
        continue
    src, want = parts[1].strip(), parts[2].strip()
    r = subprocess.run([cbuild, "debug", "expand"] + args + ["--", src], capture_output=True)
    if want == "error":
        ok = r.returncode == 1 and r.stderr.startswith(b"error: ")
    else:
        ok = r.returncode == 0 and r.stdout == (want + "\n").encode()
    if ok:
        p += 1
    else:
        f += 1
        print("FAIL shell-cli: %r -> %r" % (src, r.stdout + r.stderr))
print("suite shell-cli: %d passed, %d failed" % (p, f))
PY
