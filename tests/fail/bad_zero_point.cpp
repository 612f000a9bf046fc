// EXPECT: grid_zero_point_must_be_in_int8_range
#include <qpipe.hpp>
constexpr auto table = qpipe::sigmoid_lut(qpipe::Grid{0.1, 200});
