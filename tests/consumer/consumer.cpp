// Inputs 0.2, 0.4, 0.6 (codes 10, 20, 30 at scale 0.02). By hand:
// unit 0: 0.2 + 0.8 + 1.8 + 0.5 = 3.3 -> 3.3 / 0.05 = 66, minus 20 = 46
// unit 1: -0.2 + 0 + 0.6 - 0.5 = -0.1 -> ReLU -> 0 -> the zero point, -20
#include <cstdio>

#include <qpipe.hpp>

using Net = qpipe::Pipe<qpipe::QDense<2>, qpipe::QRelu>;
constexpr qpipe::DenseParams<3, 2> params{
    .weights = {{1, 2, 3}, {-1, 0, 1}}, .bias = {0.5, -0.5}, .output = {0.05, -20}};
constexpr auto net = qpipe::compile(qpipe::make_spec<Net, qpipe::Shape<3>>(qpipe::Grid{0.02, 0}, params));

int main() {
  const auto y = net(std::array<std::int8_t, 3>{10, 20, 30});
  std::printf("%d %d\n", y[0], y[1]);
  return y[0] == 46 && y[1] == -20 ? 0 : 1;
}
