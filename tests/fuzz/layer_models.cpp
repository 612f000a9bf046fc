// The qpipe side of the layer fuzz target: each layer quantized by the compiler.
#include "layer_models.hpp"

namespace fuzz_models {
namespace {

constexpr auto conv =
    compile(make_spec<Pipe<QPad2D<1>, QConv2DPerChannel<3, 2>, QRelu>, Shape<7, 7, 3>>(in_grid, conv_params));
constexpr auto depthwise = compile(make_spec<Pipe<QDepthwiseConv2D<3>>, Shape<6, 6, 4>>(in_grid, dw_params));
constexpr auto max_pool = compile(make_spec<Pipe<QMaxPool2D<3, 2>>, Shape<7, 7, 2>>(in_grid));
constexpr auto avg_pool = compile(make_spec<Pipe<QAvgPool2D<2>>, Shape<6, 6, 2>>(in_grid));
constexpr auto global_pool = compile(make_spec<Pipe<QGlobalAvgPool2D>, Shape<3, 5, 4>>(in_grid));
constexpr auto add =
    compile(make_spec<Pipe<Residual<Pipe<QMaxPool2D<1, 1>>>>, Shape<2, 3, 4>>(in_grid, ResidualParams{sum_grid}));
constexpr auto softmax = compile(make_spec<Pipe<QSoftmax>, Shape<10>>(in_grid));

template <class M>
void run(const M& model, const std::int8_t* in, std::int8_t* out) {
  model(std::span<const std::int8_t, M::input_shape::size>{in, M::input_shape::size},
        std::span<std::int8_t, M::output_shape::size>{out, M::output_shape::size});
}

}  // namespace
}  // namespace fuzz_models

extern "C" void qpipe_fuzz_run_layer(int which, const std::int8_t* in, std::int8_t* out) {
  using namespace fuzz_models;
  switch (which) {
    case 0:
      run(conv, in, out);
      break;
    case 1:
      run(depthwise, in, out);
      break;
    case 2:
      run(max_pool, in, out);
      break;
    case 3:
      run(avg_pool, in, out);
      break;
    case 4:
      run(global_pool, in, out);
      break;
    case 5:
      run(add, in, out);
      break;
    default:
      run(softmax, in, out);
      break;
  }
}
