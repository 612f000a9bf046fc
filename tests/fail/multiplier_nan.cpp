// EXPECT: requantizer_multiplier_is_not_finite
#include <limits>
#include <qpipe/numerics/quantize_multiplier.hpp>
constexpr auto m = qpipe::quantize_multiplier(std::numeric_limits<double>::quiet_NaN());
