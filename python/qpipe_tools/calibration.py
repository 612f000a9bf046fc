"""qpipe_tools.calibration: qpipe's calibration on the host, bit for bit the compiler's.

`qpipe::calibrate(spec, samples)` (include/qpipe/calibrate.hpp) runs qpipe's float reference over
every sample inside constant evaluation and lets each buffer's observer choose its grid. That
costs the compiler about 25 constexpr operations per multiply-accumulate per sample. This module
does the same computation in numpy, so that an exporter can write the grids themselves and the
compiler has only the integer constants left to derive.

Identical, not close: every float64 operation the C++ performs is performed here, in the same
order, on the same operands.
- The math (exp, tanh, sqrt, log, ...) is qpipe's own (numerics/constexpr_math.hpp), ported
  operation by operation: the same constants, branches and loop counts (including sqrt's early
  exit), vectorized over elements but with each element's sequence of operations the C++ one.
- Accumulations run in the C++ reference's order (bias first, then the reduction index in
  order). numpy's sum/dot/einsum reorder additions and are not used for them; vectorizing is
  across outputs and samples only. (np.add.accumulate is a sequential left-to-right loop and is
  used for running sums.)
- IEEE float64 +, -, *, / are correctly rounded both in numpy and in GCC's constant folding, and
  neither contracts a * b + c into a fused multiply-add, so equal operations give equal bits.
- The observers read the same values with the same arithmetic: MinMax, the percentile's
  interpolation between the same order statistics, the KL histogram, prefix sums, table of
  logarithms (qpipe's log) and sweep with its tie rule, and min_max_grid's zero-point nudge.
- Batch normalization is folded as transforms.hpp folds it (with qpipe's sqrt), since the
  compiler folds the header's fold_batch_norm(...) call before it runs the reference.

- Window layers (convolutions, depthwise, pools) with any kernel, stride and dilation, VALID or
  TFLite's SAME, skip the taps that fall on SAME's padding as the C++ loops do (not adding 0.0,
  which could turn a -0.0 sum into +0.0); the pools seed with the first tap inside the image and
  divide by the count of such taps.

numpy only (the exporter imports it; so can any other front end). The network is described with
the classes below, which mirror the C++ declaration: a list of layers, Residual(items, add block),
Merge(kind, branches, block) for Add / Mul / Concat (a branch [] is Identity), parameter blocks
in the C++ layouts (conv [out][ky][kx][in], depthwise [ky][kx][c M + j], pointwise and dense
[out][in]), samples as rows of NHWC float64. plan() numbers the buffers as detail/plan.hpp does
(a merge's first branch, then its second, then the merge).

    grids = calibrate(items, input_shape, samples, input_observer=Observer())
    grids.input, grids.block_grid(block), grids.buffers (per buffer: observer, seen, chosen, grid)
"""

import numpy as np

from . import window as qpipe_window  # the window geometry the front ends share

# ---------------------------------------------------------------------------------------------
# qpipe::math, operation by operation (include/qpipe/numerics/constexpr_math.hpp). Every function
# takes and returns float64 arrays (scalars are promoted), elementwise.

INFINITY = float("inf")
TWO_52 = 4503599627370496.0
INV_LN2 = 1.44269504088896338700e00
LN2_HI = 6.93147180369123816490e-01
LN2_LO = 1.90821492927058770002e-10
INT8_MIN, INT8_MAX = -128, 127


def _quiet(function):
    """Overflow to infinity and NaN are the results asked for here, not warnings."""

    def wrapped(*args):
        with np.errstate(all="ignore"):
            return function(*args)

    wrapped.__name__, wrapped.__doc__ = function.__name__, function.__doc__
    return wrapped


def _array(x):
    return np.array(x, dtype=np.float64, copy=True, ndmin=0)


def _abs(x):
    """math::abs: x < 0 ? -x : x (keeps -0.0, as the C++ does)."""
    return np.where(x < 0, -x, x)


@_quiet
def round_half_away(x):
    x = _array(x)
    a = _abs(x)
    small = a < TWO_52  # false for NaN and for |x| >= 2^52 (already an integer): returned as is
    whole = np.where(small, a, 0.0).astype(np.int64)  # truncation, as static_cast<std::int64_t>
    fraction = np.where(small, a, 0.0) - whole.astype(np.float64)  # exact
    rounded = (whole + (fraction >= 0.5).astype(np.int64)).astype(np.float64)
    return np.where(small, np.where(x < 0, -rounded, rounded), x)


@_quiet
def floor(x):
    x = _array(x)
    small = _abs(x) < TWO_52
    t = np.where(small, x, 0.0).astype(np.int64).astype(np.float64)  # toward zero
    return np.where(small, np.where(t > x, t - 1.0, t), x)


def _power_of_two(k):
    """2^k for whole k in [-1022, 1023], built from its bits as the C++ does."""
    return ((np.asarray(k, dtype=np.int64) + 1023) << 52).astype(np.uint64).view(np.float64)


@_quiet
def ldexp(x, e):
    x = _array(x)
    e = np.array(np.broadcast_to(np.asarray(e, dtype=np.int64), x.shape))
    x = np.array(np.broadcast_to(x, e.shape))
    while True:  # while (e > 1023) { x *= 2^1023; e -= 1023; }
        big = e > 1023
        if not big.any():
            break
        x = np.where(big, x * _power_of_two(1023), x)
        e = np.where(big, e - 1023, e)
    while True:  # while (e < -1022) { x *= 2^-1022; e += 1022; }
        tiny = e < -1022
        if not tiny.any():
            break
        x = np.where(tiny, x * _power_of_two(-1022), x)
        e = np.where(tiny, e + 1022, e)
    return x * _power_of_two(e)


@_quiet
def exp(x):
    x = _array(x)
    nan = x != x
    over = x > 709.782712893384
    under = x < -745.2
    plain = ~(nan | over | under)
    xs = np.where(plain, x, 0.0)
    k = round_half_away(xs * INV_LN2)
    r = (xs - k * LN2_HI) - k * LN2_LO
    total = np.ones_like(xs)
    term = np.ones_like(xs)
    for n in range(1, 28):
        term = term * (r / n)
        total = total + term
    result = ldexp(total, k.astype(np.int64))
    return np.where(nan, x, np.where(over, INFINITY, np.where(under, 0.0, result)))


@_quiet
def expm1(x):
    x = _array(x)
    large = _abs(x) >= 0.5
    total = np.zeros_like(x)
    term = np.ones_like(x)
    xs = np.where(large, 0.0, x)
    for n in range(1, 31):
        term = term * (xs / n)
        total = total + term
    # exp only where it is taken (exp of the small ones would be wasted work, not a difference)
    return np.where(large, exp(np.where(large, x, 0.0)) - 1.0, total)


@_quiet
def sigmoid(x):
    x = _array(x)
    nan = x != x
    positive = x >= 0
    e_neg = exp(np.where(positive, -x, 0.0))
    e_pos = exp(np.where(positive, 0.0, x))
    up = 1.0 / (1.0 + e_neg)
    down = e_pos / (1.0 + e_pos)
    return np.where(nan, x, np.where(positive, up, down))


@_quiet
def tanh(x):
    x = _array(x)
    nan = x != x
    a = _abs(x)
    inside = a < 20.0
    e = expm1(np.where(inside, 2.0 * a, 0.0))
    t = np.where(inside, e / (e + 2.0), 1.0)
    return np.where(nan, x, np.where(x < 0, -t, t))


def _exponent_field(x):
    return ((x.view(np.uint64) >> np.uint64(52)) & np.uint64(0x7FF)).astype(np.int64)


@_quiet
def sqrt(x):
    """Newton from 2^(e/2), C++'s truncating e / 2, at most 80 steps, each element stopping at the
    first step that does not change it."""
    x = _array(x)
    invalid = (x != x) | (x < 0)
    trivial = (x == 0) | (x == INFINITY)
    work = ~(invalid | trivial)
    xs = np.where(work, x, 1.0)
    e = _exponent_field(xs) - 1023
    half = np.where(e < 0, -((-e) // 2), e // 2)  # C++ integer division truncates toward zero
    y = ldexp(np.ones_like(xs), half)
    active = work.copy()
    for _ in range(80):
        if not active.any():
            break
        nxt = 0.5 * (y + xs / y)
        active &= nxt != y
        y = np.where(active, nxt, y)
    return np.where(invalid, np.nan, np.where(trivial, x, y))


@_quiet
def log(x):
    x = _array(x)
    nan = (x != x) | (x < 0)
    zero = x == 0
    inf = x == INFINITY
    work = ~(nan | zero | inf)
    xs = np.where(work, x, 1.0)
    subnormal = xs < 2.2250738585072014e-308
    xs = np.where(subnormal, xs * 18014398509481984.0, xs)  # 2^54
    e = np.where(subnormal, -54, 0).astype(np.int64)
    bits = xs.view(np.uint64)
    e = e + _exponent_field(xs) - 1023
    m = ((bits & np.uint64(0x000FFFFFFFFFFFFF)) | np.uint64(0x3FF0000000000000)).view(np.float64)
    high = m >= 1.4142135623730951
    m = np.where(high, m * 0.5, m)
    e = np.where(high, e + 1, e)
    z = (m - 1.0) / (m + 1.0)
    z2 = z * z
    term = z
    total = np.zeros_like(z)
    for k in range(14):
        total = total + term / (2 * k + 1)
        term = term * z2
    ed = e.astype(np.float64)
    result = (ed * LN2_HI + 2.0 * total) + ed * LN2_LO
    return np.where(nan, np.nan, np.where(zero, -INFINITY, np.where(inf, INFINITY, result)))


# ---------------------------------------------------------------------------------------------
# Observers (include/qpipe/numerics/observers.hpp) and grids (calibrate.hpp)


class Observer:
    """min_max(), percentile(lower, upper) or kl_divergence(bins), as the C++ Observer."""

    def __init__(self, method="min_max", lower=0.0, upper=100.0, bins=2048):
        if method not in ("min_max", "percentile", "kl_divergence"):
            raise ValueError("unknown observer method %r" % method)
        if method == "percentile" and not (0 <= lower < upper <= 100):
            raise ValueError("percentile observer needs 0 <= lower < upper <= 100")
        if method == "kl_divergence" and bins < 512:
            raise ValueError("KL observer needs at least 512 bins")
        self.method, self.lower, self.upper, self.bins = method, float(lower), float(upper), int(bins)

    @staticmethod
    def parse(text):
        """min_max, percentile:LO:HI or kl[:BINS] (the exporters' spelling); ValueError otherwise."""
        parts = text.strip().split(":")
        if parts == ["min_max"]:
            return Observer()
        if parts[0] == "percentile" and len(parts) == 3:
            return Observer("percentile", float(parts[1]), float(parts[2]))
        if parts[0] == "kl" and len(parts) <= 2:
            return Observer("kl_divergence", bins=int(parts[1]) if len(parts) == 2 else 2048)
        raise ValueError(text)

    def __repr__(self):
        if self.method == "percentile":
            return "percentile(%r, %r)" % (self.lower, self.upper)
        if self.method == "kl_divergence":
            return "kl_divergence(%d)" % self.bins
        return "min_max()"


def min_max_grid(lo, hi):
    """(scale, zero point) of 256 codes over [lo, hi] widened to include 0 (calibrate.hpp)."""
    lo = lo if lo < 0 else 0.0
    hi = hi if hi > 0 else 0.0
    if hi - lo == 0:
        hi = lo + 1.0
    scale = (hi - lo) / 255.0
    zero_point = float(round_half_away(INT8_MIN - lo / scale))
    zero_point = INT8_MIN if zero_point < INT8_MIN else (INT8_MAX if zero_point > INT8_MAX else zero_point)
    return scale, int(zero_point)


def min_max_of(values):
    """The smallest and largest value (a Range), in the values' order the first of equal ones, as
    the C++ loop keeps them (which only tells 0.0 from -0.0 apart)."""
    values = values.ravel()
    return float(values[np.argmin(values)]), float(values[np.argmax(values)])


def percentile_rank(n, p):
    rank = p / 100.0 * float(n - 1)
    below = int(floor(rank))
    return below, rank - float(below)


def percentile_of_sorted(sorted_values, p):
    """numpy's linear interpolation, written as observers.hpp computes it (not np.percentile, whose
    arithmetic differs in the last bits)."""
    n = len(sorted_values)
    below, t = percentile_rank(n, p)
    if below + 1 >= n:
        return float(sorted_values[n - 1])
    a, b = float(sorted_values[below]), float(sorted_values[below + 1])
    return a + t * (b - a)


def histogram_bin_width(seen, bins):
    lo, hi = seen
    a_lo, a_hi = float(_abs(_array(lo))), float(_abs(_array(hi)))
    largest = a_lo if a_lo > a_hi else a_hi
    return largest / float(bins)


def histogram(values, bins, width):
    """count[min(int(|x| / width), bins - 1)] += 1 over the values (whole numbers, as doubles)."""
    index = (_abs(values) / width).astype(np.int64)  # non-negative: truncation as size_t
    index = np.minimum(index, bins - 1)
    return np.bincount(index.ravel(), minlength=bins).astype(np.float64)


def kl_divergence_choice(seen, count):
    """(chosen range, threshold) of the KL observer for a histogram `count` of the values `seen`
    spans: observers.hpp's Histogram and sweep, candidates vectorized, each candidate's sum over
    levels in level order."""
    bins = len(count)
    width = histogram_bin_width(seen, bins)
    if width == 0:
        return seen, 0.0
    count = np.asarray(count, dtype=np.float64)
    # Prefix sums of whole numbers (exact in any order); plogp's is a real sum, in order.
    mass = np.concatenate([[0.0], np.add.accumulate(count)])
    nonzero = np.concatenate([[0.0], np.add.accumulate((count > 0).astype(np.float64))])
    total_values = int(mass[-1])
    largest = total_values if total_values > bins else bins
    ln = np.zeros(largest + 1)
    ln[1:] = log(np.arange(1, largest + 1, dtype=np.float64))

    def log_of(whole):
        return np.where(whole > 0, ln[np.where(whole > 0, whole, 0).astype(np.int64)], 0.0)

    plogp = np.concatenate([[0.0], np.add.accumulate(count * log_of(count))])

    lo, hi = seen
    levels = 256 if (lo >= 0 or hi <= 0) else 128
    edges = np.arange(levels, bins + 1, dtype=np.int64)
    total = mass[bins]
    outliers = total - mass[edges]
    last = count[edges - 1] + outliers
    last_index = np.where(last > 0, last, 0).astype(np.int64)
    sum_plogp = plogp[edges - 1] + np.where(last > 0, last * ln[last_index], 0.0)
    sum_plogq = np.zeros(len(edges))
    infinite = np.zeros(len(edges), dtype=bool)
    width_bins = edges // levels
    for level in range(levels):
        begin = level * width_bins
        end = edges if level + 1 == levels else begin + width_bins
        q_mass = mass[end] - mass[begin]
        p_mass = q_mass
        nonzero_bins = nonzero[end] - nonzero[begin]
        at_edge = end == edges
        p_mass = np.where(at_edge, p_mass + outliers, p_mass)
        nonzero_bins = np.where(at_edge & (count[edges - 1] == 0) & (last > 0), nonzero_bins + 1, nonzero_bins)
        counted = p_mass != 0
        infinite |= counted & (q_mass == 0)
        use = counted & (q_mass != 0) & ~infinite
        term = p_mass * (
            ln[np.where(use, q_mass, 0).astype(np.int64)] - ln[np.where(use, nonzero_bins, 0).astype(np.int64)]
        )
        sum_plogq = np.where(use, sum_plogq + term, sum_plogq)
    kl = (sum_plogp - sum_plogq) / total + (ln[mass[edges].astype(np.int64)] - ln[int(total)])
    kl = np.where(infinite | (kl != kl), INFINITY, kl)
    # for edge in levels..bins: if (kl < best) { best = kl; best_edge = edge; } from best = inf
    best_edge = bins
    if kl.min() < INFINITY:
        best_edge = int(edges[int(np.argmin(kl))])  # argmin: the first of equal minima
    threshold = float(best_edge) * width
    chosen = (-threshold if lo < -threshold else lo, threshold if hi > threshold else hi)
    return chosen, threshold


def observe(observer, values, seen=None):
    """(seen range, chosen range, threshold) for all the values one buffer took (any order)."""
    values = np.asarray(values, dtype=np.float64).ravel()
    if seen is None:
        seen = min_max_of(values)
    if observer.method == "min_max":
        return seen, seen, 0.0
    if observer.method == "percentile":
        ordered = np.sort(values)
        return seen, (percentile_of_sorted(ordered, observer.lower), percentile_of_sorted(ordered, observer.upper)), 0.0
    width = histogram_bin_width(seen, observer.bins)
    if width == 0:
        return seen, seen, 0.0
    chosen, threshold = kl_divergence_choice(seen, histogram(values, observer.bins, width))
    return seen, chosen, threshold


# ---------------------------------------------------------------------------------------------
# The network: parameter blocks and layers, as the C++ declaration has them


class Block:
    """A parameter block. kind: 'conv', 'pointwise', 'depthwise', 'dense' or 'residual'.
    weights: float64 array in the C++ layout; int8 weights (weight_scale given) are read as
    weight * scale like real_weight. batch_norm: (gamma, beta, mean, variance, epsilon), folded
    with fold_batch_norm before the reference runs."""

    def __init__(self, kind, weights=None, bias=None, observer=None, weight_scale=None, batch_norm=None, name=""):
        self.kind = kind
        self.name = name
        self.observer = observer or Observer()
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        self.bias = None if bias is None else np.asarray(bias, dtype=np.float64)
        self.weight_scale = weight_scale
        self.batch_norm = batch_norm
        self._folded = None

    def real(self):
        """(weights, bias) as the reference reads them: int8 weights scaled, batch norm folded."""
        if self._folded is None:
            w, b = self.weights, self.bias
            if self.weight_scale is not None:  # int8 weights: w * scale (per output channel or one)
                scale = np.asarray(self.weight_scale, dtype=np.float64)
                w = w * (scale.reshape(self.output_axis_shape(w.ndim)) if scale.ndim else scale)
            if self.batch_norm is not None:
                try:
                    w, b = fold_batch_norm(self.kind, w, b, *self.batch_norm)
                except ValueError as e:
                    raise ValueError("block '%s': %s" % (self.name, e))
            self._folded = (w, b)
        return self._folded

    def output_axis_shape(self, ndim):
        """How a per-output-channel vector broadcasts over the weights."""
        if self.kind == "depthwise":
            return (1,) * (ndim - 1) + (-1,)
        return (-1,) + (1,) * (ndim - 1)


def fold_batch_norm(kind, weights, bias, gamma, beta, mean, variance, epsilon=1e-5):
    """transforms.hpp's fold_batch_norm: per output channel o, s = gamma / sqrt(variance + eps);
    w *= s; b = s * (b - mean) + beta."""
    gamma, beta, mean, variance = (np.asarray(a, dtype=np.float64) for a in (gamma, beta, mean, variance))
    v = variance + float(epsilon)
    if not np.all((v > 0) & np.isfinite(v)):
        raise ValueError(
            "batch normalization with variance + epsilon not positive and finite (as the compiler's "
            "fold_batch_norm, which refuses it)"
        )
    s = gamma / sqrt(v)
    if kind == "depthwise":  # [ky][kx][c]: channel c is the output channel
        w = weights * s.reshape(1, 1, -1)
    else:  # conv [o][ky][kx][i], pointwise and dense [o][i]
        w = weights * s.reshape((-1,) + (1,) * (weights.ndim - 1))
    b = s * (bias - mean) + beta
    return w, b


class Layer:
    """One layer of the declaration. kind and its arguments:
    pad(pads: top, bottom, left, right)
    conv(block, k, s, d, same, per_channel)  pointwise(block, per_channel)  depthwise(block, k, s, d, same, multiplier)
    dense(block)  dense_per_channel(block)
    max_pool(k, s, same)  avg_pool(k, s, same)  global_avg_pool
    relu  relu6  relu_n1_to_1  sigmoid  tanh  softmax
    leaky_relu(block, alpha)  hard_swish(block)  quantize(block)  flatten
    mean  reshape(shape): planned (steps, shapes, MACs, arena: the summary of a TFLite model), not
    run by the reference: the torch exporter does not write them.
    k, s and d are an int (square) or a (height, width) pair; same: TFLite's SAME padding."""

    CLAMPS = ("relu", "relu6", "relu_n1_to_1")
    ABSORBS = (
        "conv",
        "pointwise",
        "depthwise",
        "dense",
        "dense_per_channel",
        "max_pool",
        "avg_pool",
        "global_avg_pool",
        "mean",
        "leaky_relu",
        "hard_swish",
        "quantize",
    )
    VIEWS = ("flatten", "reshape")

    def __init__(
        self,
        kind,
        block=None,
        k=1,
        s=1,
        pads=(0, 0, 0, 0),
        per_channel=True,
        d=1,
        same=False,
        multiplier=1,
        alpha=None,
        shape=(),
    ):
        self.kind, self.block, self.pads, self.shape = kind, block, tuple(pads), tuple(shape)
        self.kernel, self.stride, self.dilation = _pair(k), _pair(s), _pair(d)
        self.same, self.multiplier, self.alpha = same, multiplier, alpha
        self.per_channel = per_channel  # conv and pointwise: one weight scale per output channel (the
        #                                 float reference is the same either way)


def _pair(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


class Merge:
    """A merge of branches run on the same input (Add<A, B>, Mul<A, B>, Concat<A, B, ...>): kind 'add',
    'mul' or 'concat'; branches: one item list per branch, [] for Identity (the input itself);
    block: the AddParams / MulParams block (kind 'add' / 'mul'), None for a Concat. A Concat of more
    than two branches is Concat<Concat<A, B>, C>, as the C++ declares it."""

    ABSORBS = ("add", "mul")

    def __init__(self, kind, branches, block=None):
        if kind not in ("add", "mul", "concat") or len(branches) < 2 or (kind != "concat" and len(branches) != 2):
            raise ValueError("a merge is add or mul of two branches, or concat of two or more")
        self.kind, self.branches, self.block = kind, [list(b) for b in branches], block


class Residual(Merge):
    """Residual<Pipe<items...>>: Add<Identity, Pipe<items...>> with its ResidualParams block (kind
    'residual')."""

    def __init__(self, items, add_block):
        super().__init__("add", [[], items], add_block)
        self.items, self.add_block = items, add_block


class Step:
    """One runtime step: a layer (or a merge) with the clamps folded into it, the buffer it reads
    (and, for a merge, the second one)."""

    def __init__(self, layer, source, other=None):
        self.layer, self.source, self.other, self.clamps = layer, source, other, []

    @property
    def block(self):
        return self.layer.block

    @property
    def kind(self):
        return self.layer.kind


def _tokens(items, out):
    """detail::layer_tokens: a layer; a merge as fork, first branch, switch, second branch, merge."""
    for item in items:
        if isinstance(item, Merge):
            first = item.branches[0]
            if len(item.branches) > 2:  # Concat<A, B, C> = Concat<Concat<A, B>, C>
                first = [Merge(item.kind, item.branches[:-1])]
            out.append(("fork", item))
            _tokens(first, out)
            out.append(("switch", item))
            _tokens(item.branches[-1], out)
            out.append(("merge", item))
        else:
            out.append(("clamp" if item.kind in Layer.CLAMPS else "layer", item))
    return out


def plan(items):
    """The runtime steps (detail::step_table): a clamp after a layer that absorbs clamps (or after
    a clamp folded into one) joins that step, except at the start of a branch; buffer 0 is the
    input, step k writes buffer k + 1; a merge reads the ends of its first and second branch (an
    empty branch ends at the fork's input)."""
    steps, forks, current, absorbing = [], [], 0, False
    for role, item in _tokens(items, []):
        if role == "fork":
            forks.append([current, None])
            absorbing = False
            continue
        if role == "switch":
            forks[-1][1] = current
            current = forks[-1][0]
            absorbing = False
            continue
        if role == "clamp" and absorbing:
            steps[-1].clamps.append(item.kind)
            continue
        if role == "merge":
            steps.append(Step(item, forks.pop()[1], current))
            absorbing = item.kind in Merge.ABSORBS
        else:
            steps.append(Step(item, current))
            absorbing = item.kind in Layer.ABSORBS
        current = len(steps)
    return steps


def window_of(layer, shape):
    """(out height, out width, pad top, pad left) of a window layer over an H x W x C input."""
    h, w = shape[0], shape[1]
    (kh, kw), (sh, sw), (dh, dw) = layer.kernel, layer.stride, layer.dilation
    if layer.same:
        oh, top, _ = qpipe_window.same_placement(h, kh, sh, dh)
        ow, left, _ = qpipe_window.same_placement(w, kw, sw, dw)
        return oh, ow, top, left
    return qpipe_window.valid_outputs(h, kh, sh, dh), qpipe_window.valid_outputs(w, kw, sw, dw), 0, 0


def output_shape(step, shape, other=None):
    kind = step.kind
    if kind in ("conv", "depthwise", "max_pool", "avg_pool"):
        oh, ow, _, _ = window_of(step.layer, shape)
        c = shape[2]
        if kind == "conv":
            c = step.block.weights.shape[0]
        elif kind == "depthwise":
            c *= step.layer.multiplier
        return (oh, ow, c)
    if kind == "pointwise":
        return (shape[0], shape[1], step.block.weights.shape[0])
    if kind == "pad":
        top, bottom, left, right = step.layer.pads
        return (shape[0] + top + bottom, shape[1] + left + right, shape[2])
    if kind in ("dense", "dense_per_channel"):
        return (step.block.weights.shape[0],)
    if kind in ("global_avg_pool", "mean"):
        return (shape[2],)
    if kind == "reshape":
        return step.layer.shape
    if kind == "flatten":
        return (int(np.prod(shape)),)
    if kind == "concat":
        return tuple(shape[:-1]) + (shape[-1] + other[-1],)
    return shape


def buffer_shapes(steps, input_shape):
    shapes = [tuple(input_shape)]
    for step in steps:
        shapes.append(output_shape(step, shapes[step.source], shapes[step.other] if step.other is not None else None))
    return shapes


def _clamp(kind, x):
    if kind == "relu":
        return np.where(x > 0, x, 0.0)
    if kind == "relu_n1_to_1":
        return np.where(x < -1, -1.0, np.where(x > 1, 1.0, x))
    return np.where(x < 0, 0.0, np.where(x > 6, 6.0, x))  # relu6


def _apply_clamps(clamps, x):
    for kind in clamps:
        x = _clamp(kind, x)
    return x


def _taps(size, out, stride, offset, before):
    """The outputs whose tap at `offset` (ky * dilation) lies inside an axis of `size` cells, and the
    input cells they read: (first output, end output, slice of the input)."""
    first = max(0, -(-(before - offset) // stride))
    end = min(out, (size - 1 + before - offset) // stride + 1)
    if end <= first:
        return first, first, slice(0, 0)
    start = first * stride + offset - before
    return first, end, slice(start, start + (end - first - 1) * stride + 1, stride)


def _window_sweep(x, layer, visit):
    """Calls visit(ky, kx, (rows, columns) of the outputs, taps) for every kernel tap in C++ order,
    with the outputs whose tap lies inside the image (a tap on padding is skipped) and the input
    cells they read."""
    n, h, w, c = x.shape
    oh, ow, top, left = window_of(layer, (h, w, c))
    (kh, kw), (sh, sw), (dh, dw) = layer.kernel, layer.stride, layer.dilation
    for ky in range(kh):
        y0, y1, rows = _taps(h, oh, sh, ky * dh, top)
        for kx in range(kw):
            x0, x1, cols = _taps(w, ow, sw, kx * dw, left)
            if y1 > y0 and x1 > x0:
                visit(ky, kx, (slice(y0, y1), slice(x0, x1)), x[:, rows, cols, :])
    return oh, ow


def _convolution(x, w, bias, layer):
    """convolution_reference: acc = bias[o]; for ky, kx (taps inside the image), i in order:
    acc += w[o][ky][kx][i] * x."""
    n, h, wd, _ = x.shape
    oh, ow, _, _ = window_of(layer, x.shape[1:])
    acc = np.empty((n, oh, ow, w.shape[0]))
    acc[...] = bias

    def visit(ky, kx, at, window):
        for i in range(window.shape[3]):
            acc[:, at[0], at[1], :] += w[:, ky, kx, i] * window[:, :, :, i : i + 1]

    _window_sweep(x, layer, visit)
    return acc


def _depthwise(x, w, bias, layer):
    """Depthwise reference: output channel c M + j reads input channel c; acc = bias, then the taps
    inside the image in (ky, kx) order."""
    multiplier = layer.multiplier
    expanded = np.repeat(x, multiplier, axis=3) if multiplier != 1 else x
    n = x.shape[0]
    oh, ow, _, _ = window_of(layer, x.shape[1:])
    acc = np.empty((n, oh, ow, w.shape[2]))
    acc[...] = bias

    def visit(ky, kx, at, window):
        acc[:, at[0], at[1], :] += w[ky, kx, :] * window

    _window_sweep(expanded, layer, visit)
    return acc


def _pool(x, layer, average):
    """PoolingLayer::reference_of: over the window's cells inside the image in (ky, kx) order, the
    first seeds the result (a max: the tap; a mean: 0.0 + tap), then max or sum; a mean divides by
    the count of those cells."""
    n, _, _, c = x.shape
    oh, ow, _, _ = window_of(layer, x.shape[1:])
    result = np.zeros((n, oh, ow, c))
    count = np.zeros((oh, ow, 1))

    def visit(ky, kx, at, tap):
        seen = count[at] > 0
        if average:
            result[:, at[0], at[1], :] = np.where(seen, result[:, at[0], at[1], :] + tap, 0.0 + tap)
        else:
            current = result[:, at[0], at[1], :]
            result[:, at[0], at[1], :] = np.where(seen & ~(tap > current), current, tap)
        count[at] += 1

    _window_sweep(x, layer, visit)
    return result / count if average else result


def _dense(x, w, bias):
    """acc = bias[u]; for i in order: acc += w[u][i] * x[i] (x read flat, NHWC)."""
    n = x.shape[0]
    flat = x.reshape(n, -1)
    acc = np.empty((n, w.shape[0]))
    acc[...] = bias
    for i in range(flat.shape[1]):
        acc += w[:, i] * flat[:, i : i + 1]
    return acc


def _hard_swish(x):
    """QHardSwish::function: x * clamp(x + 3, 0, 6) / 6."""
    gate = np.where(x + 3 < 0, 0.0, np.where(x + 3 > 6, 6.0, x + 3))
    return x * gate / 6.0


def run_step(step, x, other=None):
    """One step of the float reference over a batch: x is [N, *shape] of the buffer it reads."""
    kind = step.kind
    if kind in ("conv", "pointwise"):
        w, b = step.block.real()
        if kind == "pointwise":
            y = _convolution(x, w[:, None, None, :], b, Layer("conv"))
        else:
            y = _convolution(x, w, b, step.layer)
    elif kind in ("dense", "dense_per_channel"):
        w, b = step.block.real()
        y = _dense(x, w, b)
    elif kind == "depthwise":
        w, b = step.block.real()
        y = _depthwise(x, w, b, step.layer)
    elif kind == "pad":
        top, bottom, left, right = step.layer.pads
        n, h, wd, c = x.shape
        y = np.zeros((n, h + top + bottom, wd + left + right, c))
        y[:, top : top + h, left : left + wd, :] = x
    elif kind in ("max_pool", "avg_pool"):
        y = _pool(x, step.layer, kind == "avg_pool")
    elif kind == "global_avg_pool":
        n, h, wd, c = x.shape
        pixels = x.reshape(n, h * wd, c)
        total = np.zeros((n, c))
        for p in range(h * wd):
            total = total + pixels[:, p, :]
        y = total / float(h * wd)
    elif kind in Layer.CLAMPS:
        y = _clamp(kind, x)
    elif kind == "sigmoid":
        y = sigmoid(x)
    elif kind == "tanh":
        y = tanh(x)
    elif kind == "softmax":  # over the last dimension
        depth = x.shape[-1]
        largest = x[..., 0]
        for i in range(1, depth):
            largest = np.where(x[..., i] > largest, x[..., i], largest)
        total = np.zeros(largest.shape)
        for i in range(depth):
            total = total + exp(x[..., i] - largest)
        y = np.empty(x.shape)
        for i in range(depth):
            y[..., i] = exp(x[..., i] - largest) / total
    elif kind == "leaky_relu":
        y = np.where(x >= 0, x, step.layer.alpha * x)
    elif kind == "hard_swish":
        y = _hard_swish(x)
    elif kind in ("quantize", "flatten"):
        y = x.copy()
    elif kind == "add":
        y = x + other
    elif kind == "mul":
        y = x * other
    elif kind == "concat":
        y = np.concatenate([x, other], axis=-1)
    else:
        raise ValueError("unknown layer kind %r" % kind)
    return _apply_clamps(step.clamps, y)


def reference_trace(items, input_shape, samples):
    """Every buffer of the float reference for each sample: a list of arrays [N, *shape]."""
    steps = plan(items)
    shapes = buffer_shapes(steps, input_shape)
    samples = np.asarray(samples, dtype=np.float64)
    trace = [samples.reshape((samples.shape[0],) + tuple(input_shape))]
    for k, step in enumerate(steps):
        other = trace[step.other] if step.other is not None else None
        y = run_step(step, trace[step.source], other)
        trace.append(y.reshape((samples.shape[0],) + shapes[k + 1]))
    return trace


# ---------------------------------------------------------------------------------------------
# Calibration


class BufferCalibration:
    """What calibration decided for one buffer (the C++ BufferCalibration)."""

    def __init__(self, calibrated=False, observer=None, seen=(0.0, 0.0), chosen=(0.0, 0.0), threshold=0.0, grid=None):
        self.calibrated, self.observer, self.seen, self.chosen = calibrated, observer, seen, chosen
        self.threshold, self.grid = threshold, grid


class Calibration:
    """The result: per buffer ([0] the input, [k + 1] step k's output) a BufferCalibration; the
    steps and buffer shapes; the grid of each calibrated block."""

    def __init__(self, steps, shapes, buffers, samples):
        self.steps, self.shapes, self.buffers, self.samples = steps, shapes, buffers, samples
        self.input = buffers[0].grid
        self._by_block = {id(step.block): buffers[k + 1] for k, step in enumerate(steps) if step.block is not None}

    def block(self, block):
        """The BufferCalibration of the buffer a block's `output` grid describes."""
        return self._by_block[id(block)]

    def block_grid(self, block):
        return self.block(block).grid


def check_constants(calibration):
    """What the compiler would refuse in a weighted block once its grids are known, found on the host
    so that an exporter gives one error line instead of a header that does not compile: weights all
    zero (no scale to derive: max |w| / 127 = 0), a requantizer multiplier (input scale x weight
    scale / output scale) outside [2^-32, 2^30), a bias outside int32 on the accumulator grid
    (input scale x weight scale), and an accumulator bound |bias| + |zero point x sum w| + 128 sum |w|
    (in codes) beyond int32. Raises ValueError naming the block. Mirrors numerics/weights.hpp and
    quantize_multiplier.hpp (the bound is the compiler's or slightly stricter)."""
    # The grid of every buffer: a block's output its calibrated grid, the fixed grids of the table
    # activations and softmax, any other layer its input's.
    fixed = {"sigmoid": (1.0 / 256.0, -128), "tanh": (1.0 / 128.0, 0), "softmax": (1.0 / 256.0, -128)}
    grids = [calibration.buffers[0].grid]
    for k, step in enumerate(calibration.steps):
        buffer = calibration.buffers[k + 1]
        grids.append(
            buffer.grid if buffer.calibrated and buffer.grid is not None else fixed.get(step.kind, grids[step.source])
        )
    for k, step in enumerate(calibration.steps):
        block = step.block
        if (
            block is None
            or block.weights is None
            or step.kind not in ("conv", "pointwise", "depthwise", "dense", "dense_per_channel")
        ):
            continue
        w, b = block.real()
        w = np.asarray(w, dtype=np.float64)
        channels = np.moveaxis(w, -1, 0) if step.kind == "depthwise" else w
        channels = channels.reshape(channels.shape[0], -1)
        folded = " after its batch norm is folded in" if block.batch_norm is not None else ""
        if block.weight_scale is not None:
            scale = np.broadcast_to(np.asarray(block.weight_scale, dtype=np.float64), (channels.shape[0],))
        else:
            largest = np.max(np.abs(channels), axis=1)
            overall = float(np.max(largest)) if largest.size else 0.0
            if overall == 0:
                raise ValueError(
                    "block '%s': its weights are all zero%s, so no weight scale (max |w| / 127) can be "
                    "derived" % (block.name, folded)
                )
            per_channel = (
                step.kind == "depthwise"
                or step.kind == "dense_per_channel"
                or (step.kind in ("conv", "pointwise") and step.layer.per_channel)
            )
            scale = np.where((largest > 0) & per_channel, largest, overall) / 127.0
        in_scale, in_zero = grids[step.source]
        out_scale = grids[k + 1][0]
        accumulator = in_scale * scale
        for c in range(channels.shape[0]):
            real = accumulator[c] / out_scale
            if not (2.0**-32 <= real < 2.0**30):
                raise ValueError(
                    "block '%s': channel %d's requantizer multiplier, input scale %g x weight scale %g / "
                    "output scale %g = %g, is outside [2^-32, 2^30)"
                    % (block.name, c, in_scale, scale[c], out_scale, real)
                )
        codes = np.where(
            np.abs(channels) / scale[:, None] < 2.0**31,
            np.clip(round_half_away(channels / scale[:, None]), -127, 127),
            127.0,
        )
        bias = np.asarray(b, dtype=np.float64) / accumulator
        for c in range(channels.shape[0]):
            if not abs(bias[c]) < 2.0**31 - 1:
                raise ValueError(
                    "block '%s': channel %d's bias %g is %g steps of its accumulator grid (input scale "
                    "%g x weight scale %g): it does not fit int32%s"
                    % (block.name, c, float(b[c]), bias[c], in_scale, scale[c], folded)
                )
            bound = abs(round(bias[c])) + abs(in_zero * float(np.sum(codes[c]))) + 128 * float(np.sum(np.abs(codes[c])))
            if bound > 2.0**31 - 1:
                raise ValueError(
                    "block '%s': channel %d's accumulator could leave int32 (|bias| + |zero point x sum w| "
                    "+ 128 sum |w| = %d codes)" % (block.name, c, bound)
                )


def calibrate(items, input_shape, samples, input_observer=None):
    """calibrate(spec, samples, input_observer): the grid of the input and of every block's output
    as the compiler would set them."""
    steps = plan(items)
    shapes = buffer_shapes(steps, input_shape)
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 2 or samples.shape[1] != int(np.prod(input_shape)):
        raise ValueError("samples must be rows of %d values (NHWC)" % int(np.prod(input_shape)))
    trace = reference_trace(items, input_shape, samples)
    buffers = []
    for b, values in enumerate(trace):
        if b == 0:
            observer = input_observer or Observer()
        else:
            block = steps[b - 1].block
            observer = block.observer if block is not None else None
        seen = min_max_of(values)
        if observer is None:
            buffers.append(BufferCalibration(False, None, seen, seen))
            continue
        seen, chosen, threshold = observe(observer, values, seen)
        buffers.append(BufferCalibration(True, observer, seen, chosen, threshold, min_max_grid(*chosen)))
    return Calibration(steps, shapes, buffers, samples.shape[0])


def macs(items, input_shape):
    """Multiply-accumulates of one inference (Model::macs: convolutions, dense layers, a Mul's products)."""
    steps = plan(items)
    shapes = buffer_shapes(steps, input_shape)
    total = 0
    for k, step in enumerate(steps):
        out, src = int(np.prod(shapes[k + 1])), shapes[step.source]
        if step.kind in ("conv", "depthwise"):
            kh, kw = step.layer.kernel
            total += out * kh * kw * (src[2] if step.kind == "conv" else 1)
        elif step.kind == "pointwise":
            total += out * src[2]
        elif step.kind in ("dense", "dense_per_channel"):
            total += out * int(np.prod(src))
        elif step.kind == "mul":
            total += out
    return total


def arena_bytes(items, input_shape):
    """The most bytes of intermediate buffers (1 .. S-1) live during one step with every buffer
    apart (Model::peak_live_apart_bytes): each buffer lives from the step that writes it to the
    last step that reads it; a view (flatten) holds no bytes, the steps after it read the buffer it
    views. Model::arena_bytes is at most this figure, less where a layer's output lies over its
    input, unless a K x K lane kernel asks for a wider input buffer to expand into in place; only
    the compiler knows either."""
    steps = plan(items)
    shapes = buffer_shapes(steps, input_shape)
    count = len(steps)
    size = [int(np.prod(s)) for s in shapes]
    lies_in = list(range(count + 1))  # the buffer whose bytes buffer b is
    for k, step in enumerate(steps[:-1]):
        if step.kind in Layer.VIEWS:
            lies_in[k + 1] = lies_in[step.source]
            size[k + 1] = 0
    last = list(range(-1, count))  # buffer b is written by step b - 1
    for k, step in enumerate(steps):
        for r in (step.source, step.other):
            if r is not None:
                r = lies_in[r]
                if r > 0 and k > last[r]:
                    last[r] = k
    peak = 0
    for k in range(count):
        live = sum(size[b] for b in range(1, count) if b - 1 <= k <= last[b])
        peak = max(peak, live)
    return peak
