// A per-tensor QConv2D given two different weight scales for its two output channels.
// EXPECT: layer 0 \(QConv2D<1>\): weight_scale\[0\] is 0.01 and weight_scale\[1\] 0.02; a per-tensor layer needs one weight scale for every channel
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QConv2D<1>>;
constexpr qpipe::Conv2DParams<1, 1, 2, std::int8_t> conv{
    .weights = {{{{1}}}, {{{2}}}}, .bias = {}, .output = {0.1, 0}, .weight_scale = {0.01, 0.02}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2, 2, 1>>(qpipe::Grid{0.1, 0}, conv);
