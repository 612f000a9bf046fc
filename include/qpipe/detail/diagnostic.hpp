// One diagnostic per mistake, as a sentence with the numbers in it. The compiler computes the
// sentence (a Sentence: characters in a structural type, so it can be a template argument) and
// names `qpipe::error<sentence>`, a class that is declared but never defined. GCC prints a class
// template argument made of characters as a string literal, so the first error line reads:
//
//   error: invalid use of incomplete type 'struct qpipe::error<qpipe::Sentence{"layer 1
//   (QConv2DPerChannel<3>): the input has 4 channels, its parameter block 3"}>'
//
// After a report the declaration is refused (detail::Refused), and everything downstream of it
// (quantize, a call) accepts it quietly: no follow-on errors.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "qpipe/shape.hpp"

namespace qpipe {

// The text of one diagnostic. Fixed capacity: longer sentences are cut (with "...").
struct Sentence {
  static constexpr std::size_t capacity = 320;
  char text[capacity]{};

  constexpr Sentence& operator<<(std::string_view s) {
    for (char c : s) put(c);
    return *this;
  }
  constexpr Sentence& operator<<(const char* s) { return *this << std::string_view{s}; }
  // Any integer type (int32_t is long on arm-none-eabi, size_t unsigned int: one template for all).
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  constexpr Sentence& operator<<(T v) {
    if constexpr (std::is_signed_v<T>) {
      if (v < 0) {
        put('-');
        // The magnitude of the most negative value still fits an unsigned long long.
        return digits(0ull - static_cast<unsigned long long>(v));
      }
    }
    return digits(static_cast<unsigned long long>(v));
  }
  // Six significant digits, as printf's %g would give for ordinary magnitudes.
  constexpr Sentence& operator<<(double v) {
    if (v != v) return *this << "nan";
    if (v < 0) {
      put('-');
      v = -v;
    }
    if (v > 1e300) return *this << "inf";
    if (v == 0) return *this << "0";
    int exponent = 0;
    while (v >= 10) v /= 10, ++exponent;
    while (v < 1) v *= 10, --exponent;
    auto mantissa = static_cast<unsigned long long>(v * 100000 + 0.5);  // 6 digits
    if (mantissa >= 1000000) mantissa /= 10, ++exponent;
    char d[6];
    for (int i = 5; i >= 0; --i) d[i] = static_cast<char>('0' + mantissa % 10), mantissa /= 10;
    int last = 5;
    while (last > 0 && d[last] == '0') --last;
    if (exponent >= -4 && exponent < 6) {
      // Plain notation: the digits around the decimal point.
      if (exponent < 0) {
        *this << "0.";
        for (int i = -1; i > exponent; --i) put('0');
        for (int i = 0; i <= last; ++i) put(d[i]);
      } else {
        for (int i = 0; i <= exponent; ++i) put(i <= 5 ? (i <= last ? d[i] : '0') : '0');
        if (last > exponent) {
          put('.');
          for (int i = exponent + 1; i <= last; ++i) put(d[i]);
        }
      }
      return *this;
    }
    put(d[0]);
    if (last > 0) {
      put('.');
      for (int i = 1; i <= last; ++i) put(d[i]);
    }
    put('e');
    return *this << exponent;
  }
  template <std::size_t... Dims>
  constexpr Sentence& operator<<(Shape<Dims...>) {
    const std::size_t dims[] = {Dims...};
    for (std::size_t i = 0; i < sizeof...(Dims); ++i) {
      if (i > 0) *this << " x ";
      *this << dims[i];
    }
    return *this;
  }

  constexpr std::size_t size() const {
    std::size_t n = 0;
    while (n < capacity && text[n] != 0) ++n;
    return n;
  }

 private:
  constexpr void put(char c) {
    const std::size_t n = size();
    if (n + 4 < capacity) {
      text[n] = c;
    } else if (n + 4 == capacity) {
      text[n] = text[n + 1] = text[n + 2] = '.';
    }
  }
  constexpr Sentence& digits(unsigned long long v) {
    char d[20];
    int n = 0;
    do d[n++] = static_cast<char>('0' + v % 10), v /= 10;
    while (v != 0);
    while (n > 0) put(d[--n]);
    return *this;
  }
};

// Declared, never defined: naming it is the diagnostic.
template <Sentence S>
struct error;

namespace detail {

// Naming it reports S: one compile error whose first line holds the sentence. The class stays
// usable (value is false), so the check that reported goes on as a constant and nothing after it
// adds a second error.
template <Sentence S>
struct reported {
  static_assert(sizeof(error<S>) != 0);
  static constexpr bool value = false;
};
template <Sentence S>
constexpr bool report() {
  return reported<S>::value;
}

// The name of a type as the compiler spells it (GCC's __PRETTY_FUNCTION__); append_type writes it
// without "qpipe::" and without the default weight type ", double>". For diagnostics only.
template <class T>
constexpr std::string_view type_name() {
  constexpr std::string_view f = __PRETTY_FUNCTION__;
  constexpr std::string_view key = "T = ";
  constexpr std::size_t begin = f.find(key) + key.size();
  constexpr std::size_t end = f.find_first_of(";]", begin);
  return f.substr(begin, end - begin);
}

constexpr Sentence& append_type(Sentence& s, std::string_view name) {
  constexpr std::string_view ns = "qpipe::", default_weights = ", double>";
  for (std::size_t i = 0; i < name.size();) {
    if (name.substr(i, ns.size()) == ns) {
      i += ns.size();
    } else if (name.substr(i, default_weights.size()) == default_weights) {
      s << ">";
      i += default_weights.size();
    } else {
      s << name.substr(i, 1);
      ++i;
    }
  }
  return s;
}

}  // namespace detail
}  // namespace qpipe
