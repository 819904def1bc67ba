#pragma once
// The "oauth2" setting of a connector's configuration section:
//
//   "oauth2": {"token_url": "https://login.kommune.no/token",
//              "client_id_env": "ENROL_SIS_CLIENT_ID",
//              "client_secret_env": "ENROL_SIS_CLIENT_SECRET", "scope": "roster-core.readonly"}
//
// The client id and secret come from the environment variables it names,
// never from the file.

#include <string>

#include <boost/json/value.hpp>

#include "connectors/http/oauth2.h"

namespace enrol::http {

// `at` names the setting for messages ("config.json: connectors.archive.oauth2").
[[nodiscard]] Result<OAuth2Settings> ParseOAuth2(const boost::json::value& v, const std::string& at);

}  // namespace enrol::http
