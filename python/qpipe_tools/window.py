"""qpipe_tools.window: the window geometry the torch and ONNX front ends share.

A convolution or pool of a framework names its window by kernel, stride, dilation and padding
(explicit cells before and after each axis, ceil_mode, count_include_pad); qpipe's window layers
take VALID or TFLite's SAME (include/qpipe/ops/geometry.hpp: ceil(size / stride) outputs, the
padding a window needs split with the smaller half before), and otherwise an explicit QPad2D in
front of a VALID window. This module decides, one axis at a time, which of those computes exactly
what the framework computes, and spells the result as qpipe's template arguments (the TFLite
reader's convention: `<K, S>` where it suffices, else qpipe::kernel / stride / dilation / same /
multiplier).

Pure Python, no numpy: both front ends import it.
"""


def span(kernel, dilation=1):
    """The cells a dilated kernel spans along an axis."""
    return (kernel - 1) * dilation + 1


def valid_outputs(size, kernel, stride, dilation=1):
    """Outputs of a VALID window along an axis (0 if the kernel does not fit)."""
    reach = span(kernel, dilation)
    return (size - reach) // stride + 1 if size >= reach else 0


def same_placement(size, kernel, stride, dilation=1):
    """TFLite's SAME along an axis: (outputs, padding before, padding after)."""
    outputs = -(-size // stride)
    total = max((outputs - 1) * stride + span(kernel, dilation) - size, 0)
    return outputs, total // 2, total - total // 2


def convolution_mode(axes):
    """How qpipe computes a convolution with explicit zero padding. axes: one (size, kernel, stride,
    dilation, before, after) per axis (height, width). 'valid' when no window reads a padded cell
    (trailing padding no window reaches is dropped), 'same' when the windows are TFLite SAME's on
    both axes (a padded cell adds 0 either way), else None: a QPad2D in front of a VALID window."""

    def matches(size, kernel, stride, dilation, before, after, same):
        outputs = valid_outputs(size + before + after, kernel, stride, dilation)
        if not same:
            return before == 0 and outputs == valid_outputs(size, kernel, stride, dilation)
        same_out, same_before, _ = same_placement(size, kernel, stride, dilation)
        return before == same_before and outputs == same_out

    for mode in ("valid", "same"):
        if all(matches(*axis, mode == "same") for axis in axes):
            return mode
    return None


def framework_pool_windows(size, kernel, stride, before, after, ceil_mode):
    """The windows a PyTorch / ONNX pool lays over one axis padded by (before, after), with
    ceil_mode's partial last window (never one that starts in the end padding): per output
    (first cell, end, end clipped at the padded axis' end), cells counted from the image's first."""
    padded = size + before + after
    if padded < kernel or stride < 1:
        return []
    if ceil_mode:
        outputs = -(-(padded - kernel) // stride) + 1
        if (outputs - 1) * stride >= size + before:
            outputs -= 1
    else:
        outputs = (padded - kernel) // stride + 1
    return [
        (i * stride - before, i * stride - before + kernel, min(i * stride - before + kernel, size + after))
        for i in range(outputs)
    ]


def pool_mode(axes, ceil_mode, average, count_include_pad):
    """How qpipe computes a framework's pool. axes: one (size, kernel, stride, before, after) per
    axis. 'valid' or 'same' when qpipe's windows read the same image cells (a max ignores padding,
    as the frameworks' -inf padding does) and an average divides by the same count (qpipe: the cells
    inside the image, as TFLite); 'pad' for an average that counts padded cells with every window
    whole (a QPad2D in front of a VALID pool: the pads hold real 0 and are counted); else None."""

    def cells(size, kernel, stride, before, after):
        return [
            (max(a, 0), min(b, size), padded - a)
            for a, b, padded in framework_pool_windows(size, kernel, stride, before, after, ceil_mode)
        ]

    def matches(size, kernel, stride, before, after, same):
        theirs = cells(size, kernel, stride, before, after)
        if same:
            outputs, lead, _ = same_placement(size, kernel, stride)
        else:
            outputs, lead = valid_outputs(size, kernel, stride), 0
        ours = [(max(i * stride - lead, 0), min(i * stride - lead + kernel, size)) for i in range(outputs)]
        return len(theirs) == len(ours) > 0 and all(
            (lo, hi) == q and not (average and count_include_pad and padded != hi - lo)
            for (lo, hi, padded), q in zip(theirs, ours)
        )

    def whole(size, kernel, stride, before, after):
        theirs = cells(size, kernel, stride, before, after)
        return len(theirs) == valid_outputs(size + before + after, kernel, stride) > 0 and all(
            padded == kernel for _, _, padded in theirs
        )

    for mode in ("valid", "same"):
        if all(matches(*axis, mode == "same") for axis in axes):
            return mode
    if average and count_include_pad and all(whole(*axis) for axis in axes):
        return "pad"
    return None


def pool_refusal(axes, ceil_mode, average, count_include_pad, padding, flag):
    """Why pool_mode found no way to compute a pool, as one clause. padding: the framework's
    padding as it reads it ("padding (1, 1)", "pads [1, 1, 1, 1]"); flag: its count_include_pad
    setting ("count_include_pad=False")."""
    (h, kh, sh, _, _), (w, kw, sw, _, _) = axes
    same = "SAME pads %d above, %d left" % (same_placement(h, kh, sh)[1], same_placement(w, kw, sw)[1])
    ceil = " and ceil_mode" if ceil_mode else ""
    if average and count_include_pad:
        return (
            "%s counts padded cells, which TFLite's SAME never does, and a pad in front cannot give "
            "ceil_mode's partial windows" % flag
        )
    if average:
        return (
            "%s%s with %s is not TFLite SAME's placement for this %dx%d input (%s), the only padding qpipe's "
            "average pool leaves out of the count" % (padding, ceil, flag, h, w, same)
        )
    return (
        "%s%s gives windows other than VALID's or TFLite SAME's for this %dx%d input (%s), and qpipe's max pool "
        "pads only as SAME does" % (padding, ceil, h, w, same)
    )


def template_args(kernel, stride, dilation=(1, 1), same=False, multiplier=1, pool=False):
    """The template arguments of a qpipe window layer: a square kernel as an integer and then a
    square stride as one (<3>, <3, 2>, <3, 2, qpipe::same>), else qpipe::kernel(h, w) and
    qpipe::stride(h, w); then qpipe::dilation, qpipe::same, qpipe::multiplier where they are not the
    defaults (stride: a pool's kernel, else 1)."""
    (kh, kw), (sh, sw), (dh, dw) = kernel, stride, dilation
    default_stride = (kh, kw) if pool else (1, 1)
    args = ["%d" % kh if kh == kw else "qpipe::kernel(%d, %d)" % (kh, kw)]
    if (sh, sw) != default_stride:
        args.append(
            "%d" % sh
            if kh == kw and sh == sw
            else "qpipe::stride(%d)" % sh
            if sh == sw
            else "qpipe::stride(%d, %d)" % (sh, sw)
        )
    if (dh, dw) != (1, 1):
        args.append("qpipe::dilation(%d)" % dh if dh == dw else "qpipe::dilation(%d, %d)" % (dh, dw))
    if same:
        args.append("qpipe::same")
    if multiplier != 1:
        args.append("qpipe::multiplier(%d)" % multiplier)
    return ", ".join(args)


def block_kernel(kernel):
    """A parameter block's kernel argument: K for a square one, else qpipe::kernel(h, w)."""
    kh, kw = kernel
    return "%d" % kh if kh == kw else "qpipe::kernel(%d, %d)" % (kh, kw)
