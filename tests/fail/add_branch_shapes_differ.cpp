// An Add whose first branch downsamples and whose second is the input itself: the error names the
// Add (layer 0), the merge and both shapes.
// EXPECT: layer 0 \(Add \(merge\)\): its branches end in 4 x 4 x 2 and 8 x 8 x 2; an elementwise merge takes two tensors of one shape
// USER-PATH: s
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<Add<QConv2DPerChannel<3, 2, same>, Identity>>;
constexpr Conv2DParams<3, 2, 2> conv{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = make_spec<Net, Shape<8, 8, 2>>(Grid{0.1, 0}, conv, AddParams{{0.1, 0}});
