// int8 weights whose given scale for channel 1 is NaN.
// EXPECT: layer 0 \(QDepthwiseConv2D<3>\): weight_scale\[1\] is not positive and finite; weight scales must all be given
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDepthwiseConv2D<3>>;
constexpr qpipe::DepthwiseConv2DParams<3, 2, std::int8_t> dw{
    .weights = {{{1, 1}}}, .bias = {}, .output = {0.1, 0}, .weight_scale = {0.01, __builtin_nan("")}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<4, 4, 2>>(qpipe::Grid{0.1, 0}, dw);
