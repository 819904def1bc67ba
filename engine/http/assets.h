#pragma once
// The web app's files (engine/http/ui/) and the API's OpenAPI document
// (schemas/openapi.yaml), compiled into the binary: nothing is read from
// disk at run time, so no path a request names can reach a file.

#include <optional>
#include <string>

#include "engine/net/http_message.h"

namespace enrol::web {

// "/" (the app), "/ui/<file>", "/api/v1/openapi.yaml"; nullopt otherwise.
[[nodiscard]] std::optional<http::Response> StaticFile(const std::string& path);

}  // namespace enrol::web
