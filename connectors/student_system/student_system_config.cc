#include "connectors/student_system/student_system_config.h"

#include <cstdlib>
#include <set>

#include <boost/json.hpp>

#include "connectors/http/oauth2_config.h"

namespace enrol::sis {
namespace json = boost::json;

Result<StudentSystemConfig> ParseStudentSystemConfig(const json::value& section, const std::string& where) {
  const std::string at = where + ": connectors.student_system";
  if (!section.is_object()) return InvalidArgument(at + " must be an object");
  const json::object& o = section.get_object();
  static const std::set<std::string> known = {"protocol", "url", "simulator_db", "simulator_faults", "ca_file",
                                              "token_env", "oauth2", "timeout_ms", "in_flight", "folder", "_comment"};
  for (const auto& kv : o) {
    if (!known.count(std::string(kv.key()))) return InvalidArgument(at + "." + std::string(kv.key()) + " is not a setting");
  }
  auto text = [&](const char* key) -> Result<std::string> {
    const json::value* v = o.if_contains(key);
    if (!v) return std::string();
    if (!v->is_string() || v->get_string().empty()) return InvalidArgument(at + "." + key + " must be a non-empty string");
    return std::string(v->get_string());
  };
  StudentSystemConfig c;
  ENROL_ASSIGN_OR_RETURN(std::string protocol, text("protocol"));
  if (protocol != "oneroster" && protocol != "pifu-ims") {
    return InvalidArgument(at + ".protocol must be \"oneroster\" (OneRoster 1.2 REST) or \"pifu-ims\" (files)" +
                           (protocol.empty() ? std::string() : ", not '" + protocol + "'"));
  }
  c.protocol = protocol;
  if (protocol == "pifu-ims") {
    ENROL_ASSIGN_OR_RETURN(c.folder, text("folder"));
    if (c.folder.empty()) return InvalidArgument(at + ".folder is required with pifu-ims (the folder the student system imports from)");
    for (const auto& kv : o) {
      const std::string k(kv.key());
      if (k != "protocol" && k != "folder" && k != "in_flight" && k != "_comment") {
        return InvalidArgument(at + "." + k + " is not a pifu-ims setting");
      }
    }
    if (const json::value* n = o.if_contains("in_flight")) {
      if (!n->is_int64() || n->get_int64() < 1 || n->get_int64() > 256) {
        return InvalidArgument(at + ".in_flight must be a number from 1 to 256");
      }
      c.in_flight = static_cast<int>(n->get_int64());
    }
    return c;
  }
  if (o.contains("folder")) return InvalidArgument(at + ".folder is a pifu-ims setting");
  ENROL_ASSIGN_OR_RETURN(c.url, text("url"));
  if (const json::value* db = o.if_contains("simulator_db")) {
    if (!db->is_string()) return InvalidArgument(at + ".simulator_db must be a string");
    c.simulator = true;
    c.simulator_db = std::string(db->get_string());
  }
  if (c.url.empty() == !c.simulator) {
    return InvalidArgument(at + " needs one of url (the OneRoster base URL) or simulator_db (the student-system "
                                "simulator in this process)");
  }
  if (!c.url.empty() && c.url.rfind("https://", 0) != 0 && c.url.rfind("http://", 0) != 0) {
    return InvalidArgument(at + ".url must start with https:// (or http://)");
  }
  if (const json::value* f = o.if_contains("simulator_faults")) {
    if (!c.simulator) return InvalidArgument(at + ".simulator_faults is for the simulator only");
    c.simulator_faults = *f;
  }
  c.oneroster.base_url = c.simulator ? "http://sis-simulator/ims/oneroster/rostering/v1p2" : c.url;
  ENROL_ASSIGN_OR_RETURN(http::ConnectionSettings conn, http::ParseConnection(o, at, c.simulator, 600000));
  c.ca_file = conn.ca_file;
  c.oneroster.bearer_token = conn.bearer_token;
  c.oauth2 = conn.oauth2;
  c.timeout_ms = conn.timeout_ms;
  c.in_flight = conn.in_flight;
  return c;
}

}  // namespace enrol::sis
