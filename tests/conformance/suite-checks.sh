#!/bin/sh
# suite-checks.sh - BuildKit's build-check vectors (buildkit/checks/
# lint_cases.jsonl, see its FORMAT.md) run through `cbuild check --format
# json`: the warnings must match exactly (rule, description, detail, url,
# line, level, in order), and a build error the check itself runs into
# (check=error=true, a bad FROM platform) must be reported with exit 1; an
# instruction error ("dockerfile parse error on line N: X" upstream, our
# "Dockerfile:N: X") with exit 2, after the warnings found before it.
# Cases whose frontend_attrs need a registry image built during the
# upstream test ("<computed>") cannot be made static and are listed as
# skipped, not counted.
exec python3 - "$CONFORMANCE_DIR/buildkit/checks/lint_cases.jsonl" "$CBUILD" <<'EOF'
import json, os, re, subprocess, sys, tempfile

cases, cbuild = sys.argv[1], sys.argv[2]
passed = failed = skipped = 0
for raw in open(cases):
    c = json.loads(raw)
    attrs = c.get("frontend_attrs") or {}
    if c.get("dockerfile") is None or "<computed>" in json.dumps(attrs):
        skipped += 1
        continue
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write(c["dockerfile"])
        if c.get("dockerignore") is not None:
            with open(os.path.join(d, ".dockerignore"), "w") as f:
                f.write(c["dockerignore"])
        cmd = [cbuild, "check", "--format", "json"]
        for k, v in attrs.items():
            if k.startswith("build-arg:"):
                cmd += ["--build-arg", "%s=%s" % (k[len("build-arg:"):], v)]
        cmd.append(d)
        p = subprocess.run(cmd, capture_output=True, text=True)
    want = [{"rule": w["RuleName"], "description": w["Description"], "detail": w["Detail"],
             "url": w.get("URL", ""), "line": w["Line"], "level": w["Level"]}
            for w in c["warnings"]]
    why = None
    try:
        got = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        got = None
    err = c.get("build_err")
    code = 1
    m = re.match(r"dockerfile parse error on line (\d+): (.*)", err or "")
    if m:  # our wording: "Dockerfile:LINE: message", and exit 2 (a parse error)
        err, code = "Dockerfile:%s: %s" % (m.group(1), m.group(2)), 2
    if got != want:
        why = "warnings differ:\n  want %s\n  got  %s" % (json.dumps(want), p.stdout.strip())
    elif err and (p.returncode != code or err not in p.stderr):
        why = "want exit %d and error %r, got %d %r" % (code, err, p.returncode, p.stderr.strip())
    elif not err and p.returncode != 0:
        why = "want exit 0, got %d %r" % (p.returncode, p.stderr.strip())
    if why:
        failed += 1
        print("FAIL case %d (%s): %s" % (c["index"], c["test"], why))
    else:
        passed += 1
if skipped:
    print("# %d case(s) skipped: they need an image built in a registry during the test" % skipped)
print("suite buildkit-checks: %d passed, %d failed" % (passed, failed))
EOF
