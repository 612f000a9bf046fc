// EXPECT: requantizer_multiplier_is_zero_or_negative
#include <qpipe/numerics/quantize_multiplier.hpp>
constexpr auto m = qpipe::quantize_multiplier(-0.25);
