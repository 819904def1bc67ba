#pragma once
// The "connectors.dispatch" section of the configuration:
//
//   "dispatch": {
//     "protocol": "svarut",
//     "url": "https://svarut.ks.no/api",        // or
//     "simulator_db": "simulated-post.db",      // the SvarUt simulator in this process
//     "konto_id": "3f2a...-...",                // the sending account (forsendelseskonto)
//     "oauth2": {...},                         // or bearer tokens by OAuth2 client credentials (http/oauth2_config.h)
//     "token_env": "ENROL_SVARUT_TOKEN",        // optional: a bearer token from this variable
//     "ca_file": "...", "timeout_ms": 10000, "in_flight": 16,   // optional
//     "simulator_undeliverable_share": 0.1      // simulator only: recipients without a digital mailbox
//   }
//
// It serves the workflow's `dispatch` and `post_status` invokes.

#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "connectors/http/oauth2.h"

#include "connectors/digital_post/svarut_client.h"

namespace enrol::post {

struct DigitalPostConfig {
  SvarUtSettings svarut;
  std::string url;
  bool simulator = false;
  std::string simulator_db;
  boost::json::value simulator_faults;
  double simulator_undeliverable_share = 0.1;
  std::string ca_file;
  std::optional<http::OAuth2Settings> oauth2;  // bearer tokens by client credentials
  int64_t timeout_ms = 10000;
  int in_flight = 16;
};

[[nodiscard]] Result<DigitalPostConfig> ParseDigitalPostConfig(const boost::json::value& section, const std::string& where);

}  // namespace enrol::post
