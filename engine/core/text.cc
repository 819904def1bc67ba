#include "engine/core/text.h"

#include <cstdint>

namespace enrol::core {

Utf8Scan ScanUtf8(std::string_view s) {
  Utf8Scan out;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    size_t len = c < 0x80 ? 1 : (c >= 0xC2 && c <= 0xDF) ? 2 : (c >= 0xE0 && c <= 0xEF) ? 3 : (c >= 0xF0 && c <= 0xF4) ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (p[i + k] & 0xC0) == 0x80;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    ok = ok && !(len == 3 && cp < 0x800) && !(len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) &&
         !(cp >= 0xD800 && cp <= 0xDFFF);
    if (!ok) {
      out.valid = false;
      out.bad_offset = i;
      return out;
    }
    if (!out.control && (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F))) {
      out.control = true;
      out.first_control = i;
    }
    ++out.chars;
    i += len;
  }
  return out;
}

}  // namespace enrol::core
