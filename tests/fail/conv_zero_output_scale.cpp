// An output grid with scale 0 on a convolution: the compiler stops inside that layer's quantize
// (the trace names layer 0, QConv2DPerChannel<3>) with the reason; the grid shows in the trace.
// EXPECT: grid_scale_must_be_positive_and_finite
// EXPECT: Step<qpipe::layer_at<0>, qpipe::QConv2DPerChannel<3> >::quantize
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QConv2DPerChannel<3>>;
constexpr qpipe::Conv2DParams<3, 1, 2> conv{.weights = {{{{1}}}, {{{-1}}}}, .bias = {}, .output = {0.0, 0}};
constexpr auto m = qpipe::quantize(qpipe::spec<Net, qpipe::Shape<4, 4, 1>>(qpipe::Grid{0.1, 0}, conv));
