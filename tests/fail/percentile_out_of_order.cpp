// A percentile observer whose lower bound is above its upper bound.
// EXPECT: percentile_observer_needs_0_le_lower_lt_upper_le_100
#include <qpipe.hpp>
constexpr qpipe::DenseParams<1, 1> fc{
    .weights = {{1}}, .bias = {0}, .output = {0.1, 0}, .observer = qpipe::percentile(99.9, 0.1)};
