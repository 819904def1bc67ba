#include "connectors/digital_post/svarut_client.h"

#include <boost/json.hpp>

#include "engine/net/multipart.h"
#include "engine/app/kill_point.h"

namespace enrol::post {
namespace json = boost::json;

namespace {

// The service's own message ({"message"} of its ErrorMessage), cut short.
std::string ServiceMessage(const http::Response& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  std::string msg;
  if (!ec && v.is_object()) {
    if (const auto* m = v.get_object().if_contains("message"); m && m->is_string()) msg = m->get_string();
  }
  if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
  return msg.empty() ? "" : ": " + msg;
}

}  // namespace

SvarUtClient::SvarUtClient(SvarUtSettings settings, http::Transport& transport)
    : settings_(std::move(settings)), transport_(transport) {
  while (!settings_.base_url.empty() && settings_.base_url.back() == '/') settings_.base_url.pop_back();
}

json::object SvarUtClient::Forsendelse(const app::PostShipment& s, const app::PostRecipient& r) {
  json::object mottaker{{"navn", r.name}, {"digitalId", r.national_id}};
  for (size_t i = 0; i < r.address_lines.size() && i < 3; ++i) mottaker["adresselinje" + std::to_string(i + 1)] = r.address_lines[i];
  mottaker["postnummer"] = r.postnummer;
  mottaker["poststed"] = r.poststed;
  return json::object{{"tittel", s.title},
                      {"mottaker", std::move(mottaker)},
                      {"avgivendeSystem", s.sender},
                      {"eksternReferanse", r.eksternref},
                      {"kunDigitalLevering", s.only_digital},
                      {"taushetsbelagtPost", true},
                      {"krevNiva4Innlogging", true},
                      {"dokumenter", json::array{json::object{{"filnavn", s.file_name},
                                                              {"mimeType", "application/pdf"},
                                                              {"inneholderPersonsensitivInformasjon", true}}}}};
}

Result<http::Response> SvarUtClient::Call(http::Request req, const std::string& what, int64_t timeout_ms) {
  req.timeout_ms = timeout_ms;
  req.headers["accept"] = "application/json";
  if (!settings_.bearer_token.empty()) req.headers["authorization"] = "Bearer " + settings_.bearer_token;
  ENROL_ASSIGN_OR_RETURN(http::Response res, transport_.Send(req));
  app::KillPoint("post_request");
  if (res.status == 429 || res.status >= 500) {
    Error e = Unavailable(what + " answered HTTP " + std::to_string(res.status) + ServiceMessage(res)).value();
    e.retry_after_ms = http::RetryAfterMs(res);
    return tl::unexpected(e);
  }
  if (res.status != 200 && res.status != 201) {
    return FailedPrecondition(what + " answered HTTP " + std::to_string(res.status) + ServiceMessage(res));
  }
  return res;
}

Result<json::object> SvarUtClient::Send(const app::PostShipment& s, int64_t timeout_ms) {
  const std::string konto = settings_.base_url + "/v2/kontoer/" + settings_.konto_id + "/forsendelser";
  json::array sent;
  int requests = 0;
  for (const app::PostRecipient& r : s.recipients) {
    auto pdf = s.pdfs.find(r.copy);
    if (pdf == s.pdfs.end()) return Internal("no copy " + std::to_string(r.copy) + " of the letter");
    // Sent before (an answer lost, a crash)? Then that one it is.
    http::Request lookup;
    lookup.url = konto + "?eksternRef=" + http::UrlEncode(r.eksternref);
    ENROL_ASSIGN_OR_RETURN(http::Response found, Call(lookup, "the eksternRef lookup", timeout_ms));
    ++requests;
    boost::system::error_code ec;
    json::value v = json::parse(found.body, ec);
    const json::value* ids = !ec && v.is_object() ? v.get_object().if_contains("forsendelseIds") : nullptr;
    if (!ids || !ids->is_array()) return Unavailable("the eksternRef lookup's answer has no forsendelseIds");
    std::string id;
    if (!ids->get_array().empty()) {
      const json::value& first = ids->get_array().front();
      if (!first.is_string()) return Unavailable("the eksternRef lookup's answer holds an id that is not a string");
      id = std::string(first.get_string());
    } else {
      std::vector<http::Part> parts{{"forsendelse", "", "application/json", json::serialize(Forsendelse(s, r))},
                                    {"filer", s.file_name, "application/pdf", pdf->second}};
      const std::string boundary = http::MultipartBoundary(parts, r.eksternref);
      http::Request post;
      post.method = "POST";
      post.url = konto;
      post.headers["content-type"] = http::MultipartContentType(boundary);
      post.body = http::BuildMultipart(parts, boundary);
      ENROL_ASSIGN_OR_RETURN(http::Response res, Call(post, "send forsendelse", timeout_ms));
      ++requests;
      json::value answer = json::parse(res.body, ec);
      const json::value* got = !ec && answer.is_object() ? answer.get_object().if_contains("id") : nullptr;
      if (!got || !got->is_string() || got->get_string().empty()) return Unavailable("send forsendelse answered without an id");
      id = std::string(got->get_string());
    }
    sent.push_back(json::object{{"copy", r.copy}, {"eksternref", r.eksternref}, {"id", id}});
  }
  return json::object{{"protocol", "svarut-v2"}, {"forsendelser", std::move(sent)}, {"requests", requests}};
}

Result<std::map<std::string, std::string>> SvarUtClient::Statuses(const std::vector<std::string>& ids,
                                                                 int64_t timeout_ms) {
  json::array list;
  for (const auto& id : ids) list.push_back(json::string(id));
  http::Request req;
  req.method = "POST";
  req.url = settings_.base_url + "/v2/kontoer/" + settings_.konto_id + "/forsendelser/status-sok";
  req.headers["content-type"] = "application/json";
  req.body = json::serialize(json::object{{"forsendelseIds", std::move(list)}});
  ENROL_ASSIGN_OR_RETURN(http::Response res, Call(req, "the status search", timeout_ms));
  boost::system::error_code ec;
  json::value v = json::parse(res.body, ec);
  const json::value* statuser = !ec && v.is_object() ? v.get_object().if_contains("statuser") : nullptr;
  if (!statuser || !statuser->is_array()) return Unavailable("the status search's answer has no statuser");
  std::map<std::string, std::string> out;
  for (const auto& s : statuser->get_array()) {
    const json::value* id = s.is_object() ? s.get_object().if_contains("id") : nullptr;
    const json::value* status = s.is_object() ? s.get_object().if_contains("status") : nullptr;
    if (!id || !status || !id->is_string() || !status->is_string()) {
      return Unavailable("the status search's answer holds a status without id or status");
    }
    out[std::string(id->get_string())] = std::string(status->get_string());
  }
  return out;
}

}  // namespace enrol::post
