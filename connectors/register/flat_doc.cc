#include "connectors/register/flat_doc.h"

namespace enrol::freg {

std::string_view CheckText(std::string_view s) {
  size_t chars = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    const unsigned char c = *p;
    uint32_t cp = 0;
    int len = 0;
    if (c < 0x80) {
      cp = c;
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      cp = c & 0x1F;
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      cp = c & 0x0F;
      len = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      cp = c & 0x07;
      len = 4;
    } else {
      return "not valid UTF-8";
    }
    if (end - p < len) return "not valid UTF-8";
    for (int i = 1; i < len; ++i) {
      if ((p[i] & 0xC0) != 0x80) return "not valid UTF-8";
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF.
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return "not valid UTF-8";
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) return "contains a control character";
    p += len;
    if (++chars > kMaxTextChars) return "longer than 4,000 characters";
  }
  return {};
}

}  // namespace enrol::freg
