// libFuzzer target: the configuration loader, on one file per input.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "engine/config/config_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::string path = "/tmp/enrol-fuzz-config-" + std::to_string(getpid()) + ".json";
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return 0;
  std::fwrite(data, 1, size, f);
  std::fclose(f);
  auto s = enrol::config::LoadSettings(path);
  (void)s;
  return 0;
}
