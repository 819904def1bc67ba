#pragma once
// The "connectors.dispatch" section of the configuration:
//
//   "dispatch": {
//     "protocol": "svarut",
//     "url": "https://svarut.ks.no/api",        // or
//     "simulator_db": "simulated-post.db",      // the SvarUt simulator in this process
//     "konto_id": "3f2a...-...",                // the sending account (forsendelseskonto)
//     "token_env": "ENROL_SVARUT_TOKEN",        // optional: a bearer token from this variable
//     "ca_file": "...", "timeout_ms": 10000, "in_flight": 16,   // optional
//     "simulator_undeliverable_share": 0.1      // simulator only: recipients without a digital mailbox
//   }
//
// It serves the workflow's `dispatch` and `post_status` invokes.

#include <string>

#include <boost/json/value.hpp>

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
  int64_t timeout_ms = 10000;
  int in_flight = 16;
};

[[nodiscard]] Result<DigitalPostConfig> ParseDigitalPostConfig(const boost::json::value& section, const std::string& where);

}  // namespace enrol::post
