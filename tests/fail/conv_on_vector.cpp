// A convolution fed a flat vector: the error names the layer's position (layer 1), its kind and
// the shape that reached it.
// EXPECT: layer 1 \(QConv2D<3>\): cannot take its input, shape 16; it takes an image, H x W x C
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<16>, qpipe::QConv2D<3>>;
constexpr qpipe::DenseParams<4, 16> fc{.weights = {{1}}, .bias = {}, .output = {0.1, 0}};
constexpr qpipe::Conv2DParams<3, 1, 2> conv{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<4>>(qpipe::Grid{0.1, 0}, fc, conv);
