#include "connectors/register/flat_doc.h"

#include "engine/core/text.h"

namespace enrol::freg {

std::string_view CheckText(std::string_view s) {
  const core::Utf8Scan scan = core::ScanUtf8(s);
  if (!scan.valid) return "not valid UTF-8";
  if (scan.control) return "contains a control character";
  if (scan.chars > kMaxTextChars) return "longer than 4,000 characters";
  return {};
}

}  // namespace enrol::freg
