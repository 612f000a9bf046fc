// Below 2^-32 every output would be the zero point.
// EXPECT: requantizer_multiplier_below_2_pow_minus_32_would_zero_every_output
#include <qpipe/numerics/quantize_multiplier.hpp>
constexpr auto m = qpipe::quantize_multiplier(1e-12);
