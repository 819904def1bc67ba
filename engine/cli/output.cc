#include "engine/cli/output.h"

#include <boost/json.hpp>

namespace enrol::cli {

int ExitCodeFor(const Error& e) {
  switch (e.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
      return 2;
    default:
      return 1;
  }
}

int ReportError(const Error& e) {
  std::cerr << "enrol: " << e.message << "\n";
  return ExitCodeFor(e);
}

void PrintJson(const boost::json::value& v) { std::cout << boost::json::serialize(v) << "\n"; }

std::string Pad(const std::string& s, size_t width) {
  size_t chars = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++chars;
  }
  return chars >= width ? s + " " : s + std::string(width - chars, ' ');
}

}  // namespace enrol::cli
