// The backend compile(spec) lowers a network for when none is named: the Cortex-M0's when this
// translation unit is compiled for it, the reference loop nests everywhere else.
#pragma once

#include <type_traits>

#include "qpipe/backends/m0/backend.hpp"
#include "qpipe/backends/m0/target.hpp"
#include "qpipe/reference/backend.hpp"

namespace qpipe {

using DefaultBackend = std::conditional_t<m0::is_target, m0::Backend, reference_ops::Backend>;

}  // namespace qpipe
