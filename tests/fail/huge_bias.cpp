// A bias that does not fit int32 on the accumulator grid (input scale x weight scale).
// EXPECT: bias_does_not_fit_int32_at_input_scale_times_weight_scale
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<1>>;
constexpr qpipe::DenseParams<1, 1> p{.weights = {{1e-3}}, .bias = {1e9}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<1>>(qpipe::Grid{1e-3, 0}, p);
