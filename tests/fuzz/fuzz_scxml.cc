// libFuzzer target: the SCXML reader and the checks of `workflow check`.
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/statechart/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<enrol::sc::Diagnostic> problems;
  auto chart = enrol::sc::ReadScxml(std::string_view(reinterpret_cast<const char*>(data), size), &problems);
  (void)chart;
  return 0;
}
