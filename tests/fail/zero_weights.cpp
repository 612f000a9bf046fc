// EXPECT: layer 0 \(QDense<1>\): its weights are all zero, so the scale max \|w\| / 127 would be 0
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<1>>;
constexpr qpipe::DenseParams<2, 1> zeros{.weights = {{0, 0}}, .bias = {0}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, zeros);
