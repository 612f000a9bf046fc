// A 3x3 layer given 5x5 weights: the expected block shows K = 3.
// EXPECT: layer 0 \(QDepthwiseConv2D<3, 2>\): its kernel is 3 x 3, its parameter block\\?'s 5 x 5; the block must be a DepthwiseConv2DParams<3, 4, double, 1>, the one given is a DepthwiseConv2DParams<5, 4>
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDepthwiseConv2D<3, 2>>;
constexpr qpipe::DepthwiseConv2DParams<5, 4> dw{.weights = {{{1}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<8, 8, 4>>(qpipe::Grid{0.1, 0}, dw);
