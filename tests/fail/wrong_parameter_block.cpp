// A dense layer fed 2 values given a block for 3 inputs: the error names layer 0, QDense<4>,
// the block it expects and the one it got.
// EXPECT: layer 0 \(QDense<4>\): the input has 2 values, its parameter block takes 3; the block must be a DenseParams<2, 4>, the one given is a DenseParams<3, 4>
// USER-PATH: s
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<4>, qpipe::QRelu, qpipe::QDense<1>>;
constexpr qpipe::DenseParams<3, 4> first{.weights = {{1, 1, 1}}, .bias = {}, .output = {0.1, 0}};
constexpr qpipe::DenseParams<4, 1> second{.weights = {{1, 1, 1, 1}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, first, second);
