#!/usr/bin/env python3
"""Build tests/cmake_consumer (the XOR example as a CMake project that uses qpipe::qpipe) the three
ways docs/cmake.md describes, run it, and require dsl_examples/xor/golden.txt byte for byte.

usage: cmake_consumer.py [--m0] [--way WAY]... [--keep DIR] QPIPE_SOURCE_ROOT

Ways: subdirectory (add_subdirectory), fetchcontent (FetchContent from the checkout),
package (qpipe configured and installed with CMake, then find_package(qpipe CONFIG)).
--m0 cross-compiles with cmake/cortex-m0.cmake and runs the program under qemu (tools/run-m0);
the installed package is the same one, installed natively. --keep DIR builds in DIR and leaves it.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

WAYS = ("subdirectory", "fetchcontent", "package")


def run(cmd, log):
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log.append("$ " + " ".join(cmd) + "\n" + done.stdout)
    return done.returncode == 0


def include_flags(build):
    """The -I/-isystem folders of every compile command of the consumer's build."""
    with open(os.path.join(build, "compile_commands.json")) as f:
        commands = json.load(f)
    folders = set()
    for entry in commands:
        words = entry["command"].split()
        for i, word in enumerate(words):
            if word in ("-I", "-isystem") and i + 1 < len(words):
                folders.add(os.path.normpath(words[i + 1]))
            elif word.startswith("-I") and len(word) > 2:
                folders.add(os.path.normpath(word[2:]))
    return folders


def check_includes(build, root, way, m0):
    """What reaches the compiler: the installed headers for a package (not the checkout's), and no
    /usr/include for the M0 (glibc's headers would shadow picolibc's)."""
    folders = include_flags(build)
    problems = []
    checkout_include = os.path.join(root, "include")
    if way == "package" and checkout_include in folders:
        problems.append("the package build reads the checkout's include/, not the installed headers")
    if m0 and "/usr/include" in folders:
        problems.append("the M0 compiler is given /usr/include")
    return problems, sorted(folders)


def consumer(root, work, way, m0, prefix):
    """Configure, build and run one consumer; returns (ok, log lines)."""
    log = []
    build = os.path.join(work, "%s-%s" % (way, "m0" if m0 else "host"))
    configure = [
        "cmake",
        "-S",
        os.path.join(root, "tests", "cmake_consumer"),
        "-B",
        build,
        "-G",
        "Ninja",
        "-DCMAKE_BUILD_TYPE=Release",
        "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON",
        "-DQPIPE_WAY=" + way,
        "-DQPIPE_ROOT=" + root,
    ]
    if way == "package":
        configure.append("-DCMAKE_PREFIX_PATH=" + prefix)
    if m0:
        configure.append("-DCMAKE_TOOLCHAIN_FILE=" + os.path.join(root, "cmake", "cortex-m0.cmake"))
    if not run(configure, log) or not run(["cmake", "--build", build, "--parallel", "2"], log):
        return False, log
    problems, folders = check_includes(build, root, way, m0)
    log.append("include folders: %s\n" % " ".join(folders))
    if problems:
        log.extend("FAIL: %s\n" % p for p in problems)
        return False, log
    program = [os.path.join(build, "xor")]
    if m0:
        program = [os.path.join(root, "tools", "run-m0")] + program
    golden = os.path.join(root, "dsl_examples", "xor", "golden.txt")
    ok = run([sys.executable, os.path.join(root, "tests", "tools", "matches_golden.py"), golden, "--"] + program, log)
    return ok, log


def install_package(root, work):
    """qpipe configured as a top-level CMake project (native) and installed into work/prefix."""
    log = []
    build, prefix = os.path.join(work, "qpipe-build"), os.path.join(work, "prefix")
    ok = run(["cmake", "-S", root, "-B", build, "-G", "Ninja", "-DCMAKE_INSTALL_PREFIX=" + prefix], log) and run(
        ["cmake", "--install", build], log
    )
    if ok:
        for name in ("qpipeConfig.cmake", "qpipeConfigVersion.cmake", "qpipeTargets.cmake", "qpipeBoost.cmake"):
            if not os.path.exists(os.path.join(prefix, "share", "cmake", "qpipe", name)):
                log.append("FAIL: not installed: share/cmake/qpipe/%s\n" % name)
                ok = False
        if not os.path.exists(os.path.join(prefix, "include", "qpipe.hpp")):
            log.append("FAIL: not installed: include/qpipe.hpp\n")
            ok = False
    return ok, prefix, log


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root")
    parser.add_argument("--m0", action="store_true", help="cross-compile for the Cortex-M0 and run under qemu")
    parser.add_argument("--way", action="append", choices=WAYS, help="only these ways (default: all three)")
    parser.add_argument("--keep", help="build in this folder and keep it")
    args = parser.parse_args(argv)
    root = os.path.abspath(args.root)
    ways = args.way or list(WAYS)

    with tempfile.TemporaryDirectory() as tmp:
        work = os.path.abspath(args.keep) if args.keep else tmp
        os.makedirs(work, exist_ok=True)
        failed = []
        prefix = None
        if "package" in ways:
            start = time.monotonic()
            ok, prefix, log = install_package(root, work)
            print("install qpipe with CMake: %s (%.1f s)" % ("ok" if ok else "FAIL", time.monotonic() - start))
            if not ok:
                print("".join(log)[-6000:])
                failed.append("package")
                ways.remove("package")
        for way in ways:
            start = time.monotonic()
            ok, log = consumer(root, work, way, args.m0, prefix)
            machine = "m0" if args.m0 else "host"
            print("%s, %s: %s (%.1f s)" % (way, machine, "ok" if ok else "FAIL", time.monotonic() - start))
            if not ok:
                print("".join(log)[-6000:])
                failed.append(way)
        if failed:
            print("FAIL: %s" % ", ".join(failed))
            return 1
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
