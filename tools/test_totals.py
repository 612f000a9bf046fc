#!/usr/bin/env python3
"""Print meson's test results as one line `N passed, N failed[, N skipped]`.

usage: test_totals.py build/meson-logs/testlog.json [build-clang/meson-logs/testlog.json ...]
An expected failure counts as passed; a timeout, error or unexpected pass as failed. Several logs
(the GCC and the clang build folders) are summed into the one line; a missing log counts as one
failure.
"""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path) as f:
                for line in f:
                    if not line.strip():
                        continue
                    result = json.loads(line).get("result")
                    if result in PASSED:
                        passed += 1
                    elif result in SKIPPED:
                        skipped += 1
                    else:
                        failed += 1
        except OSError as e:
            print("test_totals.py: cannot read %s: %s" % (path, e.strerror), file=sys.stderr)
            failed += 1
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["build/meson-logs/testlog.json"]))
