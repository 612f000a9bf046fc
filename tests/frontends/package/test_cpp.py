"""The C++ text every front end writes: numbers that C++ reads back exactly, and nothing it cannot read."""
import math

import numpy as np
import pytest

from qpipe_tools import FrontEndError, cpp


@pytest.mark.parametrize("value", [1.0, -0.0, 0.1, 1 / 3, 2.0**-40, 1e300, 5e-324, 123456789.0])
def test_number_round_trips(value):
    text = cpp.number(value)
    assert float(text) == value
    assert any(c in text for c in ".eE")  # a double literal, not an int


def test_number_of_an_integer_valued_float_is_a_double_literal():
    assert cpp.number(3) == "3.0"
    assert cpp.number(np.float32(0.5)) == "0.5"


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, np.float32("nan")])
def test_number_refuses_what_is_not_finite(value):
    with pytest.raises(FrontEndError, match="weight scale of layer 2 is not finite"):
        cpp.number(value, "weight scale of layer 2")


@pytest.mark.parametrize("name", ["net", "a::b", "_x9"])
def test_namespace_accepted(name):
    cpp.check_namespace(name)


@pytest.mark.parametrize("name", ["", "9net", "int", "a::class", "a-b", "a::", "né"])
def test_namespace_refused(name):
    with pytest.raises(FrontEndError, match=r"is not a C\+\+ identifier"):
        cpp.check_namespace(name)


def test_write_to_a_missing_folder_is_one_error(tmp_path):
    with pytest.raises(FrontEndError, match="cannot write"):
        cpp.write(str(tmp_path / "no" / "such" / "net.hpp"), "x")


def tflite_network(weight_scale):
    """A one-layer TFLite network as the reader returns it, with the given weight scale."""
    from qpipe_tools import tflite

    g = tflite.Grid(0.5, 0)
    layer = tflite.Layer(
        "dense",
        source="operator 0 (FULLY_CONNECTED)",
        op_index=0,
        weights=np.array([[1, -2], [3, 4]], dtype=np.int8),
        weight_scale=np.array([weight_scale]),
        bias=np.array([5, -6], dtype=np.int32),
        input_grid=g,
        output=g,
    )
    return tflite.Network("t.tflite", "in", (1, 2), (2,), g, [layer], "out", (1, 2), (2,), g)


def test_tflite_writer_refuses_a_non_finite_weight_scale():
    from qpipe_tools import tflite

    assert "qpipe::DenseParams<2, 2, std::int8_t>" in tflite.write_header(tflite_network(0.25), None, "t")
    with pytest.raises(FrontEndError, match="not finite"):
        tflite.write_header(tflite_network(math.inf), None, "t")


def test_onnx_writer_refuses_a_non_finite_grid():
    from qpipe_tools import onnx

    g, bad = onnx.Grid(0.5, 0), onnx.Grid(math.nan, 0)
    layer = onnx.Layer(
        "dense",
        source="fc",
        weights=np.array([[1, -2], [3, 4]], dtype=np.int8),
        weight_scale=np.array([0.25]),
        bias=np.array([5, -6], dtype=np.int32),
        input_grid=g,
        output=g,
    )
    network = onnx.Network("m.onnx", "in", (2,), (2,), g, [layer], "out", (2,), g, (2,))
    assert "qpipe::DenseParams<2, 2, std::int8_t>" in onnx.write_header(network, None, "m")
    layer.output = bad
    with pytest.raises(FrontEndError, match="not finite"):
        onnx.write_header(network, None, "m")
