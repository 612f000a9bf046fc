// Finds the boundary cases tflite_exactness_test.cpp uses: float32 scales at which a constant that
// TFLite computes in float differs from the same constant computed in double (or the reverse). Not
// part of the suite; run it by hand:
//   g++ -O1 -std=c++20 tests/qpipe/numerics/tflite_boundary_search.cpp && ./a.out
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>

namespace {

void quantize_multiplier(double real, long long& m, int& shift) {
  const double q = std::frexp(real, &shift);
  m = std::llround(q * 2147483648.0);
  if (m == (1LL << 31)) m /= 2, ++shift;
}

float float_at(unsigned bits) {
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

int clamp_code(long v) { return static_cast<int>(std::max(-128L, std::min(127L, v))); }

}  // namespace

int main() {
  // Activation bound 1.0 (RELU_N1_TO_1; 6.0 likewise): 1.0f / s is k + 1/2 in float, not in double.
  for (unsigned bits = 0x3c000000u, found = 0; bits < 0x3e800000u && found < 3; bits += 97) {
    const float s = float_at(bits);
    volatile float one = 1.0f;
    const float qf = one / s;
    if (qf == std::floor(qf) + 0.5f && std::llround(1.0 / double{s}) != std::lround(qf)) {
      std::printf("bound 1.0: scale %a, float quotient %a, double %.10f\n", s, qf, 1.0 / double{s});
      ++found;
    }
  }
  // FULLY_CONNECTED per tensor: float(in * w) / out against in * w / out in double.
  {
    const float in = 0x1.4cccccp-7f, w = 0x1.930bep-7f, out = 0x1.22d0e6p-4f;
    volatile float a = in, b = w;
    long long m1, m2;
    int s1, s2;
    quantize_multiplier(double{a * b} / out, m1, s1);
    quantize_multiplier(double{in} * double{w} / out, m2, s2);
    std::printf("fully connected %a x %a / %a: float product %lld, double %lld\n", in, w, out, m1, m2);
  }
  // LOGISTIC and TANH tables: the float construction against the double one.
  int sigmoid_found = 0, tanh_found = 0;
  for (unsigned bits = 0x3c000000u; bits < 0x3f000000u && (sigmoid_found < 2 || tanh_found < 2); bits += 1237) {
    const float s = float_at(bits);
    for (int zp = -128; zp <= 127; zp += 17) {
      for (int q = -128; q <= 127; ++q) {
        volatile float vs = s;
        const float x = vs * static_cast<float>(q - zp);
        const double xd = double{s} * (q - zp);
        const int fs = clamp_code(std::lround(1.0f / (1.0f + std::exp(-x)) * 256.0f) - 128);
        const int ds = clamp_code(std::lround(256.0 / (1.0 + std::exp(-xd))) - 128);
        if (fs != ds && sigmoid_found < 2) {
          std::printf("sigmoid: grid %a, %d, code %d: float %d, double %d\n", s, zp, q, fs, ds);
          ++sigmoid_found;
        }
        const int ft = clamp_code(std::lround(std::tanh(x) * 128.0f));
        const int dt = clamp_code(std::lround(std::tanh(xd) * 128.0));
        if (ft != dt && tanh_found < 2) {
          std::printf("tanh: grid %a, %d, code %d: float %d, double %d\n", s, zp, q, ft, dt);
          ++tanh_found;
        }
      }
    }
  }
  return 0;
}
