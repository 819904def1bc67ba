#include "engine/cli/output.h"

#include <cstdlib>

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
  std::cerr << "enrol: " << ForTerminal(e.message, /*keep_newlines=*/true) << "\n";
  return ExitCodeFor(e);
}

void PrintJson(const boost::json::value& v) { std::cout << boost::json::serialize(v) << "\n"; }

std::string ForTerminal(std::string_view s, bool keep_newlines) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if ((c < 0x20 && !(keep_newlines && c == '\n')) || c == 0x7F) {
      out += '?';
    } else if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      out += '?';  // a C1 control (U+0080..U+009F), e.g. CSI
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

std::string Pad(const std::string& raw, size_t width) {
  const std::string s = ForTerminal(raw);
  size_t chars = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++chars;
  }
  return chars >= width ? s + " " : s + std::string(width - chars, ' ');
}

std::string Actor(const std::string& as) {
  if (!as.empty()) return "person:" + as;
  const char* user = std::getenv("USER");
  return std::string("person:") + (user && *user ? user : "unknown");
}

}  // namespace enrol::cli
