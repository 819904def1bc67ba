#pragma once
// The "connectors.student_system" section of the configuration:
//
//   "student_system": {
//     "protocol": "oneroster",
//     "url": "https://sas.kommune.no/ims/oneroster/rostering/v1p2",  // or
//     "simulator_db": "simulated-sis.db",     // the student-system simulator in this process
//     "ca_file": "/etc/ssl/kommune-ca.pem",   // optional: TLS is always verified
//     "oauth2": {...},                         // or bearer tokens by OAuth2 client credentials (http/oauth2_config.h)
//     "token_env": "ENROL_SIS_TOKEN",         // optional: a bearer token from this variable
//     "timeout_ms": 10000, "in_flight": 16    // optional
//   }
//
// or, for a student system that imports files:
//
//   "student_system": {"protocol": "pifu-ims", "folder": "/var/spool/enrol/pifu"}
//
// Secrets never come from the file.

#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "connectors/http/oauth2.h"

#include "connectors/student_system/oneroster_client.h"

namespace enrol::sis {

struct StudentSystemConfig {
  std::string protocol = "oneroster";  // or "pifu-ims"
  std::string folder;                  // pifu-ims: the drop folder
  OneRosterSettings oneroster;
  std::string url;
  bool simulator = false;
  std::string simulator_db;
  boost::json::value simulator_faults;
  std::string ca_file;
  std::optional<http::OAuth2Settings> oauth2;  // bearer tokens by client credentials
  int64_t timeout_ms = 10000;
  int in_flight = 16;
};

[[nodiscard]] Result<StudentSystemConfig> ParseStudentSystemConfig(const boost::json::value& section,
                                                                   const std::string& where);

}  // namespace enrol::sis
