// A depth multiplier of 2 needs a block with 2 output channels per input channel: the expected
// block names the multiplier.
// EXPECT: layer 0 \(QDepthwiseConv2D<3, DepthMultiplier\{2\}>\): the block must be a DepthwiseConv2DParams<3, 4, double, 2>, the one given is a DepthwiseConv2DParams<3, 4>
// USER-PATH: s
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<QDepthwiseConv2D<3, multiplier(2)>>;
constexpr DepthwiseConv2DParams<3, 4> dw{.weights = {{{1}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = make_spec<Net, Shape<8, 8, 4>>(Grid{0.1, 0}, dw);
