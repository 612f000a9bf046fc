"""The C++ text the front ends write: numbers, brace initializers, names, and the header file.

Every number goes through number(), which refuses what C++ cannot spell as a double literal (NaN and
the infinities) instead of writing a header that fails to compile."""

import math
import re

from . import FrontEndError

KEYWORDS = frozenset(
    """alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t
char16_t char32_t class compl concept const consteval constexpr constinit const_cast continue co_await
co_return co_yield decltype default delete do double dynamic_cast else enum explicit export extern
false float for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr
operator or or_eq private protected public register reinterpret_cast requires return short signed
sizeof static static_assert static_cast struct switch template this thread_local throw true try
typedef typeid typename union unsigned using virtual void volatile wchar_t while xor xor_eq""".split()
)


def number(value, what="a number"):
    """Exact C++ text for a double: Python's repr round-trips, and is a C++ literal once it has a
    point or an exponent. NaN and infinities raise FrontEndError naming `what`."""
    value = float(value)
    if not math.isfinite(value):
        raise FrontEndError("%s is not finite (%r); a header holds finite numbers only" % (what, value))
    text = repr(value)
    if not any(c in text for c in ".eE"):
        text += ".0"
    return text


def ints(values):
    """{1, -2, 3}"""
    return "{" + ", ".join(str(int(x)) for x in values) + "}"


def braces(a):
    """Nested braces of an integer ndarray."""
    if a.ndim == 1:
        return ints(a)
    return "{" + ", ".join(braces(sub) for sub in a) + "}"


def nested(a, indent):
    """Brace initializer of an integer ndarray, one entry of the outer dimension per line."""
    if a.ndim == 1:
        return ints(a)
    return "{" + (",\n" + " " * (indent + 1)).join(braces(sub) for sub in a) + "}"


def identifier(text):
    """A C++ identifier made from a model's name for something (other characters become '_')."""
    text = re.sub(r"[^0-9A-Za-z_]", "_", text)
    if not text or text[0].isdigit():
        text = "n_" + text
    return text


def check_namespace(namespace):
    """A namespace name, possibly nested (a::b), none of whose parts is a C++ keyword."""
    parts = (namespace or "").split("::")
    if not all(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", p) and p not in KEYWORDS for p in parts):
        raise FrontEndError("namespace '%s' is not a C++ identifier" % namespace)


def grid(g):
    """A grid (anything with .scale and .zero_point) as braces: {scale, zero point}."""
    return "{%s, %d}" % (number(g.scale, "a grid's scale"), g.zero_point)


# Every header names the grids of its input and output (input_grid, output_grid), so that a program
# quantizes and dequantizes with code_of<NS::input_grid, ...> and value_of<NS::output_grid, ...>
# whatever the front end; where the model does not carry them, the spec's own grids.
input_grid_line = "inline constexpr qpipe::Grid input_grid = qpipe::grids(spec).front();  // the calibrated input grid"
output_grid_line = (
    "inline constexpr qpipe::Grid output_grid = qpipe::output_grid(spec);  // the grid of the output codes"
)


def carried_header(comments, namespace, layer_types, input_shape, grids, blocks):
    """The header of a model whose int8 tensors and grids are carried over as they are (the ONNX QDQ
    and TFLite readers): the comment lines, the Pipe of layer_types, the input Shape, the named
    grids ((name, grid) pairs, input_grid first: spec's first argument), the parameter blocks
    ((name, text) pairs, in the order spec takes them), then spec and network, and output_grid
    when the grids do not include it."""
    dims = ", ".join(str(d) for d in input_shape)
    lines = [
        *comments,
        "#pragma once",
        "",
        "#include <cstdint>",
        "",
        "#include <qpipe.hpp>",
        "",
        "namespace %s {" % namespace,
        "",
        "using Net = qpipe::Pipe<%s>;" % ",\n                 ".join(layer_types),
        "using Input = qpipe::Shape<%s>;" % dims,
    ]
    lines += ["inline constexpr qpipe::Grid %s%s;" % (name, grid(g)) for name, g in grids]
    text = "\n".join(lines + [""]) + "\n" + "\n".join(b for _, b in blocks)
    args = ", ".join([grids[0][0]] + [name for name, _ in blocks])
    text += (
        "\ninline constexpr auto spec = qpipe::make_spec<Net, Input>(%s);\n"
        "inline constexpr auto network = qpipe::compile<spec>();\n"
    ) % args
    if "output_grid" not in (name for name, _ in grids):
        text += output_grid_line + "\n"
    return text + "\n}  // namespace %s\n" % namespace


def write(path, text):
    """Writes the header; an unwritable path is a FrontEndError."""
    try:
        with open(path, "w") as f:
            f.write(text)
    except OSError as e:
        raise FrontEndError("cannot write '%s': %s" % (path, e.strerror or e))
