#!/usr/bin/env python3
"""Compares qpipe's outputs with the expected outputs make_models.py wrote.

usage: compare.py NAME_expected.txt -- CMD...

CMD prints one `out v1 v2 ...` line per test input; each must equal the evaluator's `int` line
(within the file's `tolerance`, 0: exact). Prints how many values were compared.
"""
import subprocess
import sys


def main(argv):
    split = argv.index("--")
    expected_path, cmd = argv[0], argv[split + 1 :]
    tolerance, expected = 0, []
    with open(expected_path) as f:
        for line in f:
            words = line.split()
            if not words or words[0].startswith("#"):
                continue
            if words[0] == "tolerance":
                tolerance = int(words[1])
            elif words[0] == "int":
                expected.append([int(w) for w in words[1:]])
    done = subprocess.run(cmd, stdout=subprocess.PIPE, timeout=600)
    text = done.stdout.decode(errors="replace")
    sys.stdout.write(text)
    if done.returncode != 0:
        print("FAIL: %s exited with %d" % (" ".join(cmd), done.returncode))
        return 1
    got = [[int(w) for w in line.split()[1:]] for line in text.splitlines() if line.startswith("out")]
    if len(got) != len(expected) or any(len(g) != len(e) for g, e in zip(got, expected)):
        print(
            "FAIL: %d output lines of %s values, expected %d of %d"
            % (len(got), [len(g) for g in got], len(expected), len(expected[0]) if expected else 0)
        )
        return 1
    total = sum(len(e) for e in expected)
    diffs = [abs(g - e) for gs, es in zip(got, expected) for g, e in zip(gs, es)]
    worst = max(diffs) if diffs else 0
    print(
        "TFLite integer evaluator: %d of %d outputs equal, max |diff| %d (tolerance %d)"
        % (sum(d == 0 for d in diffs), total, worst, tolerance)
    )
    if worst > tolerance:
        for i, (gs, es) in enumerate(zip(got, expected)):
            bad = [(j, g, e) for j, (g, e) in enumerate(zip(gs, es)) if abs(g - e) > tolerance]
            if bad:
                print("input %d: first differences (index, qpipe, expected): %s" % (i, bad[:8]))
        print("FAIL: qpipe differs from TFLite's integer arithmetic")
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
