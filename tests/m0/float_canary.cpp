// Negative control for the no-float/no-heap check: this object needs a soft-float helper and the
// heap, and the check must flag it.
#include <cstdlib>

float scale_by(float x, int q) { return x * static_cast<float>(q); }
void* grab(std::size_t n) { return std::malloc(n); }
