// libFuzzer target: what the archive connectors read from outside: a
// multipart/form-data body (the simulator's Fiks endpoint), an arkivmelding
// (the simulator) and a kvittering (the Fiks Arkiv clients).
#include <cstdint>
#include <string>
#include <string_view>

#include "connectors/archive/fiks_arkiv.h"
#include "engine/net/multipart.h"
#include "connectors/simulators/fiks_arkiv_messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  // The first line, when it looks like one, is the Content-Type.
  const size_t eol = input.find('\n');
  const std::string type = eol != std::string::npos && eol < 200 ? input.substr(0, eol) : "multipart/form-data; boundary=b";
  auto parts = enrol::http::ParseMultipart(type, eol == std::string::npos ? std::string_view(input)
                                                                          : std::string_view(input).substr(eol + 1));
  (void)parts;
  auto melding = enrol::sim::ReadArkivmelding(input);
  (void)melding;
  auto kvittering = enrol::archive::ReadKvittering(input);
  (void)kvittering;
  return 0;
}
