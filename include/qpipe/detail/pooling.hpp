// What the pooling layers share: no parameters, the output stays on the input's grid, and a ReLU
// or ReLU6 after them folds into their final clamp (TFLite's fused activation on pool ops).
#pragma once

#include <cstddef>
#include <string_view>

#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/ops/geometry.hpp"
#include "qpipe/options.hpp"

namespace qpipe::detail {

// O: the window options; Op: the portable op (ops::MaxPool, ops::AveragePool), whose only
// constant is the clamp.
template <class Self, WindowOptions O, template <ops::Window> class Op>
struct PoolingLayer {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = false;
  static constexpr WindowOptions options = O;
  static constexpr bool options_ok = O.well_formed && !O.has_dilation && !O.has_multiplier;
  static constexpr std::string_view options_rule =
      "a pool takes a window (an integer, or kernel(h, w)), then optionally a stride (an integer, or stride(h, "
      "w); the window's by default), same or valid, each at most once; no dilation, no multiplier";

  template <ShapeType In> static constexpr bool accepts = is_image<In> && O.fits(height<In>, width<In>);
  template <ShapeType In>
  static constexpr void explain_refusal(Sentence& s) {
    O.template explain_refusal<In>(s);
  }
  template <ShapeType In> static constexpr ops::Window window = O.window_over(height<In>, width<In>, channels<In>);
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }
  template <ShapeType In, class P> using output_shape =
      Shape<window<In>.out_height, window<In>.out_width, channels<In>>;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P&) {
    return Quantized<Op<window<In>>>{{{}, clamp_of<Clamps...>(in)}, in};
  }

  // The float reference: reduce(first, f) folds f over the window's cells inside the image (the
  // first cell's value seeds it) and gives the result for count cells.
  template <ShapeType In, ClampLayer... Clamps, std::size_t N, class Reduce>
  static constexpr void reference_of(double (&v)[N], FloatSlots at, Reduce reduce) {
    constexpr ops::Window G = window<In>;
    using geometry = ops::WindowGeometry<G>;
    for (std::size_t y = 0, o = 0; y < G.out_height; ++y)
      for (std::size_t x = 0; x < G.out_width; ++x)
        for (std::size_t c = 0; c < G.channels; ++c, ++o) {
          double result = 0;
          std::size_t count = 0;
          for (std::size_t ky = 0; ky < G.kernel_height; ++ky) {
            const std::size_t row = y * G.stride_height + ky;  // in the padded image
            if (row < G.pad_top || row - G.pad_top >= G.height) continue;
            for (std::size_t kx = 0; kx < G.kernel_width; ++kx) {
              const std::size_t column = x * G.stride_width + kx;
              if (column < G.pad_left || column - G.pad_left >= G.width) continue;
              const double tap = v[at.in + geometry::at(row - G.pad_top, column - G.pad_left, c)];
              result = count++ == 0 ? reduce.first(tap) : reduce.next(result, tap);
            }
          }
          v[at.out + o] = apply_clamps<Clamps...>(reduce.last(result, count));
        }
  }
};

}  // namespace qpipe::detail
