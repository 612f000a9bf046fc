// A residual branch with a stride-2 convolution returns 4x4x8 for an 8x8x8 input: the error names
// the residual (layer 1) and both shapes.
// EXPECT: layer 1 \(Residual \(add\)\): its branch takes 8 x 8 x 8 and returns 4 x 4 x 8; a Residual adds the branch
// USER-PATH: s
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<QPointwiseConv2D, Residual<Pipe<QPad2D<0, 1, 0, 1>, QConv2D<3, 2>>>>;
constexpr PointwiseConv2DParams<3, 8> expand{.weights = {{1}}, .bias = {}, .output = {0.1, 0}};
constexpr Conv2DParams<3, 8, 8> conv{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = make_spec<Net, Shape<8, 8, 3>>(Grid{0.1, 0}, expand, conv, ResidualParams{{0.1, 0}});
