// The per-step facts of a model, as arrays a program can print (perf/m0_profile.py reads them).
#pragma once

#include <array>
#include <cstddef>
#include <utility>

namespace examples {

template <class Plan, std::size_t... K>
constexpr std::array<const char*, sizeof...(K)> stage_kinds(std::index_sequence<K...>) {
  return {Plan::template step<K>::layer::kind.data()...};  // kinds are string literals: terminated
}

template <class SpecType>
inline constexpr auto stage_kind_table =
    stage_kinds<typename SpecType::plan>(std::make_index_sequence<SpecType::plan::step_count>{});

}  // namespace examples
