// A bias code of 2147480000 (real 1690.93 on an accumulator grid of 0.1 / 127) leaves less room
// than two weights of 127 times an input of -128 need: some input would overflow the int32
// accumulator, so the compiler refuses the layer (the trace names it) and prints the bound,
// |2147480000| + 128 * (127 + 127) = 2147512512.
// EXPECT: this_layer_is_refused_because_its_accumulator_bound_abs_bias_plus_128_times_sum_abs_weights_exceeds_int32_max
// EXPECT: array subscript value .2147512512.
// EXPECT: Step<qpipe::layer_at<0>, qpipe::QDense<1> >::quantize
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<1>>;
constexpr qpipe::DenseParams<2, 1> fc{.weights = {{1, 1}}, .bias = {2147480000.0 * 0.1 / 127}, .output = {1e3, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, fc);
