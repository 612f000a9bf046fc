// A per-tensor QConv2D given two different weight scales for its two output channels.
// EXPECT: a_per_tensor_layer_needs_one_weight_scale_for_every_channel_use_the_PerChannel_layer
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QConv2D<1>>;
constexpr qpipe::Conv2DParams<1, 1, 2, std::int8_t> conv{
    .weights = {{{{1}}}, {{{2}}}}, .bias = {}, .output = {0.1, 0}, .weight_scale = {0.01, 0.02}};
constexpr auto s = qpipe::spec<Net, qpipe::Shape<2, 2, 1>>(qpipe::Grid{0.1, 0}, conv);
