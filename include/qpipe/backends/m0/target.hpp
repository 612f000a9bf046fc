// Whether this translation unit is compiled for the Cortex-M0 (ARMv6-M, Thumb-1). The backend's
// assembly exists only then; elsewhere its kernels run their C++ paths, which compute the same
// bytes (the host tests run them against the reference).
#pragma once

namespace qpipe::m0 {

#if defined(__ARM_ARCH_6M__)
inline constexpr bool is_target = true;
#else
inline constexpr bool is_target = false;
#endif

// Whether GCC optimises this translation unit for size (-Os, -Oz). On Thumb-1 it then keeps r8-r11
// out of register allocation altogether (its ARM back end fixes them when optimising for size, for
// the whole unit: a function's optimize attribute does not give them back), and the kernels'
// assembly loops hold accumulators, row counts and bounds there ("h" operands): they do not
// compile. The backend refuses such a unit with one message (backend.hpp).
#if defined(__ARM_ARCH_6M__) && defined(__OPTIMIZE_SIZE__)
inline constexpr bool size_optimized = true;
#else
inline constexpr bool size_optimized = false;
#endif

}  // namespace qpipe::m0
