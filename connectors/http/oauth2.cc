#include "connectors/http/oauth2.h"

#include <boost/json.hpp>

namespace enrol::http {
namespace json = boost::json;

std::string Base64(const std::string& in) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    const uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    const uint32_t v = (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

TokenSource::TokenSource(OAuth2Settings settings, Transport& transport, Clock clock)
    : s_(std::move(settings)), transport_(transport), clock_(std::move(clock)) {}

void TokenSource::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  token_.clear();
}

Result<std::string> TokenSource::Token() {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_();
  if (!token_.empty() && now < expires_) return token_;
  Request r;
  r.method = "POST";
  r.url = s_.token_url;
  // RFC 6749 §2.3.1: the id and secret form-encoded, then as Basic.
  r.headers["authorization"] = "Basic " + Base64(UrlEncode(s_.client_id) + ":" + UrlEncode(s_.client_secret));
  r.headers["content-type"] = "application/x-www-form-urlencoded";
  r.headers["accept"] = "application/json";
  r.body = "grant_type=client_credentials";
  if (!s_.scope.empty()) r.body += "&scope=" + UrlEncode(s_.scope);
  ++fetches_;
  auto res = transport_.Send(r);
  const std::string where = "the token endpoint " + s_.token_url.substr(0, s_.token_url.find('?'));
  if (!res) return tl::unexpected(res.error().WithContext(where));
  boost::system::error_code ec;
  json::value v = json::parse(res->body, ec);
  const json::object* o = !ec ? v.if_object() : nullptr;
  if (res->status == 429 || res->status >= 500) {
    return Unavailable(where + " answered HTTP " + std::to_string(res->status));
  }
  if (res->status != 200) {
    std::string why;
    if (o) {
      if (const auto* e = o->if_contains("error"); e && e->is_string()) why = std::string(e->get_string());
    }
    return FailedPrecondition(where + " refused this client (HTTP " + std::to_string(res->status) +
                              (why.empty() ? "" : ", " + why.substr(0, 100)) + "): check its id and secret");
  }
  const json::value* token = o ? o->if_contains("access_token") : nullptr;
  if (!token || !token->is_string() || token->get_string().empty()) {
    return Unavailable(where + " answered without an access_token");
  }
  int64_t seconds = 300;
  // A lifetime from 10 s to a day; anything else (not a whole number, huge)
  // is taken as the five-minute default.
  if (const auto* e = o->if_contains("expires_in"); e && e->is_int64() && e->get_int64() >= 10 &&
                                                    e->get_int64() <= 86400) {
    seconds = e->get_int64();
  }
  // Renewed a minute early (or at half its life, if shorter), so that a
  // request never leaves with a token about to lapse.
  const int64_t margin = std::min<int64_t>(60, seconds / 2);
  token_ = std::string(token->get_string());
  expires_ = now + std::chrono::seconds(seconds - margin);
  return token_;
}

Result<Response> AuthorizedTransport::Send(const Request& request) {
  for (int attempt = 0;; ++attempt) {
    ENROL_ASSIGN_OR_RETURN(std::string token, tokens_.Token());
    Request r = request;
    r.headers["authorization"] = "Bearer " + token;
    ENROL_ASSIGN_OR_RETURN(Response res, inner_.Send(r));
    if (res.status != 401 || attempt > 0) return res;
    tokens_.Invalidate();  // refused: once more with a fresh token
  }
}

}  // namespace enrol::http
