#!/usr/bin/env python3
"""Compares qpipe's outputs with the expected outputs make_models.py wrote.

usage: compare.py NAME_expected.txt [--float-bound N] [--float-label TEXT] -- CMD...

CMD prints one `out v1 v2 ...` line per test input. Each must match the integer evaluator's
`int` line within the file's tolerance (0: exact). The distance to the `float` lines (the plain
float QDQ semantics, or what --float-label names) is reported; with --float-bound it must not
exceed N codes.
"""
import subprocess
import sys


def main(argv):
    split = argv.index("--")
    opts, cmd = argv[:split], argv[split + 1 :]
    expected_path = opts[0]
    float_bound = int(opts[opts.index("--float-bound") + 1]) if "--float-bound" in opts else None
    float_label = opts[opts.index("--float-label") + 1] if "--float-label" in opts else "float QDQ semantics"
    tolerance, ints, floats = 0, [], []
    with open(expected_path) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] == "tolerance":
                tolerance = int(words[1])
            elif words[0] == "int":
                ints.append([int(w) for w in words[1:]])
            elif words[0] == "float":
                floats.append([int(w) for w in words[1:]])
    done = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=300)
    text = done.stdout.decode(errors="replace")
    sys.stdout.write(text)
    if done.returncode != 0:
        print("FAIL: %s exited with %d" % (" ".join(cmd), done.returncode))
        return 1
    got = [[int(w) for w in line.split()[1:]] for line in text.splitlines() if line.startswith("out")]
    if len(got) != len(ints) or any(len(g) != len(e) for g, e in zip(got, ints)):
        print("FAIL: %d output lines, expected %d of %d values" % (len(got), len(ints), len(ints[0]) if ints else 0))
        return 1
    total = sum(len(e) for e in ints)
    exact = sum(g == e for gs, es in zip(got, ints) for g, e in zip(gs, es))
    worst = max(abs(g - e) for gs, es in zip(got, ints) for g, e in zip(gs, es))
    fdiff = [abs(g - e) for gs, es in zip(got, floats) for g, e in zip(gs, es)]
    print(
        "integer evaluator (TFLite arithmetic): %d of %d outputs equal, max |diff| %d (tolerance %d)"
        % (exact, total, worst, tolerance)
    )
    print(
        "%s: %d of %d outputs differ, max |diff| %d%s"
        % (
            float_label,
            sum(d != 0 for d in fdiff),
            total,
            max(fdiff),
            "" if float_bound is None else " (bound %d)" % float_bound,
        )
    )
    if worst > tolerance:
        print("FAIL: qpipe differs from the integer evaluator by more than the tolerance")
        return 1
    if float_bound is not None and max(fdiff) > float_bound:
        print("FAIL: qpipe is further than %d code(s) from the %s" % (float_bound, float_label))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
