// TFLite's pools have no dilation: asking for one is an options error naming the pool.
// EXPECT: a pool takes a window .* each at most once
// EXPECT: qpipe::QMaxPool2D<2, qpipe::Dilation2D\{2, 2\}>
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<QMaxPool2D<2, dilation(2)>>;
constexpr auto s = make_spec<Net, Shape<8, 8, 1>>(Grid{0.1, 0});
