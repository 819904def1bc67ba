#include "connectors/archive/archive_config.h"

#include "connectors/http/oauth2_config.h"

#include <cstdlib>
#include <set>

#include <boost/json.hpp>

namespace enrol::archive {
namespace json = boost::json;

namespace {

// A string setting `section.key` ("connectors.archive.url"); "" when absent
// and not required.
Result<std::string> Text(const json::object& o, const char* key, const std::string& where, bool required,
                         const std::string& section = "connectors.archive") {
  const json::value* v = o.if_contains(key);
  if (!v) {
    if (required) return InvalidArgument(where + ": " + section + "." + key + " is required");
    return std::string();
  }
  if (!v->is_string() || v->get_string().empty()) {
    return InvalidArgument(where + ": " + section + "." + key + " must be a non-empty string");
  }
  return std::string(v->get_string());
}

Result<std::vector<std::string>> Codes(const json::object& o, const char* key, const std::string& where) {
  const json::value* v = o.if_contains(key);
  std::vector<std::string> out;
  if (!v || !v->is_array() || v->get_array().empty()) {
    return InvalidArgument(where + ": connectors.archive.skjerming." + key +
                           " must list at least one skjermingMetadata code (e.g. [\"NPS\", \"TM1\"])");
  }
  for (const auto& c : v->get_array()) {
    if (!c.is_string() || c.get_string().empty()) {
      return InvalidArgument(where + ": connectors.archive.skjerming." + key + " holds a code that is not a string");
    }
    out.emplace_back(c.get_string());
  }
  return out;
}

}  // namespace

Result<ArchiveConfig> ParseArchiveConfig(const json::value& section, const std::string& where) {
  if (!section.is_object()) return InvalidArgument(where + ": connectors.archive must be an object");
  const json::object& o = section.get_object();
  static const std::set<std::string> known = {"protocol", "url", "simulator_db", "arkivdel", "skjerming",
                                              "ca_file", "token_env", "timeout_ms", "simulator_faults", "in_flight", "oauth2",
                                              "folder", "system", "saksansvarlig", "poll_ms",
                                              "kvittering_timeout_ms", "_comment"};
  for (const auto& kv : o) {
    if (!known.count(std::string(kv.key()))) {
      return InvalidArgument(where + ": connectors.archive." + std::string(kv.key()) + " is not a setting");
    }
  }
  ArchiveConfig c;
  ENROL_ASSIGN_OR_RETURN(c.protocol, Text(o, "protocol", where, true));
  const bool fiks = c.protocol == "fiks-arkiv";
  if (c.protocol != "noark5" && !fiks) {
    return InvalidArgument(where + ": connectors.archive.protocol '" + c.protocol +
                           "' is not known (noark5 or fiks-arkiv)");
  }
  for (const char* k : {"folder", "system", "saksansvarlig", "poll_ms", "kvittering_timeout_ms"}) {
    if (!fiks && o.contains(k)) {
      return InvalidArgument(where + ": connectors.archive." + k + " is a fiks-arkiv setting");
    }
  }
  for (const char* k : {"arkivdel"}) {
    if (fiks && o.contains(k)) return InvalidArgument(where + ": connectors.archive." + k + " is a noark5 setting");
  }
  ENROL_ASSIGN_OR_RETURN(c.url, Text(o, "url", where, false));
  ENROL_ASSIGN_OR_RETURN(c.drop.folder, Text(o, "folder", where, false));
  if (fiks) {
    if (o.contains("system")) {
      ENROL_ASSIGN_OR_RETURN(c.fiks.system, Text(o, "system", where, true));
    }
    c.fiks.fagsystem = c.fiks.system;
    if (o.contains("saksansvarlig")) {
      ENROL_ASSIGN_OR_RETURN(c.fiks.saksansvarlig, Text(o, "saksansvarlig", where, true));
    }
    auto ms = [&](const char* key, int64_t lo, int64_t hi, int64_t& out) -> Status {
      if (const json::value* v = o.if_contains(key)) {
        if (!v->is_int64() || v->get_int64() < lo || v->get_int64() > hi) {
          return InvalidArgument(where + ": connectors.archive." + key + " must be a number from " + std::to_string(lo) +
                                 " to " + std::to_string(hi));
        }
        out = v->get_int64();
      }
      return {};
    };
    ENROL_RETURN_IF_ERROR(ms("poll_ms", 100, 86400000, c.drop.poll_ms));
    ENROL_RETURN_IF_ERROR(ms("kvittering_timeout_ms", 1000, 30LL * 86400000, c.drop.kvittering_timeout_ms));
  }
  c.simulator = o.contains("simulator_db");
  if (c.simulator) {
    const json::value& db = o.at("simulator_db");
    if (!db.is_string()) return InvalidArgument(where + ": connectors.archive.simulator_db must be a string");
    c.simulator_db = std::string(db.get_string());
  }
  if (const json::value* f = o.if_contains("simulator_faults")) {
    if (!c.simulator) return InvalidArgument(where + ": connectors.archive.simulator_faults is for the simulator only");
    c.simulator_faults = *f;
  }
  if (int(!c.url.empty()) + int(!c.drop.folder.empty()) + int(c.simulator) != 1) {
    return InvalidArgument(where + ": connectors.archive needs one of url (the archive's " +
                           std::string(fiks ? "endpoint), folder (a drop folder" : "API root") +
                           ") or simulator_db (the archive simulator in this process)");
  }
  if (!c.url.empty() && c.url.rfind("https://", 0) != 0 && c.url.rfind("http://", 0) != 0) {
    return InvalidArgument(where + ": connectors.archive.url must start with https:// (or http://)");
  }
  c.noark5.root_url = c.simulator ? (fiks ? "http://archive-simulator/fiks-arkiv/v1/arkivmelding"
                                          : "http://archive-simulator/noark5v5/")
                                  : c.url;
  if (o.contains("arkivdel")) {
    ENROL_ASSIGN_OR_RETURN(c.noark5.arkivdel, Text(o, "arkivdel", where, true));
  }
  const json::value* s = o.if_contains("skjerming");
  if (!s || !s->is_object()) {
    return InvalidArgument(where + ": connectors.archive.skjerming is required: pupils' case files are screened "
                                   "(tilgangsrestriksjon, skjermingshjemmel, mappe, journalpost)");
  }
  const json::object& so = s->get_object();
  auto sub = [&](const char* key) -> Result<std::string> {
    const json::value* v = so.if_contains(key);
    if (!v || !v->is_string() || v->get_string().empty()) {
      return InvalidArgument(where + ": connectors.archive.skjerming." + key + " is required (a non-empty string)");
    }
    return std::string(v->get_string());
  };
  ENROL_ASSIGN_OR_RETURN(c.noark5.screening.tilgangsrestriksjon, sub("tilgangsrestriksjon"));
  ENROL_ASSIGN_OR_RETURN(c.noark5.screening.skjermingshjemmel, sub("skjermingshjemmel"));
  // Fiks Arkiv V1 has no skjermingMetadata.
  if (!fiks || so.contains("mappe")) {
    ENROL_ASSIGN_OR_RETURN(c.noark5.screening.mappe_metadata, Codes(so, "mappe", where));
  }
  if (!fiks || so.contains("journalpost")) {
    ENROL_ASSIGN_OR_RETURN(c.noark5.screening.journalpost_metadata, Codes(so, "journalpost", where));
  }
  if (const json::value* prot = so.if_contains("protected")) {
    // The stricter screening for a protected-address case the education
    // office files by hand: {tilgangsrestriksjon, skjermingshjemmel, mappe,
    // journalpost} as above.
    if (!prot->is_object()) return InvalidArgument(where + ": connectors.archive.skjerming.protected must be an object");
    const json::object& po = prot->get_object();
    auto psub = [&](const char* key) -> Result<std::string> {
      const json::value* v = po.if_contains(key);
      if (!v || !v->is_string() || v->get_string().empty()) {
        return InvalidArgument(where + ": connectors.archive.skjerming.protected." + key + " is required (a non-empty string)");
      }
      return std::string(v->get_string());
    };
    ENROL_ASSIGN_OR_RETURN(c.noark5.protected_screening.tilgangsrestriksjon, psub("tilgangsrestriksjon"));
    ENROL_ASSIGN_OR_RETURN(c.noark5.protected_screening.skjermingshjemmel, psub("skjermingshjemmel"));
    if (!fiks || po.contains("mappe")) {
      ENROL_ASSIGN_OR_RETURN(c.noark5.protected_screening.mappe_metadata, Codes(po, "mappe", where));
    }
    if (!fiks || po.contains("journalpost")) {
      ENROL_ASSIGN_OR_RETURN(c.noark5.protected_screening.journalpost_metadata, Codes(po, "journalpost", where));
    }
  }
  c.fiks.screening = c.noark5.screening;
  c.fiks.protected_screening = c.noark5.protected_screening;
  ENROL_ASSIGN_OR_RETURN(c.ca_file, Text(o, "ca_file", where, false));
  ENROL_ASSIGN_OR_RETURN(c.token_env, Text(o, "token_env", where, false));
  if (!c.token_env.empty()) {
    const char* token = std::getenv(c.token_env.c_str());
    if (!token || !*token) {
      return InvalidArgument(where + ": connectors.archive.token_env names " + c.token_env +
                             ", which is not set in the environment");
    }
    c.noark5.bearer_token = token;
    c.fiks.bearer_token = token;
  }
  if (const json::value* t = o.if_contains("timeout_ms")) {
    if (!t->is_int64() || t->get_int64() < 100 || t->get_int64() > 600000) {
      return InvalidArgument(where + ": connectors.archive.timeout_ms must be a number from 100 to 600000");
    }
    c.timeout_ms = t->get_int64();
  }
  if (const json::value* a = o.if_contains("oauth2")) {
    if (!c.token_env.empty()) return InvalidArgument(where + ": connectors.archive takes token_env or oauth2, not both");
    ENROL_ASSIGN_OR_RETURN(http::OAuth2Settings s, http::ParseOAuth2(*a, where + ": connectors.archive.oauth2"));
    c.oauth2 = std::move(s);
  }
  if (const json::value* n = o.if_contains("in_flight")) {
    if (!n->is_int64() || n->get_int64() < 1 || n->get_int64() > 256) {
      return InvalidArgument(where + ": connectors.archive.in_flight must be a number from 1 to 256");
    }
    c.in_flight = static_cast<int>(n->get_int64());
  }
  if (!c.drop.folder.empty() && (c.oauth2 || !c.token_env.empty() || !c.ca_file.empty())) {
    return InvalidArgument(where + ": connectors.archive.folder takes no token, oauth2 or ca_file (nothing is sent over HTTP)");
  }
  return c;
}

}  // namespace enrol::archive
