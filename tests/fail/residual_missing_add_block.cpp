// A residual's add needs its own block (ResidualParams with the sum's grid) after the branch's.
// EXPECT: the Pipe takes 2 parameter blocks .*1 given: block 2 of 2 is missing, the one of layer 0 \(Residual \(add\)\)
// USER-PATH: s
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<Residual<Pipe<QPad2D<1>, QConv2D<3>>>>;
constexpr Conv2DParams<3, 2, 2> conv{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = make_spec<Net, Shape<4, 4, 2>>(Grid{0.1, 0}, conv);
