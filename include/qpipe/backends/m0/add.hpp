// The Cortex-M0's add: the compiler's linear form of TFLite's ADD (numerics/fitted_add.hpp) where
// it proves one equal on all 65,536 operand pairs, else TFLite's arithmetic; and its dispatcher.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qpipe/backends/m0/requantizer.hpp"
#include "qpipe/detail/read_front.hpp"
#include "qpipe/numerics/add.hpp"
#include "qpipe/numerics/fitted_add.hpp"
#include "qpipe/numerics/fitted_requantization.hpp"
#include "qpipe/ops/add.hpp"

namespace qpipe::m0 {

// The same codes from the compiler's linear form (fitted_add.hpp), then the zero point and clamp.
struct FittedAddCode {
  FittedAdd form;
  OutputClamp clamp;

  constexpr std::int8_t operator()(std::int8_t a, std::int8_t b) const {
    return clamped_code(form(a, b), clamp.zero_point, clamp.qmin, clamp.qmax);
  }
};

// TFLite's arithmetic (numerics/add.hpp's TfliteAdd) with the sum's requantizer in 8 bytes
// where Requantizer takes 20: an int8 output's zero point and clamp, and the add's shift (in [-31,
// 30]), are bytes. The same steps as TfliteAdd's operator().
struct TfliteAddCode {
  OperandRescale rescale_a, rescale_b;
  std::int32_t multiplier;
  std::int8_t shift, zero_point, qmin, qmax;

  constexpr std::int8_t operator()(std::int8_t a, std::int8_t b) const {
    return requantize_positive(rescale_a(a) + rescale_b(b), multiplier, shift, zero_point, qmin, qmax);
  }
};
// Declared, never defined: reaching it ends the constant evaluation (detail/compile_error.hpp's
// way), where an add's requantizer does not fit TfliteAddCode's bytes.
void tflite_add_code_needs_int8_fields();
consteval TfliteAddCode tflite_add_code(const TfliteAdd& t) {
  const Requantizer& r = t.requantizer;
  const auto byte = [](std::int32_t v) { return v >= -128 && v <= 127; };
  if (!byte(r.shift) || !byte(r.zero_point) || !byte(r.qmin) || !byte(r.qmax)) tflite_add_code_needs_int8_fields();
  return {t.rescale_a,
          t.rescale_b,
          r.multiplier,
          static_cast<std::int8_t>(r.shift),
          static_cast<std::int8_t>(r.zero_point),
          static_cast<std::int8_t>(r.qmin),
          static_cast<std::int8_t>(r.qmax)};
}

template <std::size_t Size>
struct AddKernel {
  static constexpr std::size_t input_size = Size;
  static constexpr std::size_t output_size = Size;
  static constexpr std::size_t macs = 0;
  static constexpr std::size_t parameter_bytes = 44;  // two offsets, two multipliers, the requantizer
  // Element i of both inputs is read before element i is written, and no earlier one after: the
  // output may lie exactly over either input (detail/read_front.hpp).
  static constexpr std::array<detail::ReadFront, 2> read_fronts{detail::unit_by_unit(Size, 1, 1),
                                                                detail::unit_by_unit(Size, 1, 1)};

  // One of the two: the fitted form where the compiler found one, else TFLite's arithmetic.
  bool fitted;
  union Arithmetic {
    TfliteAddCode tflite{};
    FittedAddCode linear;
  } arithmetic;

  // Inlined into the step at every optimisation level (GCC's -O3 does, its -O2 did not): with the
  // network a constant there, `fitted` and the constants of the form are known, and the loop is the
  // one form's (perf/README.md, "Optimisation levels").
  [[gnu::always_inline]] constexpr void operator()(const std::int8_t* a, const std::int8_t* b, std::int8_t* out) const {
    if (fitted) {
      for (std::size_t i = 0; i < Size; ++i) out[i] = arithmetic.linear(a[i], b[i]);
    } else {
      run_tflite(a, b, out);
    }
  }
  // Out of line: its 64-bit high multiply takes every register, and inlined into the inference the
  // loop's register allocation (and its cycles, by up to a third) moved with unrelated changes to
  // the rest of the network. Its constants stay constants where the network is one (GCC clones
  // the function for the kernel's address).
  [[gnu::noinline]] constexpr void run_tflite(const std::int8_t* a, const std::int8_t* b, std::int8_t* out) const {
    for (std::size_t i = 0; i < Size; ++i) out[i] = arithmetic.tflite(a[i], b[i]);
  }
};

// The linear form of TFLite's add, if the compiler finds one: every operand code rescaled once.
consteval FittedAdd fitted_add_of(const TfliteAdd& t) {
  std::array<std::int32_t, 256> a{}, b{};
  for (int x = -128; x <= 127; ++x) {
    a[static_cast<std::size_t>(x + 128)] = t.rescale_a(static_cast<std::int8_t>(x));
    b[static_cast<std::size_t>(x + 128)] = t.rescale_b(static_cast<std::int8_t>(x));
  }
  const Requantizer& r = t.requantizer;
  const ShiftSplit s = split_shift(r.shift);
  return fit_add(a, b, r.multiplier, s.left, s.right, r.zero_point, r.qmin, r.qmax);
}

template <std::size_t Size>
consteval AddKernel<Size> lower(const ops::Add<Size>& op) {
  const TfliteAdd& t = op.arithmetic;
  const FittedAdd form = fitted_add_of(t);
  AddKernel<Size> k{};
  k.fitted = form.ok;
  if (form.ok) {
    k.arithmetic.linear = {form, {t.requantizer.zero_point, t.requantizer.qmin, t.requantizer.qmax}};
  } else {
    k.arithmetic.tflite = tflite_add_code(t);
  }
  return k;
}

}  // namespace qpipe::m0
