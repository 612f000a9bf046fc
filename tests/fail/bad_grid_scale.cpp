// EXPECT: grid_scale_must_be_positive_and_finite
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QSigmoid>;
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2>>(qpipe::Grid{-0.1, 0});
