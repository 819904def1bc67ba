#include "connectors/http/oauth2_config.h"

#include <cstdlib>

#include <boost/json.hpp>

namespace enrol::http {
namespace json = boost::json;

Result<OAuth2Settings> ParseOAuth2(const json::value& v, const std::string& at) {
  if (!v.is_object()) return InvalidArgument(at + " must be an object");
  const json::object& o = v.get_object();
  for (const auto& kv : o) {
    const std::string k(kv.key());
    if (k != "token_url" && k != "client_id_env" && k != "client_secret_env" && k != "scope") {
      return InvalidArgument(at + "." + k + " is not a setting");
    }
  }
  auto text = [&](const char* key, bool required) -> Result<std::string> {
    const json::value* t = o.if_contains(key);
    if (!t) {
      if (required) return InvalidArgument(at + "." + key + " is required");
      return std::string();
    }
    if (!t->is_string() || t->get_string().empty()) return InvalidArgument(at + "." + key + " must be a non-empty string");
    return std::string(t->get_string());
  };
  auto secret = [&](const char* key) -> Result<std::string> {
    ENROL_ASSIGN_OR_RETURN(std::string var, text(key, true));
    const char* value = std::getenv(var.c_str());
    if (!value || !*value) return InvalidArgument(at + "." + key + " names " + var + ", which is not set in the environment");
    return std::string(value);
  };
  OAuth2Settings s;
  ENROL_ASSIGN_OR_RETURN(s.token_url, text("token_url", true));
  if (s.token_url.rfind("https://", 0) != 0 && s.token_url.rfind("http://", 0) != 0) {
    return InvalidArgument(at + ".token_url must start with https://");
  }
  ENROL_ASSIGN_OR_RETURN(s.client_id, secret("client_id_env"));
  ENROL_ASSIGN_OR_RETURN(s.client_secret, secret("client_secret_env"));
  ENROL_ASSIGN_OR_RETURN(s.scope, text("scope", false));
  return s;
}

Result<ConnectionSettings> ParseConnection(const json::object& o, const std::string& at, bool simulator,
                                           int64_t max_timeout_ms) {
  auto text = [&](const char* key) -> Result<std::string> {
    const json::value* v = o.if_contains(key);
    if (!v) return std::string();
    if (!v->is_string() || v->get_string().empty()) return InvalidArgument(at + "." + key + " must be a non-empty string");
    return std::string(v->get_string());
  };
  ConnectionSettings c;
  ENROL_ASSIGN_OR_RETURN(c.ca_file, text("ca_file"));
  ENROL_ASSIGN_OR_RETURN(std::string token_env, text("token_env"));
  if (!token_env.empty()) {
    const char* token = std::getenv(token_env.c_str());
    if (!token || !*token) return InvalidArgument(at + ".token_env names " + token_env + ", which is not set in the environment");
    c.bearer_token = token;
  }
  if (const json::value* a = o.if_contains("oauth2")) {
    if (!token_env.empty()) return InvalidArgument(at + " takes token_env or oauth2, not both");
    if (simulator) return InvalidArgument(at + ".oauth2 is for a real system, not the simulator");
    ENROL_ASSIGN_OR_RETURN(OAuth2Settings s, ParseOAuth2(*a, at + ".oauth2"));
    c.oauth2 = std::move(s);
  }
  if (const json::value* t = o.if_contains("timeout_ms")) {
    if (!t->is_int64() || t->get_int64() < 100 || t->get_int64() > max_timeout_ms) {
      return InvalidArgument(at + ".timeout_ms must be a number from 100 to " + std::to_string(max_timeout_ms));
    }
    c.timeout_ms = t->get_int64();
  }
  if (const json::value* n = o.if_contains("in_flight")) {
    if (!n->is_int64() || n->get_int64() < 1 || n->get_int64() > 256) {
      return InvalidArgument(at + ".in_flight must be a number from 1 to 256");
    }
    c.in_flight = static_cast<int>(n->get_int64());
  }
  return c;
}

}  // namespace enrol::http
