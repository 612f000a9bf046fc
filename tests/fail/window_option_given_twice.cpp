// Two strides for one convolution: the options error names the layer with what it was given.
// EXPECT: layer 0 \(QConv2D<3, Stride2D\{2, 2\}, Stride2D\{1, 1\}>\): a convolution takes a kernel .* each at most once
// USER-PATH: s
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<QConv2D<3, stride(2), stride(1)>>;
constexpr Conv2DParams<3, 1, 2> conv{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = make_spec<Net, Shape<8, 8, 1>>(Grid{0.1, 0}, conv);
