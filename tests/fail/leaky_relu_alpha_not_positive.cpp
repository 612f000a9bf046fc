// A LEAKY_RELU slope of zero or below is refused; the trace names the layer.
// EXPECT: leaky_relu_alpha_must_be_positive_and_finite
// EXPECT: QLeakyRelu
#include <qpipe.hpp>
using namespace qpipe;
constexpr auto s = make_spec<Pipe<QLeakyRelu>, Shape<8>>(Grid{0.1, 0}, LeakyReluParams{-0.2, {0.1, 0}});
constexpr auto model = compile(s);
