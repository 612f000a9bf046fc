#!/usr/bin/env python3
"""Formats qpipe's sources: the C++ with clang-format 19 (.clang-format), the Python with black
(pyproject.toml, [tool.black]). docs/architecture.md, "Formatting", says what is covered and why.

usage: format.py --check | --fix | --guard-asm [--source-root DIR]
--check prints one line per file that the formatters would change (and per multi-line asm
statement or assembly macro outside a `// clang-format off` region) and exits 1; it exits 0 and
prints one summary line when every file is formatted. --fix rewrites the files in place.
--guard-asm wraps such assembly in `// clang-format off` / `// clang-format on` (review the result).
A missing formatter is one line and exit status 1.

Covered: the C++ under include/, tests/, dsl_examples/ and perf/; the Python under python/,
perf/, tools/ and tests/. Left out: build folders and anything git ignores. No source of the
tree is a generator's committed output (the front ends' headers are written into the build
folder), so nothing else needs leaving out.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

CPP_DIRS = ["include", "tests", "dsl_examples", "perf"]
CPP_SUFFIXES = (".hpp", ".cpp", ".h", ".cc", ".ipp")
PY_DIRS = ["python", "perf", "tools", "tests"]
CLANG_FORMAT = "clang-format-19"
BLACK = "black"

# An asm statement (not a `register ... asm("r4")` binding) and a macro whose text is assembly (a
# string literal ending in a newline escape, as every instruction of the M0 kernels does).
ASM_STATEMENT = re.compile(r"(?<![\w\"])asm(\s+volatile)?\s*\(")
GUARD_OFF = re.compile(r"^\s*//\s*clang-format\s+off\b")
GUARD_ON = re.compile(r"^\s*//\s*clang-format\s+on\b")


def sources(root, dirs, suffixes):
    """The files under dirs with one of the suffixes, tracked or untracked but not ignored by git
    (build folders, caches); a tree that is not a git checkout is walked, skipping build* folders."""
    try:
        listed = (
            subprocess.run(
                ["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "-z", "--"] + dirs,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
        files = [f for f in listed if f.endswith(suffixes) and os.path.isfile(os.path.join(root, f))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d in dirs:
            for top, subdirs, names in os.walk(os.path.join(root, d)):
                subdirs[:] = [s for s in subdirs if not s.startswith(("build", ".", "__pycache__"))]
                files += [os.path.relpath(os.path.join(top, n), root) for n in names if n.endswith(suffixes)]
    return sorted(set(files))


def statement_end(lines, i):
    """The index of the line that closes the asm statement opened on line i (its parentheses
    balance), string literals and comments skipped."""
    depth = 0
    for j in range(i, len(lines)):
        text = re.sub(r'"(\\.|[^"\\])*"', '""', lines[j])
        text = text.split("//")[0]
        text = re.sub(r"/\*.*?\*/", "", text)
        if j == i:
            text = text[ASM_STATEMENT.search(text).start() :]
        depth += text.count("(") - text.count(")")
        if depth <= 0:
            return j
    return len(lines) - 1


def asm_regions(lines):
    """(first, last) 0-based line indices of the assembly in a file: each macro whose text holds an
    assembly string or an asm statement (its continuation lines included), and each multi-line asm
    statement outside a macro."""
    regions = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if re.match(r"^\s*#\s*define\b", line):
            j = i
            while lines[j].rstrip().endswith("\\") and j + 1 < len(lines):
                j += 1
            body = "\n".join(lines[i : j + 1])
            if re.search(r'\\n(\\t)?"', body) or ASM_STATEMENT.search(body):
                regions.append((i, j))
            i = j + 1
            continue
        code = line.split("//")[0]
        if ASM_STATEMENT.search(code) and not code.lstrip().startswith("register"):
            j = statement_end(lines, i)
            if j > i:
                regions.append((i, j))
            i = j + 1
            continue
        i += 1
    return regions


def guarded_lines(lines):
    """The 0-based indices of the lines inside `// clang-format off` ... `// clang-format on`."""
    guarded, inside = set(), False
    for i, line in enumerate(lines):
        if GUARD_OFF.match(line):
            inside = True
        elif GUARD_ON.match(line):
            inside = False
        elif inside:
            guarded.add(i)
    return guarded


def unguarded_asm(text):
    """1-based first lines of the assembly regions that clang-format would lay out (not all inside
    a `// clang-format off` region)."""
    lines = text.split("\n")
    guarded = guarded_lines(lines)
    return [a + 1 for a, b in asm_regions(lines) if any(k not in guarded for k in range(a, b + 1))]


def guard_asm(path):
    """Wraps the file's unguarded assembly regions in `// clang-format off` / `// clang-format on`,
    one pair for regions apart only by blank lines, comments, #define and #undef lines (--guard-asm).
    Returns the number of pairs added."""
    with open(path, encoding="utf-8") as fh:
        lines = fh.read().split("\n")
    guarded = guarded_lines(lines)
    merged = []
    for a, b in asm_regions(lines):
        if all(k in guarded for k in range(a, b + 1)):
            continue
        if merged:
            gap, in_define = lines[merged[-1][1] + 1 : a], False
            joinable = True
            for g in gap:
                t = g.strip()
                if in_define or t == "" or t.startswith(("//", "#define", "#undef")):
                    in_define = (in_define or t.startswith("#define")) and g.rstrip().endswith("\\")
                    continue
                joinable = False
                break
            if joinable:
                merged[-1] = (merged[-1][0], b)
                continue
        merged.append((a, b))
    for a, b in reversed(merged):
        indent = "" if lines[a].lstrip().startswith("#") else re.match(r"\s*", lines[a]).group(0)
        lines.insert(b + 1, indent + "// clang-format on")
        lines.insert(a, indent + "// clang-format off")
    if merged:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines))
    return len(merged)


def clang_format(root, files, fix):
    """The files that clang-format would change (rewritten when fix)."""
    changed = []
    for f in files:
        path = os.path.join(root, f)
        with open(path, "rb") as fh:
            old = fh.read()
        r = subprocess.run([CLANG_FORMAT, "--style=file", "--assume-filename=" + path], input=old, capture_output=True)
        if r.returncode != 0:
            raise SystemExit("format.py: %s failed on %s: %s" % (CLANG_FORMAT, f, r.stderr.decode().strip()[:200]))
        if r.stdout != old:
            changed.append(f)
            if fix:
                with open(path, "wb") as fh:
                    fh.write(r.stdout)
    return changed


def black(root, files, fix):
    """The files that black would change (rewritten when fix)."""
    if not files:
        return []
    command = [BLACK, "--config", os.path.join(root, "pyproject.toml")]
    r = subprocess.run(command + ["--check", "--"] + files, cwd=root, capture_output=True, text=True)
    if r.returncode not in (0, 1):
        raise SystemExit("format.py: black failed: %s" % " ".join(r.stderr.strip().splitlines()[-1:]))
    changed = sorted(m.group(1) for m in re.finditer(r"^would reformat (.+)$", r.stderr, re.M))
    changed = [os.path.relpath(os.path.join(root, f), root) for f in changed]
    if fix and changed:
        r = subprocess.run(command + ["--quiet", "--"] + changed, cwd=root, capture_output=True, text=True)
        if r.returncode != 0:
            raise SystemExit("format.py: black failed: %s" % " ".join(r.stderr.strip().splitlines()[-1:]))
    return changed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="list the files that are not formatted; exit 1 if any")
    mode.add_argument("--fix", action="store_true", help="format the files in place")
    mode.add_argument("--guard-asm", action="store_true", help="put the unguarded assembly between clang-format off/on")
    ap.add_argument("--source-root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.error = lambda message: sys.exit(
        "format.py: %s (usage: format.py --check | --fix | --guard-asm [--source-root DIR])" % message
    )
    args = ap.parse_args()
    root = os.path.abspath(args.source_root)
    if not os.path.isfile(os.path.join(root, ".clang-format")):
        print("format.py: %s is not a qpipe checkout (no .clang-format)" % root)
        return 1
    for tool, package in ((CLANG_FORMAT, "clang-format-19"), (BLACK, "black")):
        if shutil.which(tool) is None:
            print("format.py: %s not found: install the Debian package %s (setup.sh does)" % (tool, package))
            return 1
    cpp = sources(root, CPP_DIRS, CPP_SUFFIXES)
    py = sources(root, PY_DIRS, (".py",))
    if args.guard_asm:
        added = {f: guard_asm(os.path.join(root, f)) for f in cpp}
        print(
            "format.py: %d clang-format off/on pairs added in %d files"
            % (sum(added.values()), sum(map(bool, added.values())))
        )
        return 0
    problems = []
    for f in cpp:
        with open(os.path.join(root, f), encoding="utf-8") as fh:
            for line in unguarded_asm(fh.read()):
                problems.append(
                    "%s:%d: assembly outside a // clang-format off region (clang-format would lay it out)" % (f, line)
                )
    if problems and args.fix:
        print("\n".join(problems))
        print('format.py: nothing rewritten: guard the assembly first (docs/architecture.md, "Formatting")')
        return 1
    unformatted = clang_format(root, cpp, args.fix) + black(root, py, args.fix)
    if args.fix:
        print("format.py: formatted %d C++ and %d Python files (%d rewritten)" % (len(cpp), len(py), len(unformatted)))
        return 0
    for f in unformatted:
        problems.append("%s: not formatted (tools/format.py --fix)" % f)
    if problems:
        print("\n".join(problems))
        return 1
    print("format.py: %d C++ and %d Python files are formatted" % (len(cpp), len(py)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
