// EXPECT: the Pipe takes 2 parameter blocks .*1 given: block 2 of 2 is missing, the one of layer 2 \(QDense<1>\)
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<4>, qpipe::QRelu, qpipe::QDense<1>>;
constexpr qpipe::DenseParams<2, 4> first{.weights = {{1, 1}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, first);
