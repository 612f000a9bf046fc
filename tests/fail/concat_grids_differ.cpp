// Two branches concatenated on different grids: TFLite's int8 CONCATENATION copies codes, so the
// grids must match; the error says so, and the trace names the Concat's step (layer 0).
// EXPECT: concatenated_branches_must_end_on_one_grid_as_tflite_int8_requires_add_a_QQuantize
// EXPECT: Step<qpipe::layer_at<0>, qpipe::detail::ConcatMerge>
#include <qpipe.hpp>
using namespace qpipe;
using Net = Pipe<Concat<QConv2DPerChannel<1>, QConv2DPerChannel<1>>>;
constexpr Conv2DParams<1, 2, 2> a{.weights = {{{{1}}}}, .bias = {}, .output = {0.1, 0}};
constexpr Conv2DParams<1, 2, 3> b{.weights = {{{{1}}}}, .bias = {}, .output = {0.2, 0}};
constexpr auto s = make_spec<Net, Shape<4, 4, 2>>(Grid{0.1, 0}, a, b);
constexpr auto model = compile(s);
