// Built only in the sanitizer build, and expected to fail there: a signed overflow and a read past
// an array's end. If this ever passes, the sanitizers are not active and the sanitized suite
// proves nothing.
#include <cstdio>
#include <cstdlib>

int main(int argc, char**) {
  int values[4] = {1, 2, 3, 4};
  volatile int big = 2147483647;
  const int overflow = big + argc;  // UBSan: signed integer overflow
  std::printf("%d %d\n", overflow, values[argc + 3]);  // ASan: stack-buffer-overflow
  return 0;
}
