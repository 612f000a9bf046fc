// QPad2D<Top, Bottom, Left, Right>: zero padding of an NHWC image, TFLite PAD semantics. "Zero"
// is real 0, so padded cells hold the input's zero point. QPad2D<P> pads every side by P; pad
// only bottom and right (QPad2D<0, 1, 0, 1>) for TensorFlow's SAME padding at stride 2.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/ops/pad.hpp"

namespace qpipe {

template <std::size_t Top, std::size_t Bottom = Top, std::size_t Left = Top, std::size_t Right = Left>
struct QPad2D {
  static constexpr std::string_view kind = "QPad2D";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = false;
  static constexpr bool has_params = false;

  template <ShapeType In> static constexpr bool accepts = detail::is_image<In>;
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }
  template <ShapeType In, class P>
  using output_shape = Shape<detail::height<In> + Top + Bottom, detail::width<In> + Left + Right, detail::channels<In>>;

  template <ShapeType In, class P>
  static consteval auto quantize(Grid in, const P&) {
    using op = ops::Pad<detail::height<In>, detail::width<In>, detail::channels<In>, Top, Bottom, Left, Right>;
    return Quantized<op>{{static_cast<std::int8_t>(in.zero_point)}, in};
  }

  template <ShapeType In, class P, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    constexpr std::size_t H = detail::height<In>, W = detail::width<In>, C = detail::channels<In>;
    constexpr std::size_t OW = W + Left + Right;
    for (std::size_t y = 0; y < H + Top + Bottom; ++y) {
      for (std::size_t x = 0; x < OW; ++x) {
        for (std::size_t c = 0; c < C; ++c) {
          const bool inside = y >= Top && y < Top + H && x >= Left && x < Left + W;
          v[at.out + (y * OW + x) * C + c] = inside ? v[at.in + ((y - Top) * W + (x - Left)) * C + c] : 0.0;
        }
      }
    }
  }
};

}  // namespace qpipe
