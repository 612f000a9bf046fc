// int8 weights with no scale given: the compiler cannot know what they stand for.
// EXPECT: int8_weights_need_their_scales_given
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<1>>;
constexpr qpipe::DenseParams<2, 1, std::int8_t> fc{.weights = {{3, 4}}, .bias = {}, .output = {0.1, 0}};
constexpr auto m = qpipe::quantize(qpipe::spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, fc));
