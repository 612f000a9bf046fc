// The runner's control: this file is valid, so "expected to fail" must report it (the meson test
// for it is marked should_fail). Proves the must-not-compile tests can fail.
// EXPECT: this file compiles
#include <qpipe.hpp>
constexpr auto m = qpipe::quantize_multiplier(0.5);
