// Batch normalization with variance + epsilon below zero cannot be folded.
// EXPECT: batch_norm_variance_plus_epsilon_must_be_positive_and_finite
#include <qpipe.hpp>
constexpr qpipe::DenseParams<1, 1> fc{.weights = {{1}}, .bias = {0}, .output = {0.1, 0}};
constexpr auto folded = qpipe::fold_batch_norm(fc, qpipe::BatchNorm<1>{{1}, {0}, {0}, {-1}, 1e-5});
