#!/usr/bin/env python3
"""Build qpipe's libFuzzer targets (tests/fuzz/) and replay their committed corpora, or fuzz.

  fuzz.py SOURCE_DIR WORK_DIR --replay
      build both targets and run every input of tests/fuzz/corpus/<target>/ once (meson test)
  fuzz.py SOURCE_DIR WORK_DIR --fuzz TARGET SECONDS
      fuzz TARGET (requantize or layers) for SECONDS, adding new coverage to the committed corpus
      (review and commit the new files on purpose); prints libFuzzer's execution count

Targets are built with clang++-19 -fsanitize=fuzzer,address,undefined (any report is fatal),
the layers target's qpipe models (tests/fuzz/layer_models.cpp) included: Clang 19 quantizes them
in the compiler as GCC does (docs/compilers.md).
"""
import os
import re
import subprocess
import sys

TARGETS = ["requantize", "layers"]


def build(source, work, boost_include):
    os.makedirs(work, exist_ok=True)
    inc = ["-I" + os.path.join(source, "include"), "-I" + os.path.join(source, "tests")]
    if boost_include:
        inc.append("-isystem" + boost_include)
    fuzz = os.path.join(source, "tests", "fuzz")
    models = os.path.join(fuzz, "layer_models.cpp")
    flags = [
        "clang++-19",
        "-std=c++20",
        "-O1",
        "-g",
        "-fsanitize=fuzzer,address,undefined",
        "-fno-sanitize-recover=all",
    ] + inc
    subprocess.run(
        flags + [os.path.join(fuzz, "requantize_fuzz.cpp"), "-o", os.path.join(work, "requantize_fuzz")], check=True
    )
    subprocess.run(
        flags + [os.path.join(fuzz, "layers_fuzz.cpp"), models, "-o", os.path.join(work, "layers_fuzz")], check=True
    )


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    source, work, mode = argv[0], argv[1], argv[2]
    build(source, work, os.environ.get("BOOST_INCLUDE"))
    corpus = lambda t: os.path.join(source, "tests", "fuzz", "corpus", t)
    if mode == "--replay":
        status = 0
        for t in TARGETS:
            files = sorted(os.listdir(corpus(t)))
            done = subprocess.run(
                [os.path.join(work, t + "_fuzz"), "-runs=0", corpus(t)],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            print("%s: %d corpus inputs replayed, exit %d" % (t, len(files), done.returncode))
            if done.returncode != 0:
                print(done.stdout[-4000:])
                status = 1
        return status
    if mode == "--fuzz" and len(argv) == 5 and argv[3] in TARGETS:
        t, seconds = argv[3], int(argv[4])
        done = subprocess.run(
            [os.path.join(work, t + "_fuzz"), "-max_total_time=%d" % seconds, corpus(t)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        runs = re.findall(r"Done (\d+) runs in (\d+) second", done.stdout)
        print(done.stdout[-2000:] if done.returncode else "")
        print(
            "%s: %s executions in %s s, exit %d"
            % (t, runs[-1][0] if runs else "?", runs[-1][1] if runs else "?", done.returncode)
        )
        return done.returncode
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
