// M0 only: one XOR inference under perf/m0_profile.py (see perf/README.md).
#include "../common/profile.hpp"
#include "../common/stages.hpp"
#include "xor_forward.hpp"
#include "xor_network.hpp"

namespace {

void forward(const std::int8_t* in, std::int8_t* out) { out[0] = xor_forward(in[0], in[1]); }

using Model = std::remove_const_t<decltype(xor_example::network)>;
const examples::ExampleInfo xor_info{
    "xor",
    2,
    1,
    4,
    Model::stage_count,
    Model::arena_bytes,
    Model::unplanned_arena_bytes,
    Model::macs,
    Model::parameter_bytes,
    [](std::size_t n) { return xor_example::corners[n].data(); },
    forward,
    examples::stage_kind_table<std::remove_const_t<decltype(xor_example::spec)>>.data(),
    Model::stage_macs.data()};

}  // namespace

int main() {
  examples::print_facts(xor_info);
  return examples::profile_run(xor_info);
}
