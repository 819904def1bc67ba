#pragma once
// UTF-8 text as the engine accepts it from outside: one scan that finds
// invalid UTF-8 (overlong forms, surrogates, past U+10FFFF), control
// characters (C0, DEL, C1) and counts characters. Used by the register
// readers, person events and letter templates alike.

#include <cstddef>
#include <string_view>

namespace enrol::core {

struct Utf8Scan {
  bool valid = true;           // false: not UTF-8 from `bad_offset` on
  size_t bad_offset = 0;       // first byte that is not UTF-8
  bool control = false;        // holds a C0 or C1 control character or DEL (tab and newline too)
  size_t first_control = 0;    // byte offset of the first one
  size_t chars = 0;            // code points (up to the first invalid byte)
};

[[nodiscard]] Utf8Scan ScanUtf8(std::string_view s);

}  // namespace enrol::core
