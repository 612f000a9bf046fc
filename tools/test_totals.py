#!/usr/bin/env python3
"""Print meson's test results as one line `N passed, N failed[, N skipped]`.

usage: test_totals.py build/meson-logs/testlog.json
An expected failure counts as passed; a timeout, error or unexpected pass as failed.
"""
import json
import sys

PASSED = {"OK", "EXPECTEDFAIL"}
SKIPPED = {"SKIP"}


def main(path):
    passed = failed = skipped = 0
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
        print("0 passed, 1 failed")
        return 1
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    print(line)
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/meson-logs/testlog.json"))
