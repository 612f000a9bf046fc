// int8 weights whose given scale for channel 1 is NaN.
// EXPECT: weight_scales_must_all_be_given_positive_and_finite_or_all_left_zero
// EXPECT: Step<qpipe::layer_at<0>, qpipe::QDepthwiseConv2D<3> >::quantize
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDepthwiseConv2D<3>>;
constexpr qpipe::DepthwiseConv2DParams<3, 2, std::int8_t> dw{
    .weights = {{{1, 1}}}, .bias = {}, .output = {0.1, 0}, .weight_scale = {0.01, __builtin_nan("")}};
constexpr auto s = qpipe::spec<Net, qpipe::Shape<4, 4, 2>>(qpipe::Grid{0.1, 0}, dw);
