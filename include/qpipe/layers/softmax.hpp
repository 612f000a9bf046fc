// QSoftmaxBeta<beta> and QSoftmax (= QSoftmaxBeta<1.0>): TFLite SOFTMAX int8 over the last
// dimension (each pixel's channels, or the whole vector), softmax(beta * x). Output grid fixed at
// scale 1/256, zero point -128. The arithmetic is the gemmlowp fixed point of TFLite's reference
// kernel and TFLite Micro's (qpipe/numerics/softmax.hpp); the compiler computes its input constants
// from the input scale and beta (a float32 in TFLite's schema: QSoftmaxBeta<b> takes float32(b)).
// Any input scale TFLite takes is accepted: beta * scale above 2^-26 (below it TFLite refuses the
// model too); at or above 16 only the row maxima share the output.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/layer.hpp"
#include "qpipe/numerics/constexpr_math.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/softmax.hpp"
#include "qpipe/ops/elementwise.hpp"

namespace qpipe {

inline constexpr Grid softmax_output_grid{1.0 / 256.0, -128};

namespace detail {

// What QSoftmax and QSoftmaxBeta<beta> share; Self provides `beta`.
template <class Self>
struct SoftmaxLayer {
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = false;
  static constexpr bool has_params = false;

  // The Q12 sum of exponentials holds at most 4096 terms of 1.
  template <ShapeType In> static constexpr bool accepts = In::dims[In::rank - 1] <= 4096;
  template <class At, ShapeType In, class P> static constexpr bool check_params() { return true; }
  template <ShapeType In, class P> using output_shape = In;

  template <ShapeType In, class P>
  static consteval auto quantize(Grid in, const P&) {
    constexpr std::size_t depth = In::dims[In::rank - 1];
    using op = ops::Softmax<In::size / depth, depth>;
    return Quantized<op>{{{}, softmax_constants(in.scale, Self::beta)}, softmax_output_grid};
  }

  template <ShapeType In, class P, std::size_t N>
  static constexpr void reference(const P&, double (&v)[N], FloatSlots at) {
    constexpr std::size_t depth = In::dims[In::rank - 1];
    for (std::size_t r = 0; r < In::size / depth; ++r) {
      const std::size_t row = at.in + r * depth;
      double largest = v[row];
      for (std::size_t i = 1; i < depth; ++i) largest = v[row + i] > largest ? v[row + i] : largest;
      // softmax(beta x) = exp(beta (x - max)) / sum; beta 1 multiplies nothing (the same doubles as before).
      auto scaled = [](double d) { return Self::beta == 1.0 ? d : Self::beta * d; };
      double sum = 0;
      for (std::size_t i = 0; i < depth; ++i) sum += math::exp(scaled(v[row + i] - largest));
      for (std::size_t i = 0; i < depth; ++i) v[at.out + r * depth + i] = math::exp(scaled(v[row + i] - largest)) / sum;
    }
  }
};

}  // namespace detail

// Beta 1, the default of every converter: the layer most networks end with.
struct QSoftmax : detail::SoftmaxLayer<QSoftmax> {
  static constexpr std::string_view kind = "QSoftmax";
  static constexpr double beta = 1.0;
};

// Any other beta (a double template argument: GCC 11 and later; Clang up to 17 accepts the
// declaration but not a use). QSoftmaxBeta<1.0> computes what QSoftmax computes.
template <double Beta>
struct QSoftmaxBeta : detail::SoftmaxLayer<QSoftmaxBeta<Beta>> {
  static constexpr std::string_view kind = "QSoftmaxBeta";
  static constexpr double beta = Beta;
};

}  // namespace qpipe
