#pragma once
// The "connectors.archive" section of the configuration:
//
//   "archive": {
//     "protocol": "noark5",
//     "url": "https://arkiv.kommune.no/noark5v5/",   // the API's root, or
//     "simulator_db": "simulated-archive.db",        // the archive simulator in this process
//     "arkivdel": "Elevarkiv",
//     "skjerming": {"tilgangsrestriksjon": "13",
//                   "skjermingshjemmel": "Offl. § 13 jf. fvl. § 13 (1) nr.1",
//                   "mappe": ["NPS", "TM1"], "journalpost": ["NM", "TR1"],
//                   "protected": {...the same four, stricter...}},  // optional: protected-address cases
//     "ca_file": "/etc/ssl/kommune-ca.pem",          // optional: TLS is always verified
//     "token_env": "ENROL_ARCHIVE_TOKEN",            // optional: a bearer token from this variable, or
//     "oauth2": {"token_url": "https://login.kommune.no/token", // OAuth2 client credentials
//                "client_id_env": "ENROL_ARCHIVE_CLIENT_ID",
//                "client_secret_env": "ENROL_ARCHIVE_CLIENT_SECRET", "scope": "noark5"},
//     "timeout_ms": 10000,                           // optional: per request
//     "in_flight": 16                                // optional: filings at once (1-256)
//   }
//
// or, for KS Fiks Arkiv V1 (arkivmelding):
//
//   "archive": {
//     "protocol": "fiks-arkiv",
//     "url": "https://fiks.kommune.no/arkivmelding", // the integration's HTTP endpoint, or
//     "folder": "/var/spool/enrol/fiks-arkiv",       // a drop folder (ut/, inn/), or
//     "simulator_db": "simulated-archive.db",
//     "skjerming": {"tilgangsrestriksjon": "13", "skjermingshjemmel": "..."},
//     "system": "enrol", "saksansvarlig": "Oppvekstkontoret",  // optional
//     "poll_ms": 60000, "kvittering_timeout_ms": 86400000      // optional, folder only
//   }
//
// Secrets never come from the file: a token is read from the environment
// variable the file names.

#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "connectors/archive/fiks_arkiv_client.h"
#include "connectors/archive/noark5_client.h"
#include "connectors/http/oauth2.h"

namespace enrol::archive {

struct ArchiveConfig {
  std::string protocol = "noark5";  // or "fiks-arkiv"
  Noark5Settings noark5;
  FiksArkivSettings fiks;           // its screening is noark5's
  DropFolderSettings drop;          // drop.folder "" : not a folder
  std::string url;            // "" with the simulator
  bool simulator = false;
  std::string simulator_db;   // "" : memory
  boost::json::value simulator_faults;  // the simulator's fault injection (null: none)
  std::string ca_file;
  std::string token_env;
  int64_t timeout_ms = 10000;
  int in_flight = 16;         // filings at once
  std::optional<http::OAuth2Settings> oauth2;
};

// `where` names the file for messages ("config/demo/municipality.json").
[[nodiscard]] Result<ArchiveConfig> ParseArchiveConfig(const boost::json::value& section, const std::string& where);

}  // namespace enrol::archive
