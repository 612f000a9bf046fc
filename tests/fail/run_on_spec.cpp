// EXPECT: constraints not satisfied
// EXPECT: satisfaction of .ModelType<.* \[with network = .*qpipe::Spec<
// qpipe::run<...> given the float spec rather than compile(spec): a user's likely slip.
#include <qpipe.hpp>
using Net = qpipe::Pipe<qpipe::QDense<1>>;
constexpr qpipe::DenseParams<2, 1> dense{.weights = {{1, 1}}, .bias = {}, .output = {0.1, 0}};
constexpr auto s = qpipe::make_spec<Net, qpipe::Shape<2>>(qpipe::Grid{0.1, 0}, dense);
void f(const std::int8_t* in, std::int8_t* out) {
  qpipe::run<s>(std::span<const std::int8_t, 2>{in, 2}, std::span<std::int8_t, 1>{out, 1});
}
