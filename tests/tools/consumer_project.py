#!/usr/bin/env python3
"""Build and run tests/consumer, a project that takes qpipe as a meson subproject.

usage: consumer_project.py QPIPE_SOURCE_ROOT
"""
import os
import subprocess
import sys
import tempfile


def main(root):
    with tempfile.TemporaryDirectory() as tmp:
        project = os.path.join(tmp, "consumer")
        subprocess.run(["cp", "-r", os.path.join(root, "tests", "consumer"), project], check=True)
        os.makedirs(os.path.join(project, "subprojects"))
        os.symlink(root, os.path.join(project, "subprojects", "qpipe"))
        build = os.path.join(project, "build")
        for cmd in (["meson", "setup", build, project], ["ninja", "-C", build]):
            done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if done.returncode != 0:
                print(done.stdout[-4000:])
                print("FAIL: %s" % " ".join(cmd))
                return 1
        # As a subproject qpipe must not build its own tests.
        if os.path.exists(os.path.join(build, "subprojects", "qpipe", "tests")):
            print("FAIL: qpipe built its tests as a subproject")
            return 1
        done = subprocess.run([os.path.join(build, "consumer")], stdout=subprocess.PIPE, text=True)
        print(done.stdout, end="")
        return done.returncode


if __name__ == "__main__":
    sys.exit(main(os.path.abspath(sys.argv[1])))
