"""Puts this checkout's python/ (the qpipe_tools package) and the TFLite tests' model writer on the
path, and gives the tests a way to run a front end as a user does: python3 -m qpipe_tools.NAME."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.normpath(os.path.join(HERE, "..", "..", "..", "python"))
sys.path.insert(0, PACKAGE_ROOT)
sys.path.insert(0, os.path.join(HERE, "..", "tflite"))


def run_front_end(name, *args, cwd=None):
    """Runs `python3 -m qpipe_tools.NAME ARGS...`; returns the CompletedProcess (text)."""
    env = dict(os.environ, PYTHONPATH=PACKAGE_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "qpipe_tools." + name] + [str(a) for a in args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )
