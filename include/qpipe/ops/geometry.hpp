// The geometry the window ops share (convolution, depthwise, pools): a KH x KW window with per-axis
// strides and dilations over an H x W x C image, and the padding TFLite's SAME adds (VALID: none).
// A structural value, so that an op takes it as one template argument.
#pragma once

#include <cstddef>

namespace qpipe::ops {

struct Window {
  std::size_t height, width, channels;  // the input image
  std::size_t kernel_height, kernel_width;
  std::size_t stride_height = 1, stride_width = 1;
  std::size_t dilation_height = 1, dilation_width = 1;
  std::size_t pad_top = 0, pad_left = 0;  // SAME's leading padding; what lies past the image is padding too
  std::size_t out_height = 0, out_width = 0;

  // The span of the dilated kernel along an axis.
  constexpr std::size_t span_height() const { return (kernel_height - 1) * dilation_height + 1; }
  constexpr std::size_t span_width() const { return (kernel_width - 1) * dilation_width + 1; }
  // Every window of every output lies inside the image: no tap reads padding.
  constexpr bool inside() const {
    return pad_top == 0 && pad_left == 0 && (out_height - 1) * stride_height + span_height() <= height &&
           (out_width - 1) * stride_width + span_width() <= width;
  }
  // A square window, one stride, no dilation, no padding: the geometry the earliest kernels take.
  constexpr bool square_valid() const {
    return inside() && kernel_height == kernel_width && stride_height == stride_width && dilation_height == 1 &&
           dilation_width == 1;
  }
  friend constexpr bool operator==(const Window&, const Window&) = default;
};

// TFLite's VALID: the outputs whose whole window lies in the image.
constexpr Window valid_window(std::size_t h, std::size_t w, std::size_t c, std::size_t kh, std::size_t kw,
                              std::size_t sh, std::size_t sw, std::size_t dh = 1, std::size_t dw = 1) {
  Window g{h, w, c, kh, kw, sh, sw, dh, dw, 0, 0, 0, 0};
  g.out_height = (h - g.span_height()) / sh + 1;
  g.out_width = (w - g.span_width()) / sw + 1;
  return g;
}

// TFLite's SAME: ceil(size / stride) outputs; the padding a window needs past the image split with
// the smaller half before (ComputePaddingHeightWidth).
constexpr Window same_window(std::size_t h, std::size_t w, std::size_t c, std::size_t kh, std::size_t kw,
                             std::size_t sh, std::size_t sw, std::size_t dh = 1, std::size_t dw = 1) {
  Window g{h, w, c, kh, kw, sh, sw, dh, dw, 0, 0, 0, 0};
  g.out_height = (h + sh - 1) / sh;
  g.out_width = (w + sw - 1) / sw;
  const std::size_t need_h = (g.out_height - 1) * sh + g.span_height();
  const std::size_t need_w = (g.out_width - 1) * sw + g.span_width();
  g.pad_top = need_h > h ? (need_h - h) / 2 : 0;
  g.pad_left = need_w > w ? (need_w - w) / 2 : 0;
  return g;
}

// The statics every kernel of a window op has, for C_out output channels.
template <Window G>
struct WindowGeometry {
  static constexpr Window window = G;
  static constexpr std::size_t height = G.height, width = G.width, channels = G.channels;
  static constexpr std::size_t kernel_height = G.kernel_height, kernel_width = G.kernel_width;
  static constexpr std::size_t stride_height = G.stride_height, stride_width = G.stride_width;
  static constexpr std::size_t out_height = G.out_height, out_width = G.out_width;
  static constexpr std::size_t input_size = G.height * G.width * G.channels;
  static constexpr std::size_t at(std::size_t y, std::size_t x, std::size_t c) {
    return (y * G.width + x) * G.channels + c;
  }
};

}  // namespace qpipe::ops
