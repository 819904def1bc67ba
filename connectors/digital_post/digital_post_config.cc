#include "connectors/digital_post/digital_post_config.h"

#include <cstdlib>
#include <set>

#include <boost/json.hpp>

#include "connectors/http/oauth2_config.h"

namespace enrol::post {
namespace json = boost::json;

Result<DigitalPostConfig> ParseDigitalPostConfig(const json::value& section, const std::string& where) {
  const std::string at = where + ": connectors.dispatch";
  if (!section.is_object()) return InvalidArgument(at + " must be an object");
  const json::object& o = section.get_object();
  static const std::set<std::string> known = {"protocol", "url", "simulator_db", "simulator_faults", "konto_id",
                                              "ca_file", "token_env", "oauth2", "timeout_ms", "in_flight",
                                              "simulator_undeliverable_share", "_comment"};
  for (const auto& kv : o) {
    if (!known.count(std::string(kv.key()))) return InvalidArgument(at + "." + std::string(kv.key()) + " is not a setting");
  }
  auto text = [&](const char* key) -> Result<std::string> {
    const json::value* v = o.if_contains(key);
    if (!v) return std::string();
    if (!v->is_string() || v->get_string().empty()) return InvalidArgument(at + "." + key + " must be a non-empty string");
    return std::string(v->get_string());
  };
  DigitalPostConfig c;
  ENROL_ASSIGN_OR_RETURN(std::string protocol, text("protocol"));
  if (protocol != "svarut") {
    return InvalidArgument(at + ".protocol must be \"svarut\" (KS Fiks SvarUt REST v2)" +
                           (protocol.empty() ? std::string() : ", not '" + protocol + "'"));
  }
  ENROL_ASSIGN_OR_RETURN(c.url, text("url"));
  if (const json::value* db = o.if_contains("simulator_db")) {
    if (!db->is_string()) return InvalidArgument(at + ".simulator_db must be a string");
    c.simulator = true;
    c.simulator_db = std::string(db->get_string());
  }
  if (c.url.empty() == !c.simulator) {
    return InvalidArgument(at + " needs one of url (SvarUt's API base) or simulator_db (the SvarUt simulator in this process)");
  }
  if (!c.url.empty() && c.url.rfind("https://", 0) != 0 && c.url.rfind("http://", 0) != 0) {
    return InvalidArgument(at + ".url must start with https:// (or http://)");
  }
  for (const char* k : {"simulator_faults", "simulator_undeliverable_share"}) {
    if (!c.simulator && o.contains(k)) return InvalidArgument(at + "." + k + " is for the simulator only");
  }
  if (const json::value* f = o.if_contains("simulator_faults")) c.simulator_faults = *f;
  if (const json::value* u = o.if_contains("simulator_undeliverable_share")) {
    if (!u->is_number() || u->to_number<double>() < 0 || u->to_number<double>() > 1) {
      return InvalidArgument(at + ".simulator_undeliverable_share must be a number from 0 to 1");
    }
    c.simulator_undeliverable_share = u->to_number<double>();
  }
  ENROL_ASSIGN_OR_RETURN(c.svarut.konto_id, text("konto_id"));
  if (c.svarut.konto_id.empty()) return InvalidArgument(at + ".konto_id is required (the SvarUt forsendelseskonto)");
  if (c.svarut.konto_id.find_first_not_of("0123456789abcdefABCDEF-") != std::string::npos || c.svarut.konto_id.size() > 64) {
    return InvalidArgument(at + ".konto_id must be a UUID");
  }
  c.svarut.base_url = c.simulator ? "http://svarut-simulator/api" : c.url;
  ENROL_ASSIGN_OR_RETURN(http::ConnectionSettings conn, http::ParseConnection(o, at, c.simulator, 1000000));
  c.ca_file = conn.ca_file;
  c.svarut.bearer_token = conn.bearer_token;
  c.oauth2 = conn.oauth2;
  c.timeout_ms = conn.timeout_ms;
  c.in_flight = conn.in_flight;
  return c;
}

}  // namespace enrol::post
