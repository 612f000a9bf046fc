// EXPECT: wrong number of parameter blocks
// EXPECT: Expected = 2; long unsigned int Given = 1
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<4>, qpipe::QRelu, qpipe::QDense<1>>;
constexpr qpipe::DenseParams<2, 4> first{.weights = {{1, 1}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, first);
