// libFuzzer target: the FREG extract readers (JSON and XML, detected from the
// first bytes) with the mapper, on one file per input.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "connectors/register/freg_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/enrol-fuzz-freg-" + std::to_string(getpid());
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  enrol::freg::FregExtractOpener opener({.accept_synthetic = true});
  auto source = opener.Open(path);
  if (!source) return 0;
  for (int i = 0; i < 100000; ++i) {
    auto next = (*source)->Next();
    if (!next || !*next) break;
  }
  return 0;
}
