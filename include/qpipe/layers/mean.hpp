// QMean: TFLite MEAN over height and width, H x W x C -> C (keep_dims false; a QReshape gives the
// 1 x 1 x C of keep_dims true), what converters emit for Keras' GlobalAveragePooling2D. Its output
// has a grid of its own (MeanParams). The integers are TFLite Micro's (ops/mean.hpp): on one grid
// the truncated integer mean of the codes, otherwise the sum requantized by a multiplier with
// 1 / (H W) folded in. Both differ from AVERAGE_POOL_2D's rounded division (QGlobalAvgPool2D) by
// up to one code. (TFLite's desktop interpreter takes a third form for keep_dims true;
// docs/tflite_exactness.md.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "qpipe/detail/elementwise.hpp"
#include "qpipe/detail/image.hpp"
#include "qpipe/layer.hpp"
#include "qpipe/layers/global_avg_pool.hpp"
#include "qpipe/numerics/grid.hpp"
#include "qpipe/numerics/observers.hpp"
#include "qpipe/numerics/requantizer.hpp"
#include "qpipe/ops/mean.hpp"

namespace qpipe {

struct MeanParams {
  Grid output;          // the mean's grid
  Observer observer{};  // how calibrate() chooses `output` (min_max(), percentile(lo, hi), kl_divergence())
};

struct QMean {
  using block_type = MeanParams;
  static constexpr std::string_view kind = "QMean";
  static constexpr bool is_clamp = false;
  static constexpr bool absorbs_clamp = true;
  static constexpr bool has_params = true;

  // The int32 sum of up to 2^23 offset int8 codes cannot overflow.
  template <ShapeType In> static constexpr bool accepts =
      detail::is_image<In> && In::size / detail::channels<In> <= (std::size_t{1} << 23);
  template <class At, ShapeType In, class P>
  static constexpr bool check_params() {
    return detail::parameter_block_matches<At, QMean, MeanParams, P>();
  }
  template <ShapeType In, class P> using output_shape = Shape<detail::channels<In>>;

  template <ShapeType In, class P, ClampLayer... Clamps>
  static consteval auto quantize(Grid in, const P& p) {
    constexpr std::size_t pixels = detail::height<In> * detail::width<In>;
    using op = ops::Mean<pixels, detail::channels<In>>;
    in = checked(in);
    const Grid out = checked(p.output);
    const ClampRange clamp = detail::clamp_of<Clamps...>(out);
    // TFLite Micro compares the two float32 scales and zero points.
    const bool same_grid =
        static_cast<float>(in.scale) == static_cast<float>(out.scale) && in.zero_point == out.zero_point;
    const Requantizer r = same_grid ? Requantizer{0, 0, out.zero_point, clamp.qmin, clamp.qmax}
                                    : mean_requantizer(in, out, pixels, clamp);
    return Quantized<op>{{-in.zero_point * static_cast<std::int32_t>(pixels), r, same_grid}, out};
  }

  // The float function is QGlobalAvgPool2D's, the real mean of each channel; only the integer
  // rounding differs.
  template <ShapeType In, class P, ClampLayer... Clamps, std::size_t N>
  static constexpr void reference(const P& p, double (&v)[N], FloatSlots at) {
    QGlobalAvgPool2D::reference<In, P, Clamps...>(p, v, at);
  }
};

}  // namespace qpipe
