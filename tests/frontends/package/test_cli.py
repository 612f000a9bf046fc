"""The command line of the three front ends: bad input is one stderr line and exit status 1, --debug
adds the traceback, and a successful export prints the summary block."""
import numpy as np
import pytest
from conftest import run_front_end

from qpipe_tools import FrontEndError, cli

FRONT_ENDS = ["torch", "onnx", "tflite"]


def extra_args(name, tmp_path):
    """What a front end needs besides MODEL --out --namespace (torch: a calibration batch)."""
    if name != "torch":
        return []
    np.save(tmp_path / "batch.npy", np.zeros((2, 3)))
    return ["--calibration", tmp_path / "batch.npy"]


def assert_one_error_line(done, name, words):
    lines = done.stderr.splitlines()
    assert done.returncode == 1, done.stderr
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("qpipe_tools.%s: error: " % name)
    assert words in lines[0]
    assert done.stdout == ""


@pytest.mark.parametrize("name", FRONT_ENDS)
def test_missing_model_is_one_line(name, tmp_path):
    done = run_front_end(
        name,
        tmp_path / "absent.model",
        "--out",
        tmp_path / "net.hpp",
        "--namespace",
        "net",
        *extra_args(name, tmp_path),
    )
    assert_one_error_line(done, name, "absent.model")
    assert not (tmp_path / "net.hpp").exists()


@pytest.mark.parametrize(
    "name, words",
    [("torch", "is not a saved torch model"), ("onnx", "not an ONNX model"), ("tflite", "not a TFLite model")],
)
def test_garbage_model_is_one_line(name, words, tmp_path):
    (tmp_path / "garbage").write_bytes(bytes(range(256)) * 4)
    done = run_front_end(
        name, tmp_path / "garbage", "--out", tmp_path / "net.hpp", "--namespace", "net", *extra_args(name, tmp_path)
    )
    assert_one_error_line(done, name, words)
    assert "internal error" not in done.stderr


@pytest.mark.parametrize("name", FRONT_ENDS)
@pytest.mark.parametrize(
    "args, words",
    [
        (["m", "--namespace", "net"], "the following arguments are required: --out"),
        (["m", "--out", "x.hpp", "--namespace", "net", "--no-such-option"], "unrecognized arguments: --no-such-option"),
        (["--out", "x.hpp", "--namespace", "net"], "MODEL"),
    ],
)
def test_command_line_mistakes_are_one_line(name, args, words, tmp_path):
    done = run_front_end(name, *args, *extra_args(name, tmp_path), cwd=tmp_path)
    assert_one_error_line(done, name, words)


@pytest.mark.parametrize("name", FRONT_ENDS)
def test_the_same_options_everywhere(name):
    done = run_front_end(name, "--help")
    assert done.returncode == 0
    usage = " ".join(done.stdout.split())
    assert usage.startswith("usage: qpipe_tools.%s [-h] --out HEADER --namespace NS [--debug]" % name), usage
    assert "MODEL" in usage


@pytest.mark.parametrize("name", FRONT_ENDS)
def test_debug_shows_the_traceback_then_the_line(name, tmp_path):
    done = run_front_end(
        name,
        tmp_path / "absent.model",
        "--out",
        tmp_path / "net.hpp",
        "--namespace",
        "net",
        "--debug",
        *extra_args(name, tmp_path),
    )
    lines = done.stderr.splitlines()
    assert done.returncode == 1
    assert lines[0] == "Traceback (most recent call last):"
    assert "FrontEndError" in done.stderr or "Error:" in done.stderr
    assert lines[-1].startswith("qpipe_tools.%s: error: " % name) and "absent.model" in lines[-1]


def test_an_unforeseen_exception_is_one_line_without_debug(capsys):
    def export(args):
        raise KeyError("surprise")

    parser = cli.parser("qpipe_tools.test", "", "the model")
    assert cli.run(parser, ["m", "--out", "o.hpp", "--namespace", "n"], export) == 1
    err = capsys.readouterr().err
    assert err == "qpipe_tools.test: error: internal error (KeyError): 'surprise' (--debug shows where)\n"
    assert cli.run(parser, ["m", "--out", "o.hpp", "--namespace", "n", "--debug"], export) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and 'raise KeyError("surprise")' in err
    assert err.splitlines()[-1].startswith("qpipe_tools.test: error: internal error (KeyError)")


def test_a_front_end_error_keeps_its_message(capsys):
    def export(args):
        raise FrontEndError("layer 3: no\nsecond line")

    parser = cli.parser("qpipe_tools.test", "", "the model")
    assert cli.run(parser, ["m", "--out", "o.hpp", "--namespace", "n"], export) == 1
    assert capsys.readouterr().err == "qpipe_tools.test: error: layer 3: no\n"


def test_tflite_export_prints_the_summary(tmp_path):
    import make_models

    model = make_models.MODELS["conv_valid_per_channel"][1](1)
    (tmp_path / "m.tflite").write_bytes(model.serialize())
    done = run_front_end("tflite", tmp_path / "m.tflite", "--out", tmp_path / "m.hpp", "--namespace", "m")
    assert done.returncode == 0 and done.stderr == ""
    lines = done.stdout.splitlines()
    assert lines[0] == "qpipe_tools.tflite: wrote %s" % (tmp_path / "m.hpp")
    assert lines[1:] == ["  " + line for line in summary_lines_of_header(tmp_path / "m.hpp")]


def summary_lines_of_header(path):
    """The summary as the header repeats it, in its comment block."""
    text = path.read_text().splitlines()
    start = text.index("// Summary:")
    out = []
    for line in text[start + 1 :]:
        if not line.startswith("//   "):
            break
        out.append(line[len("//   ") :])
    return out
