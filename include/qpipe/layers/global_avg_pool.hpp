// QGlobalAvgPool2D: the mean of each channel over the whole H x W plane, H x W x C -> C. The
// arithmetic is TFLite AVERAGE_POOL_2D with a window the size of the image (integer sum, divided
// with ties away from zero), on the input's grid. (TFLite's MEAN, which converters emit for
// Keras' GlobalAveragePooling2D, requantizes the sum instead and can differ by one unit.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/ops/pooling.hpp"

namespace qpipe {

struct QGlobalAvgPool2D {
  static constexpr std::string_view kind = "QGlobalAvgPool2D";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = false;

  // The int32 sum of up to 2^24 int8 values cannot overflow.
  template <ShapeType In> static constexpr bool accepts =
      detail::is_image<In> && In::size / detail::channels<In> <= (std::size_t{1} << 24);
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }
  template <ShapeType In, class P> using output_shape = Shape<detail::channels<In>>;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P&) {
    using op = ops::GlobalAveragePool<detail::height<In> * detail::width<In>, detail::channels<In>>;
    return Quantized<op>{{detail::clamp_of<Clamps...>(in)}, in};
  }

  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    constexpr std::size_t pixels = detail::height<In> * detail::width<In>, C = detail::channels<In>;
    for (std::size_t c = 0; c < C; ++c) {
      double sum = 0;
      for (std::size_t p = 0; p < pixels; ++p) sum += v[at.in + p * C + c];
      v[at.out + c] = detail::apply_clamps<Clamps...>(sum / pixels);
    }
  }
};

}  // namespace qpipe
