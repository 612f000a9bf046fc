// An output grid with scale 0 on a convolution: compile<spec>() names the layer and the grid
// in one sentence.
// EXPECT: layer 0 \(QConv2DPerChannel<3>\): its output grid has scale 0 and zero point 0; a scale must be positive and finite
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QConv2DPerChannel<3>>;
constexpr qpipe::Conv2DParams<3, 1, 2> conv{.weights = {{{{1}}}, {{{-1}}}}, .bias = {}, .output = {0.0, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<4, 4, 1>>(qpipe::Grid{0.1, 0}, conv);
