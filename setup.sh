#!/bin/sh
# Sets qpipe up on a fresh Debian 12 machine: installs the packages it needs by name, configures
# one build folder holding the host suite and the Cortex-M0 suite, builds it, and runs the XOR
# example on the emulated Cortex-M0 (qemu's micro:bit).
set -eu
cd "$(dirname "$0")"

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; fi
export DEBIAN_FRONTEND=noninteractive

# g++/meson/ninja: host build. cmake + pkg-config: meson finds doctest through its CMake config.
# libboost-dev: Boost.Hana headers. gcc-arm-none-eabi & co.: the M0 compiler, its C++ headers and
# picolibc. qemu-system-arm: runs the M0 binaries. python3-matplotlib: the examples' plots.
# clang + libclang-rt-14-dev: libFuzzer for the fuzz targets (tests/fuzz/).
# python3-torch, python3-onnx, python3-numpy, python3-flatbuffers: the model front ends
# (python/qpipe_tools) and their end-to-end tests. python3-pytest: the package's unit tests;
# python3-venv + python3-setuptools: installing it offline (tests/frontends/package/test_install.py).
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends \
  g++ meson ninja-build cmake pkg-config python3 doctest-dev libboost-dev \
  gcc-arm-none-eabi binutils-arm-none-eabi libstdc++-arm-none-eabi-dev picolibc-arm-none-eabi \
  qemu-system-arm python3-matplotlib clang libclang-rt-14-dev \
  python3-torch python3-onnx python3-numpy python3-flatbuffers \
  python3-pytest python3-venv python3-setuptools

if [ -d build/meson-info ]; then
  meson setup --reconfigure build --cross-file cross/cortex-m0.ini
else
  meson setup build --cross-file cross/cortex-m0.ini
fi
meson compile -C build

echo "== XOR, int8, on the emulated Cortex-M0 =="
tools/run-m0 build/dsl_examples/xor/xor_m0.elf
