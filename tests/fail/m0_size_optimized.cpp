// The M0 backend refuses a translation unit optimised for size (backends/m0/target.hpp): compiled
// for the Cortex-M0 with -Os, quantizing a network fails with this one message; with -O2 the same
// file compiles (the control test, tests/meson.build).
// EXPECT: the Cortex-M0 kernels need the translation unit that quantizes and runs the network compiled with -O2 or -O3, not -Os
#include <qpipe.hpp>

inline constexpr qpipe::DenseParams<2, 1> dense{.weights = {{1, -1}}, .bias = {0}, .output = {1.0 / 64, 0}};
inline constexpr auto spec =
    qpipe::make_spec<qpipe::Pipe<qpipe::QDense<1>>, qpipe::Shape<2>>(qpipe::Grid{1.0 / 128, 0}, dense);
inline constexpr auto network = qpipe::compile(spec);
