// doctest's runner for every host test executable (doctest selects it with this macro).
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>
