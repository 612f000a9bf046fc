// The K x K convolutions that both on-target tests of the pair kernels run: the K x K pair kernel's
// (window_pairs_on_target.cpp, qpipe::m0::Backend) and the byte-weight backend's
// (byte_weights_on_target.cpp, qpipe::m0::ByteWeightsBackend, whose K x K byte pair kernel takes
// WindowPairKernel's reach and records). One declaration of each geometry, seed and grid, so that
// the two tests run the same networks; each test holds the cases on its own kernels with its own
// static_asserts (the forms below are what the compiler fits for these grids).
#pragma once

#include "on_target_check.hpp"

namespace window_pair_cases {

using on_target::conv;

inline constexpr qpipe::Grid input_grid{0.02, -3};

using Same = qpipe::Pipe<qpipe::QConv2DPerChannel<3, qpipe::same>, qpipe::QRelu>;
using SameStride2 = qpipe::Pipe<qpipe::QConv2DPerChannel<3, 2, qpipe::same>>;
using Valid = qpipe::Pipe<qpipe::QConv2DPerChannel<3>, qpipe::QRelu>;
using ValidPlain = qpipe::Pipe<qpipe::QConv2DPerChannel<3>>;

// 16 -> 16, SAME, stride 1, ReLU: the folded halves form (the whole channel loop in assembly).
inline constexpr auto folded16 =
    qpipe::make_spec<Same, qpipe::Shape<8, 8, 16>>(input_grid, conv<3, 16, 16>(1, 0.004, qpipe::Grid{0.5, -128}));
// 16 -> 32, SAME, stride 2 on an odd image (padding on both sides), no ReLU: folded, an offset per
// sign of the accumulator.
inline constexpr auto two_offsets16 =
    qpipe::make_spec<SameStride2, qpipe::Shape<9, 9, 16>>(input_grid, conv<3, 16, 32>(2, 0.004, qpipe::Grid{0.3, 3}));
// The same with a coarser output grid: the halves form, whose clamp does not fold into the offsets
// (the sums in assembly, the codes in C++).
inline constexpr auto unfolded16 =
    qpipe::make_spec<SameStride2, qpipe::Shape<9, 9, 16>>(input_grid, conv<3, 16, 32>(2, 0.004, qpipe::Grid{1.0, 3}));
// 8 -> 16, SAME, stride 1, ReLU, every other channel's weight scale 1/8 of its neighbour's: a
// shift per channel in the halves form (as the keyword-spotting stem's), folded with each
// channel's shift in its offset word.
inline constexpr auto own_shifts8 = qpipe::make_spec<Same, qpipe::Shape<6, 6, 8>>(
    input_grid, on_target::spread_scales(conv<3, 8, 16>(11, 0.004, qpipe::Grid{0.12, -128}), 1.0 / 8));
// 32 -> 32, VALID, ReLU: three pieces; without the ReLU, three pieces and two offsets.
inline constexpr auto pieces32 =
    qpipe::make_spec<Valid, qpipe::Shape<6, 6, 32>>(input_grid, conv<3, 32, 32>(3, 0.004, qpipe::Grid{1.5, -128}));
inline constexpr auto plain32 =
    qpipe::make_spec<ValidPlain, qpipe::Shape<6, 6, 32>>(input_grid, conv<3, 32, 32>(3, 0.004, qpipe::Grid{1.5, 0}));
// 32 -> 16, SAME, stride 2, an output scale far below the product of the input's and the weights':
// no fitted form (TFLite's multipliers, most codes the clamp's ends).
inline constexpr auto saturating32 =
    qpipe::make_spec<SameStride2, qpipe::Shape<8, 8, 32>>(input_grid, conv<3, 32, 16>(5, 0.004, qpipe::Grid{1e-8, 0}));
// 64 -> 64, SAME, stride 1, ReLU: 384-byte columns, so the 12 output columns run in chunks of 3.
inline constexpr auto chunked64 =
    qpipe::make_spec<Same, qpipe::Shape<4, 12, 64>>(input_grid, conv<3, 64, 64>(6, 0.002, qpipe::Grid{0.5, -128}));
// 256 -> 8, SAME: a window of 4,608 bytes as pairs, more than the pair kernel's band holds (a
// pixel a chunk); as byte pairs (9,216 bytes a pair of channels) past the byte kernel's reach.
inline constexpr auto wide256 =
    qpipe::make_spec<Same, qpipe::Shape<3, 3, 256>>(input_grid, conv<3, 256, 8>(7, 0.001, qpipe::Grid{0.5, -128}));
// The ResNet-8 stem: 3 -> 16, SAME, ReLU (columns of 9 inputs: a zero lane after each).
inline constexpr auto stem3 =
    qpipe::make_spec<Same, qpipe::Shape<10, 10, 3>>(input_grid, conv<3, 3, 16>(8, 0.01, qpipe::Grid{0.2, -128}));
// 6 -> 8, 5 x 3, strides 2 and 1, SAME, no ReLU (pieces of three pairs, packed in C++).
inline constexpr auto rect6 =
    qpipe::make_spec<qpipe::Pipe<qpipe::QConv2DPerChannel<qpipe::kernel(5, 3), qpipe::stride(2, 1), qpipe::same>>,
                     qpipe::Shape<9, 7, 6>>(input_grid,
                                            conv<qpipe::kernel(5, 3), 6, 8>(10, 0.01, qpipe::Grid{0.3, -5}));

}  // namespace window_pair_cases
