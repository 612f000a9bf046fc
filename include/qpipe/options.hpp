// The options of the window layers (convolutions, depthwise, pools), written as template
// arguments after the layer's name:
//
//   QConv2DPerChannel<kernel(10, 4), stride(2), same>     QDepthwiseConv2D<3, 2, multiplier(2)>
//   QAvgPool2D<kernel(25, 5), stride(1)>                   QConv2D<3, dilation(2)>
//
// An integer first is a square kernel and an integer second a square stride (QConv2D<3, 2>).
// Unnamed options keep TFLite's defaults: stride 1 (a pool's: its kernel), no dilation, VALID.
#pragma once

#include <cstddef>
#include <type_traits>

#include "qpipe/detail/diagnostic.hpp"
#include "qpipe/ops/geometry.hpp"

namespace qpipe {

struct Kernel2D {
  std::size_t height, width;
  friend constexpr bool operator==(const Kernel2D&, const Kernel2D&) = default;
};
struct Stride2D {
  std::size_t height, width;
  friend constexpr bool operator==(const Stride2D&, const Stride2D&) = default;
};
struct Dilation2D {
  std::size_t height, width;
  friend constexpr bool operator==(const Dilation2D&, const Dilation2D&) = default;
};
enum class Padding { valid, same };
struct DepthMultiplier {
  std::size_t value;
  friend constexpr bool operator==(const DepthMultiplier&, const DepthMultiplier&) = default;
};

consteval Kernel2D kernel(std::size_t size) { return {size, size}; }
consteval Kernel2D kernel(std::size_t height, std::size_t width) { return {height, width}; }
consteval Stride2D stride(std::size_t step) { return {step, step}; }
consteval Stride2D stride(std::size_t height, std::size_t width) { return {height, width}; }
consteval Dilation2D dilation(std::size_t rate) { return {rate, rate}; }
consteval Dilation2D dilation(std::size_t height, std::size_t width) { return {height, width}; }
inline constexpr Padding same = Padding::same;
inline constexpr Padding valid = Padding::valid;
consteval DepthMultiplier multiplier(std::size_t m) { return {m}; }

namespace detail {

// What a window layer's options say, and whether they were well formed.
struct WindowOptions {
  Kernel2D kernel{0, 0};
  Stride2D stride{0, 0};  // 0: not given
  Dilation2D dilation{1, 1};
  Padding padding = Padding::valid;
  std::size_t multiplier = 1;
  int integers = 0;       // how many plain integers (kernel, then stride)
  bool well_formed = true;  // every option of a kind the layer takes, each given once at most
  bool has_dilation = false, has_multiplier = false;

  // TFLite's window over an H x W x C input.
  constexpr ops::Window window_over(std::size_t h, std::size_t w, std::size_t c) const {
    return padding == Padding::same ? ops::same_window(h, w, c, kernel.height, kernel.width, stride.height,
                                                       stride.width, dilation.height, dilation.width)
                                    : ops::valid_window(h, w, c, kernel.height, kernel.width, stride.height,
                                                        stride.width, dilation.height, dilation.width);
  }
  // Why a window layer with these options refuses an input of shape In (not an image, or fits()
  // false), for its diagnostic.
  template <ShapeType In>
  constexpr void explain_refusal(Sentence& s) const {
    if constexpr (In::rank != 3) {
      s << "it takes an image, H x W x C";
    } else {
      s << "its " << kernel.height << " x " << kernel.width << " window";
      if (dilation.height != 1 || dilation.width != 1)
        s << " (dilated to " << (kernel.height - 1) * dilation.height + 1 << " x "
          << (kernel.width - 1) * dilation.width + 1 << ")";
      s << " is larger than the image, and VALID padding takes only windows inside it";
    }
  }
  // The input a VALID window needs (SAME takes any size).
  constexpr bool fits(std::size_t h, std::size_t w) const {
    return padding == Padding::same ||
           (h >= (kernel.height - 1) * dilation.height + 1 && w >= (kernel.width - 1) * dilation.width + 1);
  }
};

template <class T>
constexpr void take_option(WindowOptions& o, T value, bool& kernel_given, bool& stride_given, bool& padding_given) {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const auto v = static_cast<std::size_t>(value);
    if (value <= 0 || o.integers >= 2) o.well_formed = false;
    if (o.integers == 0) {
      o.kernel = {v, v};
      o.well_formed = o.well_formed && !kernel_given;
      kernel_given = true;
    } else if (o.integers == 1) {
      o.stride = {v, v};
      o.well_formed = o.well_formed && !stride_given;
      stride_given = true;
    }
    ++o.integers;
  } else if constexpr (std::is_same_v<T, Kernel2D>) {
    o.well_formed = o.well_formed && !kernel_given && value.height > 0 && value.width > 0;
    o.kernel = value;
    kernel_given = true;
  } else if constexpr (std::is_same_v<T, Stride2D>) {
    o.well_formed = o.well_formed && !stride_given && value.height > 0 && value.width > 0;
    o.stride = value;
    stride_given = true;
  } else if constexpr (std::is_same_v<T, Dilation2D>) {
    o.well_formed = o.well_formed && !o.has_dilation && value.height > 0 && value.width > 0;
    o.dilation = value;
    o.has_dilation = true;
  } else if constexpr (std::is_same_v<T, Padding>) {
    o.well_formed = o.well_formed && !padding_given;
    o.padding = value;
    padding_given = true;
  } else if constexpr (std::is_same_v<T, DepthMultiplier>) {
    o.well_formed = o.well_formed && !o.has_multiplier && value.value > 0;
    o.multiplier = value.value;
    o.has_multiplier = true;
  } else {
    o.well_formed = false;
  }
}

// The options of a window layer; a stride not given is 1, or (pools) the kernel.
template <bool StrideIsKernel, auto... Options>
consteval WindowOptions window_options() {
  WindowOptions o{};
  bool kernel_given = false, stride_given = false, padding_given = false;
  (take_option(o, Options, kernel_given, stride_given, padding_given), ...);
  if (!kernel_given) o.well_formed = false;
  if (!stride_given) o.stride = StrideIsKernel ? Stride2D{o.kernel.height, o.kernel.width} : Stride2D{1, 1};
  return o;
}

}  // namespace detail

}  // namespace qpipe
