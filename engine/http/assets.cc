#include "engine/http/assets.h"

#include <string_view>
#include <utility>
#include <vector>

namespace enrol::web {

const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedUi();

namespace {

std::string TypeOf(std::string_view name) {
  auto ends = [&](std::string_view ext) {
    return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
  };
  if (ends(".html")) return "text/html; charset=utf-8";
  if (ends(".js")) return "text/javascript; charset=utf-8";
  if (ends(".css")) return "text/css; charset=utf-8";
  if (ends(".svg")) return "image/svg+xml";
  if (ends(".yaml")) return "application/yaml; charset=utf-8";
  if (ends(".png")) return "image/png";
  return "application/octet-stream";
}

}  // namespace

std::optional<http::Response> StaticFile(const std::string& path) {
  std::string_view name;
  if (path == "/" || path == "/index.html") {
    name = "index.html";
  } else if (path == "/api/v1/openapi.yaml") {
    name = "openapi.yaml";
  } else if (path.rfind("/ui/", 0) == 0) {
    name = std::string_view(path).substr(4);
    if (name == "openapi.yaml") return std::nullopt;
  } else {
    return std::nullopt;
  }
  // Only an embedded file's exact base name: "../", "%2e", "/" never match.
  for (const auto& [file, content] : EmbeddedUi()) {
    if (file != name) continue;
    http::Response r;
    r.status = 200;
    r.headers["content-type"] = TypeOf(file);
    r.headers["cache-control"] = file == "index.html" ? "no-cache" : "public, max-age=300";
    r.body = std::string(content);
    return r;
  }
  return std::nullopt;
}

}  // namespace enrol::web
