"""The package installs with Debian's own tools, offline: pip into a venv that sees the system's
numpy, torch and onnx, without build isolation (setuptools from python3-setuptools)."""
import os
import shutil
import subprocess
import sys

from conftest import PACKAGE_ROOT


def test_pip_installs_it_offline_into_a_venv(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(PACKAGE_ROOT, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", tmp_path / "venv"], check=True)
    python = str(tmp_path / "venv" / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [python, "-m", "pip", "install", "--no-build-isolation", "--no-index", "."],
        cwd=source,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert done.returncode == 0, done.stdout
    shutil.rmtree(source)  # what runs now is the installed copy
    where = subprocess.run(
        [python, "-c", "import qpipe_tools.cli, qpipe_tools.summary; print(qpipe_tools.__file__)"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(tmp_path / "venv"))
    usage = subprocess.run(
        [python, "-m", "qpipe_tools.onnx", "--help"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    ).stdout
    assert usage.startswith("usage: qpipe_tools.onnx [-h] --out HEADER --namespace NS [--debug] MODEL")
