#include "engine/net/multipart.h"

#include <algorithm>
#include <cctype>

#include "engine/core/sha256.h"

namespace enrol::http {

namespace {

constexpr size_t kMaxHeaderLine = 1024;
constexpr size_t kMaxHeaders = 8;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The value of parameter `key` in a header value ("form-data; name=\"a\"").
// Quoted values may not hold quotes (we never write them).
bool Param(std::string_view value, std::string_view key, std::string* out) {
  size_t at = 0;
  while ((at = value.find(';', at)) != std::string_view::npos) {
    ++at;
    std::string_view rest = Trim(value.substr(at));
    const size_t eq = rest.find('=');
    if (eq == std::string_view::npos) continue;
    if (Lower(Trim(rest.substr(0, eq))) != key) continue;
    std::string_view v = Trim(rest.substr(eq + 1));
    if (!v.empty() && v.front() == '"') {
      const size_t close = v.find('"', 1);
      if (close == std::string_view::npos) return false;
      *out = std::string(v.substr(1, close - 1));
    } else {
      *out = std::string(v.substr(0, std::min(v.find(';'), v.size())));
      *out = std::string(Trim(*out));
    }
    return true;
  }
  return false;
}

}  // namespace

std::string MultipartBoundary(const std::vector<Part>& parts, const std::string& seed) {
  std::string material = seed;
  for (const Part& p : parts) material += core::Sha256Hex(p.body);
  for (int round = 0;; ++round) {
    const std::string b = "enrol-" + core::Sha256Hex(material + std::to_string(round)).substr(0, 32);
    const bool clash = std::any_of(parts.begin(), parts.end(),
                                   [&](const Part& p) { return p.body.find(b) != std::string::npos; });
    if (!clash) return b;
  }
}

std::string MultipartContentType(const std::string& boundary) {
  return "multipart/form-data; boundary=" + boundary;
}

std::string BuildMultipart(const std::vector<Part>& parts, const std::string& boundary) {
  std::string out;
  for (const Part& p : parts) {
    out += "--" + boundary + "\r\n";
    out += "Content-Disposition: form-data; name=\"" + p.name + "\"";
    if (!p.filename.empty()) out += "; filename=\"" + p.filename + "\"";
    out += "\r\n";
    if (!p.content_type.empty()) out += "Content-Type: " + p.content_type + "\r\n";
    out += "\r\n";
    out += p.body;
    out += "\r\n";
  }
  out += "--" + boundary + "--\r\n";
  return out;
}

Result<std::vector<Part>> ParseMultipart(std::string_view content_type, std::string_view body, size_t max_parts) {
  if (Lower(Trim(content_type.substr(0, content_type.find(';')))) != "multipart/form-data") {
    return InvalidArgument("the body is not multipart/form-data");
  }
  std::string boundary;
  if (!Param(content_type, "boundary", &boundary) || boundary.empty() || boundary.size() > 70) {
    return InvalidArgument("the Content-Type has no usable boundary (1 to 70 characters)");
  }
  const std::string dash = "--" + boundary;
  const std::string delimiter = "\r\n" + dash;
  if (body.substr(0, dash.size()) != dash) return InvalidArgument("the body does not start with its boundary");
  size_t pos = dash.size();
  std::vector<Part> parts;
  for (;;) {
    if (body.substr(pos, 2) == "--") return parts;  // the closing delimiter (what follows is ignored)
    if (body.substr(pos, 2) != "\r\n") {
      return InvalidArgument("part " + std::to_string(parts.size() + 1) + ": the boundary line does not end in CRLF");
    }
    pos += 2;
    if (parts.size() == max_parts) return InvalidArgument("more than " + std::to_string(max_parts) + " parts");
    Part part;
    bool disposition = false;
    for (size_t n = 0;; ++n) {
      const size_t eol = body.find("\r\n", pos);
      if (eol == std::string_view::npos || eol - pos > kMaxHeaderLine || n > kMaxHeaders) {
        return InvalidArgument("part " + std::to_string(parts.size() + 1) + ": its headers are missing or too long");
      }
      const std::string_view line = body.substr(pos, eol - pos);
      pos = eol + 2;
      if (line.empty()) break;
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) {
        return InvalidArgument("part " + std::to_string(parts.size() + 1) + ": a header line without ':'");
      }
      const std::string name = Lower(Trim(line.substr(0, colon)));
      const std::string_view value = Trim(line.substr(colon + 1));
      if (name == "content-disposition") {
        if (Lower(Trim(value.substr(0, value.find(';')))) != "form-data" || !Param(value, "name", &part.name) ||
            part.name.empty()) {
          return InvalidArgument("part " + std::to_string(parts.size() + 1) + ": Content-Disposition is not form-data with a name");
        }
        Param(value, "filename", &part.filename);
        disposition = true;
      } else if (name == "content-type") {
        part.content_type = std::string(value);
      }
    }
    if (!disposition) {
      return InvalidArgument("part " + std::to_string(parts.size() + 1) + ": no Content-Disposition");
    }
    const size_t end = body.find(delimiter, pos);
    if (end == std::string_view::npos) {
      return InvalidArgument("part " + std::to_string(parts.size() + 1) + " ('" + part.name + "') does not end");
    }
    part.body = std::string(body.substr(pos, end - pos));
    pos = end + delimiter.size();
    parts.push_back(std::move(part));
  }
}

}  // namespace enrol::http
