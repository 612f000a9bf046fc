// An Add whose first branch downsamples and whose second is the input itself: the error names the
// Add (layer 0), the merge and both shapes.
// EXPECT: the two branches of an elementwise merge \(Add, Mul\) must end in the same shape
// EXPECT: At = qpipe::layer_at<0>; L = (qpipe::detail::)?AddMerge; First = qpipe::Shape<4, 4, 2>; Second = qpipe::Shape<8, 8, 2>
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<Add<QConv2DPerChannel<3, 2, same>, Identity>>;
constexpr Conv2DParams<3, 2, 2> conv{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = spec<Net, Shape<8, 8, 2>>(Grid{0.1, 0}, conv, AddParams{{0.1, 0}});
