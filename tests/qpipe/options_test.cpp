// The window options (qpipe/options.hpp) as the layers read them, and the window they give over an
// image: all static_asserts, worked out by hand from TFLite's rules (VALID: (n - span) / s + 1
// outputs; SAME: ceil(n / s) outputs, the padding past the image split smaller half first).
#include <doctest/doctest.h>

#include <qpipe/options.hpp>

namespace {

using qpipe::detail::window_options;
using qpipe::detail::WindowOptions;
using namespace qpipe;

// An integer first is a square kernel, an integer second a square stride.
constexpr WindowOptions conv_3_2 = window_options<false, 3, 2>();
static_assert(conv_3_2.well_formed && conv_3_2.kernel == Kernel2D{3, 3} && conv_3_2.stride == Stride2D{2, 2});
static_assert(conv_3_2.padding == Padding::valid && conv_3_2.dilation == Dilation2D{1, 1} && conv_3_2.multiplier == 1);

// Named options in any order; a stride not given is 1 for a convolution, the kernel for a pool.
constexpr WindowOptions ds_cnn = window_options<false, same, kernel(10, 4), stride(2)>();
static_assert(ds_cnn.well_formed && ds_cnn.kernel == Kernel2D{10, 4} && ds_cnn.stride == Stride2D{2, 2} &&
              ds_cnn.padding == Padding::same);
static_assert(window_options<false, kernel(3, 1)>().stride == Stride2D{1, 1});
static_assert(window_options<true, kernel(3, 1)>().stride == Stride2D{3, 1});
static_assert(window_options<true, 2, 1>().stride == Stride2D{1, 1});
constexpr WindowOptions depthwise = window_options<false, 3, dilation(2, 1), multiplier(4)>();
static_assert(depthwise.well_formed && depthwise.dilation == Dilation2D{2, 1} && depthwise.has_dilation &&
              depthwise.multiplier == 4 && depthwise.has_multiplier);

// Malformed: no kernel, a zero size, a third integer, an option twice, a kernel given twice
// (integer and named), a value of another type.
static_assert(!window_options<false>().well_formed);
static_assert(!window_options<false, stride(2)>().well_formed);
static_assert(!window_options<false, 0>().well_formed);
static_assert(!window_options<false, kernel(3, 0)>().well_formed);
static_assert(!window_options<false, 3, 1, 1>().well_formed);
static_assert(!window_options<false, 3, same, valid>().well_formed);
static_assert(!window_options<false, 3, kernel(3)>().well_formed);
static_assert(!window_options<false, 3, 2, stride(2)>().well_formed);
static_assert(!window_options<false, 3, dilation(2), dilation(2)>().well_formed);
static_assert(!window_options<false, 3, multiplier(0)>().well_formed);
static_assert(!window_options<false, 3, true>().well_formed);
static_assert(!window_options<false, 3, 2.0>().well_formed);

// VALID over 49 x 10: a 10 x 4 kernel, stride 2 gives (49 - 10) / 2 + 1 = 20 by (10 - 4) / 2 + 1 = 4.
constexpr ops::Window ds_valid = window_options<false, kernel(10, 4), stride(2)>().window_over(49, 10, 1);
static_assert(ds_valid.out_height == 20 && ds_valid.out_width == 4 && ds_valid.pad_top == 0 && ds_valid.pad_left == 0);
static_assert(ds_valid.inside() && !ds_valid.square_valid());
// SAME: ceil(49 / 2) = 25 by ceil(10 / 2) = 5; needed 24 * 2 + 10 = 58 rows, 9 of padding, 4
// before; 4 * 2 + 4 = 12 columns, 2 of padding, 1 before.
constexpr ops::Window ds_same = ds_cnn.window_over(49, 10, 1);
static_assert(ds_same.out_height == 25 && ds_same.out_width == 5 && ds_same.pad_top == 4 && ds_same.pad_left == 1);
static_assert(!ds_same.inside());
// SAME, 3 x 3, stride 2 on 32 x 32 (ResNet-8): 16 outputs, 15 * 2 + 3 = 33 rows, the one padded
// row after the image.
constexpr ops::Window resnet = window_options<false, 3, 2, same>().window_over(32, 32, 16);
static_assert(resnet.out_height == 16 && resnet.pad_top == 0 && !resnet.inside());
// SAME that needs no padding (1 x 1, stride 2 on 7: 4 outputs reading rows 0, 2, 4, 6) is a VALID
// square window, which the M0's own kernels take.
constexpr ops::Window pointwise = window_options<false, 1, 2, same>().window_over(7, 7, 8);
static_assert(pointwise.out_height == 4 && pointwise.inside() && pointwise.square_valid());
// Dilation 2 on a 3 x 3 kernel spans 5: VALID over 9 x 6 gives 5 by 2; SAME pads 4 (2 before).
constexpr ops::Window dilated = window_options<false, 3, dilation(2)>().window_over(9, 6, 1);
static_assert(dilated.span_height() == 5 && dilated.out_height == 5 && dilated.out_width == 2);
constexpr ops::Window dilated_same = window_options<false, 3, dilation(2), same>().window_over(9, 6, 1);
static_assert(dilated_same.out_height == 9 && dilated_same.pad_top == 2 && dilated_same.pad_left == 2);
// Fit: a VALID window needs the span; SAME takes any image.
static_assert(window_options<false, 3, dilation(4)>().fits(9, 9) &&
              !window_options<false, 3, dilation(4)>().fits(8, 9));
static_assert(window_options<false, 3, dilation(4), same>().fits(1, 1));

}  // namespace

TEST_CASE("window options: the static_asserts above compiled") { CHECK(conv_3_2.well_formed); }
