// Weights of 1e4 on an input grid of 1 into an output grid of 1e-6: the requantizer's multiplier
// (1 * (1e4 / 127) / 1e-6 ~ 7.9e7) needs a shift beyond 30. The trace names the pointwise layer.
// EXPECT: requantizer_multiplier_at_or_above_2_pow_30_saturates_every_output
// EXPECT: Step<qpipe::layer_at<0>, qpipe::QPointwiseConv2DPerChannel>::quantize
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QPointwiseConv2DPerChannel>;
constexpr qpipe::PointwiseConv2DParams<1, 1> pw{.weights = {{1e4}}, .bias = {}, .output = {1e-30, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2, 2, 1>>(qpipe::Grid{1.0, 0}, pw);
