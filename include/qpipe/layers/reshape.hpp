// QReshape<Shape<...>> and QFlatten: TFLite RESHAPE / SQUEEZE, the same codes (and grid) under
// another shape of the same size, e.g. QReshape<Shape<1, 1, 64>> after a pool or QFlatten before a
// QDense. No copy: the layers after it read the bytes where they lie (a reshape that ends the
// network copies them into the caller's output).
#pragma once

#include <cstddef>
#include <string_view>

#include "qpipe/layer.hpp"
#include "qpipe/ops/reshape.hpp"
#include "qpipe/shape.hpp"

namespace qpipe {

namespace detail {

template <class Self>
struct ViewLayerBase {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = false;
  static constexpr bool has_params = false;
  static constexpr bool is_view = true;
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P&) {
    return Quantized<ops::Reshape<In::size>>{{}, in};
  }
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    for (std::size_t i = 0; i < In::size; ++i) v[at.out + i] = v[at.in + i];
  }
};

}  // namespace detail

template <ShapeType Target>
struct QReshape : detail::ViewLayerBase<QReshape<Target>> {
  static constexpr std::string_view kind = "QReshape";
  template <ShapeType In> static constexpr bool accepts = In::size == Target::size;
  template <ShapeType In, class P> using output_shape = Target;
};

struct QFlatten : detail::ViewLayerBase<QFlatten> {
  static constexpr std::string_view kind = "QFlatten";
  template <ShapeType In> static constexpr bool accepts = true;
  template <ShapeType In, class P> using output_shape = Shape<In::size>;
};

}  // namespace qpipe
