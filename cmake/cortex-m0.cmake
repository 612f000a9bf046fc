# CMake toolchain file: Cortex-M0 (ARMv6-M, Thumb-1, no FPU) with arm-none-eabi-gcc and picolibc,
# linked for the micro:bit (nRF51) and run under qemu's microbit machine. The CMake counterpart of
# cross/cortex-m0.ini (same flags and memory map; keep them in step).
# Use: cmake -S app -B build-m0 -DCMAKE_TOOLCHAIN_FILE=<qpipe>/cmake/cortex-m0.cmake
# Debian 12 packages: gcc-arm-none-eabi, libstdc++-arm-none-eabi-dev, picolibc-arm-none-eabi,
# qemu-system-arm.

set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR cortex-m0)

set(CMAKE_C_COMPILER arm-none-eabi-gcc)
set(CMAKE_CXX_COMPILER arm-none-eabi-g++)
set(CMAKE_ASM_COMPILER arm-none-eabi-gcc)
# Compiler checks build a static library: a bare-metal program cannot be linked without the flags
# below, and is not run on the build machine.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

# picolibc: small C library, integer-only printf, semihosting for stdout and exit().
set(qpipe_m0_arch "-mcpu=cortex-m0 -mthumb --specs=picolibc.specs -ffunction-sections -fdata-sections")
set(CMAKE_C_FLAGS_INIT "${qpipe_m0_arch}")
set(CMAKE_ASM_FLAGS_INIT "${qpipe_m0_arch}")
set(CMAKE_CXX_FLAGS_INIT "${qpipe_m0_arch} -fno-exceptions -fno-rtti -fno-threadsafe-statics")
# The micro:bit's memory map, for picolibc's linker script; 2 KiB of stack. A target's own
# link options come later on the command line, so a later --defsym (a larger part) wins.
set(CMAKE_EXE_LINKER_FLAGS_INIT
    "--oslib=semihost --crt0=semihost -Wl,--gc-sections -Wl,--defsym=__flash=0x0 -Wl,--defsym=__flash_size=0x40000 -Wl,--defsym=__ram=0x20000000 -Wl,--defsym=__ram_size=0x4000 -Wl,--defsym=__stack_size=0x800")

# Debian ships libstdc++'s headers for arm-none-eabi but not the library for picolibc, and g++
# links it by default: C++ programs link with the C driver (qpipe needs no libstdc++ code).
set(CMAKE_CXX_LINK_EXECUTABLE
    "arm-none-eabi-gcc <FLAGS> <CMAKE_CXX_LINK_FLAGS> <LINK_FLAGS> <OBJECTS> -o <TARGET> <LINK_LIBRARIES>")

# Programs, libraries and headers of the target only (the build machine's are not for it).
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# add_test() runs the programs under qemu (tools/run-m0, when this file sits in a qpipe checkout).
if(EXISTS "${CMAKE_CURRENT_LIST_DIR}/../tools/run-m0")
  get_filename_component(qpipe_m0_run "${CMAKE_CURRENT_LIST_DIR}/../tools/run-m0" ABSOLUTE)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${qpipe_m0_run}")
endif()
