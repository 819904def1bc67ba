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

}  // namespace enrol::http
