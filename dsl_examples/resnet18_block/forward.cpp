// The network's code: one call on the static arena, plus the compile-time facts the main program
// prints. The only translation unit of the M0 image that has the compiler calibrate and quantize.
#include "resnet18_block.hpp"

#include "../common/example.hpp"
#include "../common/stages.hpp"

namespace resnet18_block {

void forward(const std::int8_t* image, std::int8_t* logits) {
  // The network as a template argument: its layer constants become the M0 routines' immediates.
  qpipe::run<network>(std::span<const std::int8_t, Input::size>{image, Input::size},
                      std::span<std::int8_t, Model::output_shape::size>{logits, Model::output_shape::size});
}

}  // namespace resnet18_block

namespace examples {

extern const ExampleInfo resnet18_block;
const ExampleInfo resnet18_block{"resnet18_block",
                                 resnet18_block::Input::size,
                                 resnet18_block::Model::output_shape::size,
                                 resnet18_block::test_count,
                                 resnet18_block::Model::stage_count,
                                 resnet18_block::M0Model::arena_bytes,
                                 resnet18_block::M0Model::unplanned_arena_bytes,
                                 resnet18_block::Model::macs,
                                 resnet18_block::Model::parameter_bytes,
                                 [](std::size_t n) { return resnet18_block::test_inputs[n].data(); },
                                 resnet18_block::forward,
                                 stage_kind_table<std::remove_const_t<decltype(resnet18_block::spec)>>.data(),
                                 resnet18_block::Model::stage_macs.data()};

}  // namespace examples
