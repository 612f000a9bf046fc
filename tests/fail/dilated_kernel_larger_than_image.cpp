// A 3 x 3 kernel dilated by 4 spans 9 x 9, more than the 8 x 8 image a VALID window can cover.
// EXPECT: layer 0 \(QConv2D<3, Dilation2D\{4, 4\}>\): cannot take its input, shape 8 x 8 x 1; its 3 x 3 window \(dilated to 9 x 9\) is larger than the image
// USER-PATH: s
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<QConv2D<3, dilation(4)>>;
constexpr Conv2DParams<3, 1, 2> conv{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = make_spec<Net, Shape<8, 8, 1>>(Grid{0.1, 0}, conv);
