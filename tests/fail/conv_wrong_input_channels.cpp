// The second convolution's weights are for 4 input channels but the first produces 8: the error
// names layer 2, the block it expects (K 3, 8 in, 16 out as given) and the block given.
// EXPECT: layer 2 \(QConv2D<3>\): the input has 8 channels, its parameter block 4; the block must be a Conv2DParams<3, 8, 16>, the one given is a Conv2DParams<3, 4, 16>
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QConv2D<3>, qpipe::QRelu, qpipe::QConv2D<3>>;
constexpr qpipe::Conv2DParams<3, 3, 8> first{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr qpipe::Conv2DParams<3, 4, 16> second{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<8, 8, 3>>(qpipe::Grid{0.1, 0}, first, second);
