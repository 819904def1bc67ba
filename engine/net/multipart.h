#pragma once
// multipart/form-data bodies (RFC 7578): built by the Fiks Arkiv client (the
// arkivmelding and its file in one request), read by the archive simulator.
// The reader is strict and bounded: a body it does not understand is an
// error that says where, never a guess.

#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace enrol::http {

struct Part {
  std::string name;          // the form field
  std::string filename;      // "" when the part is not a file
  std::string content_type;  // "" when the part does not say
  std::string body;
};

// A boundary that occurs in no part, derived from the parts themselves, so
// the same parts always make the same bytes (a retried request is
// byte-identical). `seed` makes it readable ("enrol-<seed>-...").
[[nodiscard]] std::string MultipartBoundary(const std::vector<Part>& parts, const std::string& seed);
// The body; send it with MultipartContentType(boundary).
[[nodiscard]] std::string BuildMultipart(const std::vector<Part>& parts, const std::string& boundary);
[[nodiscard]] std::string MultipartContentType(const std::string& boundary);

// Reads a multipart/form-data body given its Content-Type. At most
// `max_parts` parts; names and header lines are bounded.
[[nodiscard]] Result<std::vector<Part>> ParseMultipart(std::string_view content_type, std::string_view body,
                                                       size_t max_parts = 16);

}  // namespace enrol::http
