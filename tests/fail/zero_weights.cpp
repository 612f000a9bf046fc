// EXPECT: weights_are_all_zero_so_their_scale_would_be_zero
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<1>>;
constexpr qpipe::DenseParams<2, 1> zeros{.weights = {{0, 0}}, .bias = {0}, .output = {0.1, 0}};
constexpr auto net = qpipe::quantize(qpipe::spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, zeros));
