#!/usr/bin/env python3
"""gen-docs.py - assemble the README's command reference and the cbuild(1)
man page from doc/commands/*.md, so the three never drift apart.

Each doc/commands/NAME.md starts with "# cbuild NAME" (or "## ..."), then a
usage block, options as a bullet list, and examples.  Run `make docs` after
editing one; `make lint` fails when README.md or doc/cbuild.1 is stale.
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK_BEGIN = "<!-- commands: assembled from doc/commands/*.md -->"
MARK_END = "<!-- end of commands -->"
ORDER = ["help", "version", "build", "check", "bake", "run", "pull", "push", "login", "logout", "images",
         "inspect", "tag", "rmi", "save", "load", "prune", "doctor", "debug"]


def pages():
    files = glob.glob(os.path.join(ROOT, "doc", "commands", "*.md"))
    def key(f):
        n = os.path.basename(f)[:-3]
        base = n.split("-")[0]
        return (ORDER.index(base) if base in ORDER else len(ORDER), n)
    return [(os.path.basename(f)[:-3], open(f).read().strip() + "\n") for f in sorted(files, key=key)]


def readme(cmds):
    path = os.path.join(ROOT, "README.md")
    text = open(path).read()
    body = []
    for _, md in cmds:
        # each command is a ### section; headings inside it go below that
        first, _, rest = md.partition("\n")
        first = re.sub(r"^#{1,3} ", "### ", first)
        rest = re.sub(r"^#{1,4} ", "#### ", rest, flags=re.M)
        body.append(first + "\n" + rest)
    block = MARK_BEGIN + "\n\n" + "\n".join(body) + "\n" + MARK_END
    if MARK_END in text:
        text = re.sub(re.escape(MARK_BEGIN) + r".*?" + re.escape(MARK_END), lambda m: block, text, flags=re.S)
    else:
        text = text.replace(MARK_BEGIN, block)
    return path, text


def roff_escape(s):
    s = s.replace("\\", "\\e")
    s = re.sub(r"^([.'])", r"\\&\1", s)
    return s


def inline(s):
    s = roff_escape(s)
    s = re.sub(r"`([^`]+)`", r"\\fB\1\\fR", s)
    s = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", s)
    s = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", s)
    return s


def md_to_roff(md):
    out = []
    in_code = False
    for line in md.splitlines():
        if line.startswith("```"):
            out.append(".EE" if in_code else ".EX")
            in_code = not in_code
            continue
        if in_code:
            out.append(roff_escape(line))
            continue
        m = re.match(r"^(#+) (.*)", line)
        if m:
            out.append((".SS " if len(m.group(1)) <= 2 else ".TP\n") + inline(m.group(2)))
            continue
        m = re.match(r"^\s*[-*] (.*)", line)
        if m:
            out.append(".IP \\(bu 2\n" + inline(m.group(1)))
            continue
        if not line.strip():
            out.append(".PP")
            continue
        out.append(inline(line.strip()))
    return "\n".join(out)


def manpage(cmds):
    head = open(os.path.join(ROOT, "doc", "cbuild.1.head")).read()
    parts = [head.rstrip("\n"), ".SH COMMANDS"]
    for _, md in cmds:
        parts.append(md_to_roff(md))
    tail = os.path.join(ROOT, "doc", "cbuild.1.tail")
    if os.path.exists(tail):
        parts.append(open(tail).read().rstrip("\n"))
    return os.path.join(ROOT, "doc", "cbuild.1"), "\n".join(parts) + "\n"


def main():
    check = "--check" in sys.argv
    cmds = pages()
    stale = []
    for path, text in (readme(cmds), manpage(cmds)):
        old = open(path).read() if os.path.exists(path) else ""
        if old != text:
            if check:
                stale.append(os.path.relpath(path, ROOT))
            else:
                with open(path + ".tmp", "w") as f:
                    f.write(text)
                os.replace(path + ".tmp", path)
    if stale:
        print("docs are stale (run make docs): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
