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

}  // namespace qpipe::m0
