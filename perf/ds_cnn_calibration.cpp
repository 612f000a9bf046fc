// The keyword-spotting DS-CNN shape (49 x 10 x 1, a 3 x 3 stride-2 stem to 64 channels, four
// depthwise 3 x 3 + pointwise 64 -> 64 blocks, global average pool, dense 12; 2.41 M MACs) with
// synthetic weights, calibrated by the compiler in one expression over QPIPE_SAMPLES samples and
// quantized: what calibrate(spec, samples) costs a hand-written declaration (perf/README.md).
// Nothing of qpipe newer than calibrate() is used, so an older checkout compiles it too:
//   g++ -std=c++20 -O1 -I include -Idsl_examples -DQPIPE_SAMPLES=8 \
//       -fconstexpr-ops-limit=68719476736 -fconstexpr-loop-limit=1000000000 perf/ds_cnn_calibration.cpp
#include <cstdio>

#include <qpipe.hpp>

#include "common/synthetic.hpp"

#ifndef QPIPE_SAMPLES
#define QPIPE_SAMPLES 1
#endif

namespace ds_cnn {

using namespace qpipe;
using Block = Pipe<QPad2D<1>, QDepthwiseConv2D<3>, QRelu, QPointwiseConv2DPerChannel, QRelu>;
using Net = Pipe<QPad2D<1>, QConv2DPerChannel<3, 2>, QRelu, Block, Block, Block, Block, QGlobalAvgPool2D, QDense<12>>;
using Input = Shape<49, 10, 1>;

template <class P, std::size_t FanIn>
constexpr P sinusoid_block(double frequency, double phase) {
  P p{};
  std::size_t k = 0;
  if constexpr (requires { p.weights[0][0][0][0]; }) {
    for (auto& a : p.weights)
      for (auto& b : a)
        for (auto& c : b)
          for (auto& w : c) w = examples::sinusoid_weight(k++, frequency, phase, FanIn);
  } else if constexpr (requires { p.weights[0][0][0]; }) {
    for (auto& a : p.weights)
      for (auto& b : a)
        for (auto& w : b) w = examples::sinusoid_weight(k++, frequency, phase, FanIn);
  } else {
    for (auto& a : p.weights)
      for (auto& w : a) w = examples::sinusoid_weight(k++, frequency, phase, FanIn);
  }
  for (auto& b : p.bias) b = 0.05 * examples::sin(0.7 * double(k++) + phase);
  return p;
}

inline constexpr auto stem = sinusoid_block<Conv2DParams<3, 1, 64>, 9>(0.37, 0.1);
inline constexpr auto depthwise = sinusoid_block<DepthwiseConv2DParams<3, 64>, 9>(0.53, 0.2);
inline constexpr auto pointwise = sinusoid_block<PointwiseConv2DParams<64, 64>, 64>(0.29, 0.3);
inline constexpr auto head = sinusoid_block<DenseParams<64, 12>, 64>(0.41, 0.4);
inline constexpr auto samples = examples::wave_images<Input, QPIPE_SAMPLES>(0);
inline constexpr auto unset = qpipe::make_spec<Net, Input>(Grid{1, 0}, stem, depthwise, pointwise, depthwise, pointwise,
                                                           depthwise, pointwise, depthwise, pointwise, head);
inline constexpr auto calibrated = calibrate(unset, samples);
inline constexpr auto network = compile(calibrated);

}  // namespace ds_cnn

int main() {
  std::printf("input grid scale %g, arena %d bytes\n", ds_cnn::calibrated.input.scale,
              static_cast<int>(std::remove_const_t<decltype(ds_cnn::network)>::arena_bytes));
}
