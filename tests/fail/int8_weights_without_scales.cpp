// int8 weights with no scale given: the compiler cannot know what they stand for.
// EXPECT: layer 0 \(QDense<1>\): its weights are int8, so their scales must be given \(weight_scale\)
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<1>>;
constexpr qpipe::DenseParams<2, 1, std::int8_t> fc{.weights = {{3, 4}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, fc);
