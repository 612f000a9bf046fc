// The second convolution's weights are for 4 input channels but the first produces 8: the error
// names layer 2, the block it expects (K 3, 8 in, 16 out as given) and the block given.
// EXPECT: a parameter block does not fit its layer
// EXPECT: At = qpipe::layer_at<2>; L = qpipe::QConv2D<3>; Expected = qpipe::Conv2DParams<3, 8, 16(, double)?>; Given = qpipe::Conv2DParams<3, 4, 16>
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QConv2D<3>, qpipe::QRelu, qpipe::QConv2D<3>>;
constexpr qpipe::Conv2DParams<3, 3, 8> first{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr qpipe::Conv2DParams<3, 4, 16> second{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::spec<Net, qpipe::Shape<8, 8, 3>>(qpipe::Grid{0.1, 0}, first, second);
