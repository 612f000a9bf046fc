// The network's code: one call on the static arena, plus the compile-time facts the main program
// prints. The only translation unit of the M0 image that has the compiler calibrate and quantize.
#include "mobilenetv2.hpp"

#include "../common/example.hpp"
#include "../common/stages.hpp"

namespace mobilenetv2 {

void forward(const std::int8_t* image, std::int8_t* logits) {
  // The network as a template argument: its layer constants become the M0 routines' immediates.
  qpipe::run<network>(std::span<const std::int8_t, Input::size>{image, Input::size},
                      std::span<std::int8_t, Model::output_shape::size>{logits, Model::output_shape::size});
}

}  // namespace mobilenetv2

namespace examples {

extern const ExampleInfo mobilenetv2;
const ExampleInfo mobilenetv2{"mobilenetv2",
                              mobilenetv2::Input::size,
                              mobilenetv2::Model::output_shape::size,
                              mobilenetv2::test_count,
                              mobilenetv2::Model::stage_count,
                              mobilenetv2::M0Model::arena_bytes,
                              mobilenetv2::M0Model::unplanned_arena_bytes,
                              mobilenetv2::Model::macs,
                              mobilenetv2::Model::parameter_bytes,
                              [](std::size_t n) { return mobilenetv2::test_inputs[n].data(); },
                              mobilenetv2::forward,
                              stage_kind_table<std::remove_const_t<decltype(mobilenetv2::spec)>>.data(),
                              mobilenetv2::Model::stage_macs.data()};

}  // namespace examples
