// EXPECT: requantizer_multiplier_at_or_above_2_pow_30_saturates_every_output
#include <qpipe/numerics/quantize_multiplier.hpp>
constexpr auto m = qpipe::quantize_multiplier(2e9);
