// Host only: the XOR network's decision surface over [0, 1]^2, int8 against the float reference,
// on a 101 x 101 grid of inputs. Prints the largest probability difference and how many points
// the two put on different sides of 0.5; `--csv FILE` writes x, y, p_int8, p_float for
// tools/plot_examples.py. Exits non-zero if the difference exceeds the bound.
#include <cmath>
#include <cstdio>

#include "../common/csv_option.hpp"
#include "xor_forward.hpp"
#include "xor_network.hpp"

int main(int argc, char** argv) {
  const examples::CsvOption option = examples::csv_option(argc, argv, "x,y,p_int8,p_float");
  if (!option.ok) return 2;
  std::FILE* csv = option.file;
  constexpr int steps = 100;
  constexpr qpipe::Grid out = qpipe::output_grid(xor_example::spec);
  double worst = 0;
  int disagree = 0, xor_like = 0;
  double flip_margin = 0;  // how far from 0.5 the float probability is where the two disagree
  for (int i = 0; i <= steps; ++i) {
    for (int j = 0; j <= steps; ++j) {
      const double x = double(i) / steps, y = double(j) / steps;
      const std::int8_t q =
          xor_forward(qpipe::quantize(x, xor_example::input_grid), qpipe::quantize(y, xor_example::input_grid));
      const double p_int8 = qpipe::dequantize(q, out);
      const double p_float = qpipe::reference(xor_example::spec, {x, y})[0];
      worst = std::fmax(worst, std::fabs(p_int8 - p_float));
      if ((p_int8 > 0.5) != (p_float > 0.5)) {
        ++disagree;
        flip_margin = std::fmax(flip_margin, std::fabs(p_float - 0.5));
      }
      xor_like += (p_int8 > 0.5) == ((x > 0.5) != (y > 0.5));
      if (csv) std::fprintf(csv, "%.4f,%.4f,%.6f,%.6f\n", x, y, p_int8, p_float);
    }
  }
  if (csv) std::fclose(csv);
  const int points = (steps + 1) * (steps + 1);
  std::printf("xor decision surface, %d points over [0,1]^2:\n", points);
  std::printf("  max |p_int8 - p_float| = %.6f (output step 1/256 = %.6f)\n", worst, 1.0 / 256);
  std::printf("  points on different sides of 0.5: %d, all with the float p within %.4f of 0.5\n", disagree,
              flip_margin);
  std::printf("  points where int8 says (x > 0.5) xor (y > 0.5): %d (%.1f%%)\n", xor_like, 100.0 * xor_like / points);
  // Measured: 0.0304 (the hidden layer's grid step times the logit weights, through the sigmoid's
  // steepest part); 134 points flip, all next to the 0.5 contour.
  const double bound = 0.035, margin_bound = 0.03;
  if (worst > bound || flip_margin > margin_bound) {
    std::printf("FAIL: above the bound %.4f, or a point %.4f or more from the 0.5 contour flips\n", bound,
                margin_bound);
    return 1;
  }
  std::printf("ok: within the bound %.4f\n", bound);
  return 0;
}
