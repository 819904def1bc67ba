// libFuzzer target: the letter template parser, its checks and a render with
// every known field filled in.
#include <cstdint>
#include <string>

#include <boost/json.hpp>

#include "engine/letters/letter_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = enrol::letters::LetterTemplate::Parse("fuzz.nb", std::string(reinterpret_cast<const char*>(data), size));
  if (!t) return 0;
  (void)t->Check();
  static const boost::json::object fields = [] {
    boost::json::object o;
    for (const std::string& f : enrol::letters::KnownFields()) o[f] = "x";
    return o;
  }();
  auto r = t->Render(fields);
  if (r) (void)enrol::letters::ParseLetterMarkup(*r);
  return 0;
}
