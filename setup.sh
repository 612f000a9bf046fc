#!/bin/sh
# Sets qpipe up on a fresh Debian 12 machine: installs the packages it needs by name, configures
# two build folders, each holding the host suite and the Cortex-M0 suite: build/ with GCC 12
# (g++ and arm-none-eabi-g++) and build-clang/ with Clang 19 (clang++-19 for the host and
# --target=armv6m-none-eabi for the M0; docs/compilers.md), builds both, and runs the XOR example
# on the emulated Cortex-M0 (qemu's micro:bit).
set -eu
cd "$(dirname "$0")"

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive

# g++/meson/ninja: host build. cmake + pkg-config: meson finds doctest through its CMake config.
# libboost-dev: Boost.Hana headers. gcc-arm-none-eabi & co.: the M0 compiler, its C++ headers and
# picolibc. qemu-system-arm: runs the M0 binaries. python3-matplotlib: the examples' plots.
# clang-19 + libclang-rt-19-dev: the second compiler (build-clang/), and libFuzzer with the
# sanitizers for the fuzz targets (tests/fuzz/).
# python3-torch, python3-onnx, python3-numpy, python3-flatbuffers: the model front ends
# (python/qpipe_tools) and their end-to-end tests. python3-pytest: the package's unit tests;
# python3-venv + python3-setuptools: installing it offline (tests/frontends/package/test_install.py).
# clang-format-19 + black: the formatters of tools/format.py (docs/architecture.md, "Formatting").
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends \
  g++ meson ninja-build cmake pkg-config python3 doctest-dev libboost-dev \
  gcc-arm-none-eabi binutils-arm-none-eabi libstdc++-arm-none-eabi-dev picolibc-arm-none-eabi \
  qemu-system-arm python3-matplotlib clang-19 libclang-rt-19-dev \
  python3-torch python3-onnx python3-numpy python3-flatbuffers \
  python3-pytest python3-venv python3-setuptools clang-format-19 black

if [ -d build/meson-info ]; then
  meson setup --reconfigure build --cross-file cross/cortex-m0.ini
else
  meson setup build --cross-file cross/cortex-m0.ini
fi
meson compile -C build

# The clang build: the library, the host tests, the examples and the M0 suite (the front ends'
# generated models and the tree's own checks stay in build/: docs/compilers.md says which).
clang_options="-Dfrontend_tests=false -Dwhole_tree_tests=false"
if [ -d build-clang/meson-info ]; then
  meson setup --reconfigure build-clang $clang_options
else
  meson setup build-clang --native-file cross/clang-19-native.ini --cross-file cross/cortex-m0-clang.ini $clang_options
fi
meson compile -C build-clang

echo "== XOR, int8, on the emulated Cortex-M0 =="
tools/run-m0 build/dsl_examples/xor/xor_m0.elf
