// A 7x7 kernel over the 4x4 image left by two stride-2 layers: the error names the layer (index 2
// of the Pipe), its kind with K and S, and the 4x4x3 shape it got.
// EXPECT: layer 2 \(QConv2DPerChannel<7, 2>\): cannot take its input, shape 4 x 4 x 3; its 7 x 7 window is larger than the image
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QMaxPool2D<2>, qpipe::QMaxPool2D<2>, qpipe::QConv2DPerChannel<7, 2>>;
constexpr qpipe::Conv2DParams<7, 3, 8> conv{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<16, 16, 3>>(qpipe::Grid{0.1, 0}, conv);
