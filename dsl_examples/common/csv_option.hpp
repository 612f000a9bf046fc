// The report programs' one option, `--csv FILE`: where tools/plot_examples.py wants the values.
#pragma once

#include <cstdio>
#include <cstring>

namespace examples {

struct CsvOption {
  bool ok = true;             // false: bad arguments or unwritable file (already reported)
  std::FILE* file = nullptr;  // null when --csv was not given
};

// Opens FILE for `--csv FILE` and writes the header line; no arguments means no CSV.
inline CsvOption csv_option(int argc, char** argv, const char* header) {
  if (argc == 3 && std::strcmp(argv[1], "--csv") == 0) {
    std::FILE* f = std::fopen(argv[2], "w");
    if (!f) {
      std::fprintf(stderr, "%s: cannot write %s\n", argv[0], argv[2]);
      return {false, nullptr};
    }
    std::fprintf(f, "%s\n", header);
    return {true, f};
  }
  if (argc != 1) {
    std::fprintf(stderr, "usage: %s [--csv FILE]\n", argv[0]);
    return {false, nullptr};
  }
  return {};
}

}  // namespace examples
