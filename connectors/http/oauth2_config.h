#pragma once
// The "oauth2" setting of a connector's configuration section:
//
//   "oauth2": {"token_url": "https://login.kommune.no/token",
//              "client_id_env": "ENROL_SIS_CLIENT_ID",
//              "client_secret_env": "ENROL_SIS_CLIENT_SECRET", "scope": "roster-core.readonly"}
//
// The client id and secret come from the environment variables it names,
// never from the file.

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "connectors/http/oauth2.h"

namespace enrol::http {

// `at` names the setting for messages ("config.json: connectors.archive.oauth2").
[[nodiscard]] Result<OAuth2Settings> ParseOAuth2(const boost::json::value& v, const std::string& at);

// The settings every HTTP connector section shares: "ca_file", a bearer
// token from the variable "token_env" or "oauth2" (not both, and neither for
// the simulator), "timeout_ms" (100 to max_timeout_ms) and "in_flight"
// (1 to 256). `at` names the section ("config.json: connectors.dispatch").
struct ConnectionSettings {
  std::string ca_file;
  std::string bearer_token;
  std::optional<OAuth2Settings> oauth2;
  int64_t timeout_ms = 10000;
  int in_flight = 16;
};
[[nodiscard]] Result<ConnectionSettings> ParseConnection(const boost::json::object& section, const std::string& at,
                                                         bool simulator, int64_t max_timeout_ms);

}  // namespace enrol::http
