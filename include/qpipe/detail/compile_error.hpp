// Errors found while the compiler evaluates a consteval function (quantizing a network, building a
// lookup table) are reported by calling one of these functions. None of them is constexpr, so
// reaching one ends the constant evaluation, and the compiler's message quotes the function's
// name: the name is the sentence the user reads. They are declared, never defined.
#pragma once

namespace qpipe::compile_error {

void requantizer_multiplier_is_zero_or_negative(double multiplier);
void requantizer_multiplier_is_not_finite(double multiplier);
void requantizer_multiplier_below_2_pow_minus_32_would_zero_every_output(double multiplier);
void requantizer_multiplier_at_or_above_2_pow_30_saturates_every_output(double multiplier);

void softmax_beta_times_input_scale_must_be_above_2_pow_minus_26_as_tflite_requires(double beta_times_scale);

void grid_scale_must_be_positive_and_finite(double scale);
void grid_zero_point_must_be_in_int8_range(int zero_point);

void weights_are_all_zero_so_their_scale_would_be_zero();
void weight_is_not_finite();
void int8_weight_minus_128_is_outside_the_symmetric_range_minus_127_to_127();
void int8_weights_need_their_scales_given();
void weight_scales_must_all_be_given_positive_and_finite_or_all_left_zero();
void a_per_tensor_layer_needs_one_weight_scale_for_every_channel_use_the_PerChannel_layer();
void bias_is_not_finite();
void bias_does_not_fit_int32_at_input_scale_times_weight_scale(double bias);
void bias_with_the_input_zero_point_folded_in_does_not_fit_int32();
// Read at the offending value as a subscript (out of bounds, so the evaluation stops): GCC's
// message then shows the number as well as the sentence.
inline constexpr bool
    this_layer_is_refused_because_its_accumulator_bound_abs_bias_plus_128_times_sum_abs_weights_exceeds_int32_max_the_subscript_is_that_bound
        [1] = {};

void batch_norm_variance_plus_epsilon_must_be_positive_and_finite();

void concatenated_branches_must_end_on_one_grid_as_tflite_int8_requires_add_a_QQuantize(double first_scale,
                                                                                        int first_zero_point,
                                                                                        double second_scale,
                                                                                        int second_zero_point);
void leaky_relu_alpha_must_be_positive_and_finite(double alpha);
void hard_swish_needs_input_scale_below_128_times_output_scale_as_tflite_requires(double input_over_output_scale);

void percentile_observer_needs_0_le_lower_lt_upper_le_100();
void kl_divergence_observer_needs_at_least_512_bins();

}  // namespace qpipe::compile_error
