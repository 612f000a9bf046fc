// What a user writes at namespace scope: `using namespace qpipe;` and the variables `spec` and
// `network`, every name unqualified. When the binding function was itself qpipe::spec, each use
// of the variable `spec` below was "reference to 'spec' is ambiguous" (issue 25); compiling this
// file is the first half of the test. The second half runs the XOR example declared so, against
// its golden logits (dsl_examples/xor/golden.txt) and the example's own network.
#include <doctest/doctest.h>

#include <array>
#include <cstdint>

#include "../../dsl_examples/xor/xor_network.hpp"
#include "qpipe.hpp"

using namespace qpipe;

using XorNet = Pipe<QDense<4>, QRelu, QDense<1>, QSigmoid>;

inline constexpr auto spec =
    make_spec<XorNet, Shape<2>>(xor_example::input_grid, xor_example::hidden, xor_example::logit);
inline constexpr auto network = compile<spec>();
inline constexpr auto network_in_one_evaluation = compile(spec);

// quantize keeps its one meaning: a real value to its code on a grid.
static_assert(quantize(0.0, spec.input) == -128 && quantize(1.0, spec.input) == 127);

// dsl_examples/xor/golden.txt: -123 at (0,0) and (1,1), 123 at (0,1) and (1,0).
inline constexpr std::array<std::int8_t, 4> golden_logits{-123, 123, 123, -123};

TEST_CASE("using namespace qpipe with variables named spec and network: XOR runs as the example does") {
  for (int i = 0; i < 4; ++i) {
    const std::array<std::int8_t, 2> corner{quantize(i >> 1, spec.input), quantize(i & 1, spec.input)};
    std::array<std::int8_t, 1> out{};
    run<network>(corner, out);
    CHECK(out[0] == golden_logits[i]);
    CHECK(network(corner)[0] == golden_logits[i]);
    CHECK(network_in_one_evaluation(corner)[0] == golden_logits[i]);
    CHECK(xor_example::network(corner)[0] == out[0]);
  }
  CHECK(output_grid(spec) == output_grid(xor_example::spec));
}
