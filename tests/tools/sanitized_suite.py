#!/usr/bin/env python3
"""Build the host test suite again, natively, with AddressSanitizer and UndefinedBehaviorSanitizer
(any report is fatal), and run it: layer tests, numerics, examples' goldens and parity. The
compile-only checks (must-not-compile, headers alone, the consumer project) are left out: a
sanitizer does not change what compiles; so are the front ends' tests (-Dfrontend_tests=false):
their generated models exercise the same C++ as the layer tests, at many times the build cost.

usage: sanitized_suite.py SOURCE_DIR BUILD_DIR
"""
import os
import subprocess
import sys


def main(argv):
    if len(argv) != 2:
        print("usage: sanitized_suite.py SOURCE_DIR BUILD_DIR", file=sys.stderr)
        return 2
    source, build = argv
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1", UBSAN_OPTIONS="print_stacktrace=1")
    if not os.path.isdir(os.path.join(build, "meson-info")):
        setup = [
            "meson",
            "setup",
            build,
            source,
            "-Db_sanitize=address,undefined",
            "-Db_lundef=false",
            "-Dfrontend_tests=false",
            "-Dcpp_args=-fno-sanitize-recover=all",
            "-Dbuild.cpp_args=-fno-sanitize-recover=all",
        ]
        if subprocess.run(setup, env=env).returncode != 0:
            print("FAIL: could not configure the sanitizer build")
            return 1
    # Two compile jobs: the examples' calibration takes up to 1 GiB of compiler memory each.
    if subprocess.run(["meson", "compile", "-C", build, "-j", "2"], env=env).returncode != 0:
        print("FAIL: the sanitizer build did not compile")
        return 1
    done = subprocess.run(
        [
            "meson",
            "test",
            "-C",
            build,
            "--suite",
            "host",
            "--no-suite",
            "diagnostics",
            "--no-suite",
            "meta",
            "--print-errorlogs",
            "--num-processes",
            "2",
        ],
        env=env,
    )
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
