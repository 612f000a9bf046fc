// All of qpipe's numerics: constexpr math, grids, multiplier quantization, requantization,
// LUTs, weight and bias quantization.
#pragma once

#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/fixed_point.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/integer_io.hpp"
#include "qpipe/numerics/lut.hpp"
#include "qpipe/numerics/quantize_multiplier.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/numerics/softmax.hpp"
#include "qpipe/numerics/weights.hpp"
