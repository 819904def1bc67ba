#include "connectors/archive/noark5_client.h"

#include <chrono>
#include <mutex>
#include <optional>

#include <boost/json.hpp>

#include "engine/app/kill_point.h"
#include "engine/core/sha256.h"

namespace enrol::archive {
namespace json = boost::json;

namespace {

constexpr const char* kRel = "https://rel.arkivverket.no/noark5/v5/api/";
constexpr const char* kMediaType = "application/vnd.noark5+json";
constexpr const char* kKeyField = "vnd-enrol-v1:noekkel";

std::string R(const std::string& rel) { return kRel + rel; }

// The archive's own message from {"feil": {"beskrivelse"}}, cut short; never
// the request (it holds names).
std::string ArchiveMessage(const http::Response& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  std::string msg;
  if (!ec && v.is_object()) {
    if (const auto* f = v.get_object().if_contains("feil"); f && f->is_object()) {
      if (const auto* b = f->get_object().if_contains("beskrivelse"); b && b->is_string()) msg = b->get_string();
    }
  }
  if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
  return msg.empty() ? "" : ": " + msg;
}

// `what` names the step ("create journalpost"), never the data.
Error StatusError(const std::string& what, const http::Response& r) {
  const std::string text = what + " answered HTTP " + std::to_string(r.status) + ArchiveMessage(r);
  if (r.status == 429 || r.status >= 500) {
    Error e = Unavailable(text).value();
    if (const std::string after = r.Header("retry-after"); !after.empty()) {
      e.message += " (Retry-After: " + after + ")";
      e.retry_after_ms = http::RetryAfterMs(r);
    }
    return e;
  }
  return FailedPrecondition(text).value();
}

std::string Href(const json::object& o, const std::string& rel) {
  const json::value* links = o.if_contains("_links");
  if (!links || !links->is_object()) return "";
  const json::value* l = links->get_object().if_contains(rel);
  if (!l || !l->is_object()) return "";
  const json::value* h = l->get_object().if_contains("href");
  if (!h || !h->is_string()) return "";
  std::string href(h->get_string());
  // A templated href ("...{?$filter,$top}") without its template.
  if (const size_t brace = href.find('{'); brace != std::string::npos) href.resize(brace);
  return href;
}

std::string WithFilter(const std::string& href, const std::string& field, const std::string& value) {
  std::string quoted;
  for (char c : value) {
    quoted += c;
    if (c == '\'') quoted += '\'';
  }
  return href + (href.find('?') == std::string::npos ? "?" : "&") + "$filter=" +
         http::UrlEncode(field + " eq '" + quoted + "'");
}

json::object Code(const std::string& kode) { return json::object{{"kode", kode}}; }

json::object Skjerming(const Screening& s, const std::vector<std::string>& metadata) {
  json::array codes;
  for (const auto& m : metadata) codes.push_back(Code(m));
  return json::object{{"tilgangsrestriksjon", Code(s.tilgangsrestriksjon)},
                      {"skjermingshjemmel", s.skjermingshjemmel},
                      {"skjermingMetadata", std::move(codes)}};
}

std::string Str(const json::object& o, const char* k) {
  const json::value* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

class Session {
 public:
  Session(const Noark5Settings& s, Transport& t, int64_t timeout_ms)
      : s_(s), t_(t), deadline_(timeout_ms > 0 ? Clock::now() + std::chrono::milliseconds(timeout_ms)
                                                : Clock::time_point::max()) {}
  int requests = 0;

  Result<json::object> Get(const std::string& what, const std::string& url) {
    http::Request r;
    r.method = "GET";
    r.url = url;
    ENROL_ASSIGN_OR_RETURN(http::Response res, Send(what, std::move(r)));
    return Json(what, res);
  }
  Result<json::object> Post(const std::string& what, const std::string& url, const json::object& body) {
    http::Request r;
    r.method = "POST";
    r.url = url;
    r.headers["content-type"] = kMediaType;
    r.body = json::serialize(body);
    ENROL_ASSIGN_OR_RETURN(http::Response res, Send(what, std::move(r)));
    if (res.status != 201 && res.status != 200) return tl::unexpected(StatusError(what, res));
    return Json(what, res);
  }
  Result<http::Response> PostBytes(const std::string& what, const std::string& url, const std::string& bytes,
                                   const std::string& mime) {
    http::Request r;
    r.method = "POST";
    r.url = url;
    r.headers["content-type"] = mime;
    r.body = bytes;
    return Send(what, std::move(r), /*any_status=*/true);
  }
  Status Delete(const std::string& what, const std::string& url) {
    http::Request r;
    r.method = "DELETE";
    r.url = url;
    ENROL_ASSIGN_OR_RETURN(http::Response res, Send(what, std::move(r), true));
    if (res.status != 204 && res.status != 200 && res.status != 404) return tl::unexpected(StatusError(what, res));
    return {};
  }
  // The one object a filtered list holds, or none; more than one is the
  // archive's (or an earlier integration's) duplicate, not ours to pick from.
  Result<std::optional<json::object>> FindOne(const std::string& what, const std::string& list_href,
                                              const std::string& field, const std::string& value) {
    if (list_href.empty()) return FailedPrecondition(what + ": the archive gives no link to search");
    ENROL_ASSIGN_OR_RETURN(json::object list, Get(what, WithFilter(list_href, field, value)));
    ENROL_ASSIGN_OR_RETURN(std::vector<json::object> results, Results(what, list));
    if (results.size() > 1) {
      return FailedPrecondition(what + " found " + std::to_string(results.size()) +
                                " objects with one external key; the archive holds duplicates to resolve by hand");
    }
    if (results.empty()) return std::optional<json::object>();
    return std::optional<json::object>(std::move(results.front()));
  }
  Result<std::vector<json::object>> All(const std::string& what, const std::string& list_href) {
    if (list_href.empty()) return FailedPrecondition(what + ": the archive gives no link to list");
    ENROL_ASSIGN_OR_RETURN(json::object list, Get(what, list_href));
    return Results(what, list);
  }

 private:
  Result<http::Response> Send(const std::string& what, http::Request r, bool any_status = false) {
    r.headers["accept"] = kMediaType;
    if (deadline_ != Clock::time_point::max()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now()).count();
      if (left <= 0) return Unavailable(what + ": the filing did not finish within its timeout");
      r.timeout_ms = left;
    }
    if (!s_.bearer_token.empty()) r.headers["authorization"] = "Bearer " + s_.bearer_token;
    ++requests;
    auto res = t_.Send(r);
    app::KillPoint("archive_request");  // the crash test: killed with the answer in hand
    if (!res) return tl::unexpected(res.error().WithContext(what));
    if (!any_status && (res->status < 200 || res->status >= 300)) return tl::unexpected(StatusError(what, *res));
    return res;
  }
  static Result<json::object> Json(const std::string& what, const http::Response& res) {
    boost::system::error_code ec;
    json::value v = json::parse(res.body, ec);
    if (ec || !v.is_object()) return Unavailable(what + ": the archive's answer is not a JSON object");
    return std::move(v.get_object());
  }
  static Result<std::vector<json::object>> Results(const std::string& what, const json::object& list) {
    const json::value* r = list.if_contains("results");
    std::vector<json::object> out;
    if (!r) return out;  // an empty list may leave it out
    if (!r->is_array()) return Unavailable(what + ": results is not a list");
    for (const auto& e : r->get_array()) {
      if (!e.is_object()) return Unavailable(what + ": a result is not an object");
      out.push_back(e.get_object());
    }
    return out;
  }
  using Clock = std::chrono::steady_clock;
  const Noark5Settings& s_;
  Transport& t_;
  Clock::time_point deadline_;
};

Status Need(const std::string& href, const std::string& what, const std::string& rel) {
  if (href.empty()) return FailedPrecondition(what + " has no link " + rel);
  return {};
}

}  // namespace

json::object ArchiveReceipt::ToJson() const {
  return json::object{{"protocol", "noark5"},
                      {"mappeID", mappe_id},
                      {"saksmappe_systemID", saksmappe_system_id},
                      {"journalpost_systemID", journalpost_system_id},
                      {"journalpostnummer", journalpostnummer},
                      {"registreringsID", registrerings_id},
                      {"dokumentbeskrivelse_systemID", dokumentbeskrivelse_system_id},
                      {"dokumentobjekt_systemID", dokumentobjekt_system_id},
                      {"saksmappe_existed", saksmappe_existed},
                      {"journalpost_existed", journalpost_existed}};
}

Noark5Client::Noark5Client(Noark5Settings settings, Transport& transport)
    : settings_(std::move(settings)), transport_(transport) {}

Result<json::object> Noark5Client::File(const ArchiveLetter& letter, int64_t timeout_ms) {
  ENROL_ASSIGN_OR_RETURN(ArchiveReceipt r, FileLetter(letter, timeout_ms));
  return r.ToJson();
}

Result<const Screening*> ScreeningFor(const app::ArchiveFiling& f, const Screening& usual,
                                      const Screening& protected_screening) {
  if (!f.protected_address) return &usual;
  if (!protected_screening.Set()) {
    return FailedPrecondition("a case under a protected address is filed only with the stricter screening, and "
                              "connectors.archive.skjerming.protected is not configured");
  }
  return &protected_screening;
}

Result<ArchiveReceipt> Noark5Client::FileLetter(const ArchiveLetter& l, int64_t timeout_ms) {
  ENROL_ASSIGN_OR_RETURN(const Screening* chosen, ScreeningFor(l, settings_.screening, settings_.protected_screening));
  Session s(settings_, transport_, timeout_ms);
  ArchiveReceipt out;
  const Screening& scr = *chosen;
  const bool screened = !scr.tilgangsrestriksjon.empty();
  auto vsm = [](const std::string& key) { return json::object{{kKeyField, key}}; };

  // Discovery: the arkivdel, once per client (its links do not change).
  std::optional<json::object> arkivdel;
  {
    std::lock_guard<std::mutex> lock(mu_);
    arkivdel = arkivdel_;
  }
  if (!arkivdel) {
    ENROL_ASSIGN_OR_RETURN(json::object root, s.Get("the archive's root", settings_.root_url));
    const std::string as_href = Href(root, R("arkivstruktur/"));
    ENROL_RETURN_IF_ERROR(Need(as_href, "the archive's root", R("arkivstruktur/")));
    ENROL_ASSIGN_OR_RETURN(json::object as, s.Get("arkivstruktur", as_href));
    ENROL_ASSIGN_OR_RETURN(arkivdel, s.FindOne("the arkivdel search", Href(as, R("arkivstruktur/arkivdel/")),
                                               "tittel", settings_.arkivdel));
    if (!arkivdel) return FailedPrecondition("the archive has no arkivdel titled '" + settings_.arkivdel + "'");
    std::lock_guard<std::mutex> lock(mu_);
    arkivdel_ = arkivdel;
  }

  // The pupil's saksmappe.
  ENROL_ASSIGN_OR_RETURN(std::optional<json::object> mappe,
                         s.FindOne("the saksmappe search", Href(*arkivdel, R("sakarkiv/saksmappe/")), kKeyField,
                                   l.pupil_key));
  out.saksmappe_existed = mappe.has_value();
  if (!mappe) {
    const std::string href = Href(*arkivdel, R("sakarkiv/ny-saksmappe/"));
    ENROL_RETURN_IF_ERROR(Need(href, "the arkivdel", R("sakarkiv/ny-saksmappe/")));
    json::object body{{"tittel", l.mappe_title},
                      {"offentligTittel", l.mappe_public_title},
                      {"saksstatus", Code("B")},
                      {"virksomhetsspesifikkeMetadata", vsm(l.pupil_key)}};
    if (screened) body["skjerming"] = Skjerming(scr, scr.mappe_metadata);
    ENROL_ASSIGN_OR_RETURN(json::object made, s.Post("create saksmappe", href, body));
    mappe = std::move(made);
  }
  out.mappe_id = Str(*mappe, "mappeID");
  out.saksmappe_system_id = Str(*mappe, "systemID");

  // The letter's journalpost.
  ENROL_ASSIGN_OR_RETURN(std::optional<json::object> jp,
                         s.FindOne("the journalpost search", Href(*mappe, R("sakarkiv/journalpost/")), kKeyField,
                                   l.letter_key));
  out.journalpost_existed = jp.has_value();
  if (!jp) {
    const std::string href = Href(*mappe, R("sakarkiv/ny-journalpost/"));
    ENROL_RETURN_IF_ERROR(Need(href, "the saksmappe", R("sakarkiv/ny-journalpost/")));
    json::object body{{"tittel", l.title},
                      {"offentligTittel", l.public_title},
                      {"journalposttype", json::object{{"kode", "U"}, {"kodenavn", "Utgående dokument"}}},
                      {"journalstatus", json::object{{"kode", "J"}, {"kodenavn", "Journalført"}}},
                      {"dokumentetsDato", l.document_date},
                      {"virksomhetsspesifikkeMetadata", vsm(l.letter_key)}};
    if (screened) body["skjerming"] = Skjerming(scr, scr.journalpost_metadata);
    ENROL_ASSIGN_OR_RETURN(json::object made, s.Post("create journalpost", href, body));
    jp = std::move(made);
  }
  out.journalpost_system_id = Str(*jp, "systemID");
  out.registrerings_id = Str(*jp, "registreringsID");
  if (const auto* n = jp->if_contains("journalpostnummer"); n && n->is_int64()) out.journalpostnummer = n->get_int64();

  // A correspondence party per recipient, those an earlier attempt made kept.
  {
    ENROL_ASSIGN_OR_RETURN(std::vector<json::object> parties,
                           s.All("the korrespondansepart list", Href(*jp, R("arkivstruktur/korrespondansepartperson/"))));
    const std::string href = Href(*jp, R("arkivstruktur/ny-korrespondansepartperson/"));
    for (const Recipient& r : l.recipients) {
      bool there = false;
      for (const auto& p : parties) there = there || Str(p, "navn") == r.name;
      if (there) continue;
      ENROL_RETURN_IF_ERROR(Need(href, "the journalpost", R("arkivstruktur/ny-korrespondansepartperson/")));
      json::array lines;
      for (const auto& a : r.address_lines) lines.push_back(json::string(a));
      json::object body{{"korrespondanseparttype", json::object{{"kode", "EM"}, {"kodenavn", "Mottaker"}}},
                        {"navn", r.name}};
      if (!lines.empty()) {  // none for a protected address
        body["postadresse"] = json::object{{"adresselinje", std::move(lines)}, {"postnummer", r.postnummer},
                                           {"poststed", r.poststed}};
      }
      ENROL_ASSIGN_OR_RETURN(json::object made, s.Post("create korrespondansepart", href, body));
      (void)made;
    }
  }

  // The main document and its file.
  ENROL_ASSIGN_OR_RETURN(std::vector<json::object> docs,
                         s.All("the dokumentbeskrivelse list", Href(*jp, R("arkivstruktur/dokumentbeskrivelse/"))));
  if (docs.size() > 1) {
    return FailedPrecondition("the journalpost holds " + std::to_string(docs.size()) +
                              " documents; one was expected (resolve by hand)");
  }
  json::object doc;
  if (docs.empty()) {
    const std::string href = Href(*jp, R("arkivstruktur/ny-dokumentbeskrivelse/"));
    ENROL_RETURN_IF_ERROR(Need(href, "the journalpost", R("arkivstruktur/ny-dokumentbeskrivelse/")));
    json::object body{{"tittel", l.document_title},
                      {"dokumenttype", json::object{{"kode", "B"}, {"kodenavn", "Brev"}}},
                      {"dokumentstatus", json::object{{"kode", "F"}, {"kodenavn", "Dokumentet er ferdigstilt"}}},
                      {"tilknyttetRegistreringSom", json::object{{"kode", "H"}, {"kodenavn", "Hoveddokument"}}},
                      {"virksomhetsspesifikkeMetadata", vsm(l.letter_key)}};
    ENROL_ASSIGN_OR_RETURN(doc, s.Post("create dokumentbeskrivelse", href, body));
  } else {
    doc = std::move(docs.front());
  }
  out.dokumentbeskrivelse_system_id = Str(doc, "systemID");

  const std::string sha = core::Sha256Hex(l.file);
  ENROL_ASSIGN_OR_RETURN(std::vector<json::object> objects,
                         s.All("the dokumentobjekt list", Href(doc, R("arkivstruktur/dokumentobjekt/"))));
  json::object obj;
  for (auto& o : objects) {
    if (Str(o, "sjekksum") == sha) obj = std::move(o);
  }
  if (obj.empty()) {
    const std::string href = Href(doc, R("arkivstruktur/ny-dokumentobjekt/"));
    ENROL_RETURN_IF_ERROR(Need(href, "the dokumentbeskrivelse", R("arkivstruktur/ny-dokumentobjekt/")));
    json::object body{{"versjonsnummer", 1},
                      {"variantformat", json::object{{"kode", "A"}, {"kodenavn", "Arkivformat"}}},
                      {"format", Code(l.format)},
                      {"mimeType", l.mime_type},
                      {"filnavn", l.file_name},
                      {"filstoerrelse", static_cast<int64_t>(l.file.size())},
                      {"sjekksum", sha},
                      {"sjekksumAlgoritme", "SHA-256"}};
    ENROL_ASSIGN_OR_RETURN(obj, s.Post("create dokumentobjekt", href, body));
  }
  out.dokumentobjekt_system_id = Str(obj, "systemID");
  const std::string fil = Href(obj, R("arkivstruktur/fil/"));
  ENROL_RETURN_IF_ERROR(Need(fil, "the dokumentobjekt", R("arkivstruktur/fil/")));
  ENROL_ASSIGN_OR_RETURN(http::Response up, s.PostBytes("upload the file", fil, l.file, l.mime_type));
  if (up.status == 409) {
    // The file is there: an earlier attempt uploaded it and lost the answer.
  } else if (up.status < 200 || up.status >= 300) {
    const Error e = StatusError("upload the file", up);
    if (up.status == 400 || up.status == 422) {
      // The archive keeps the half-made object; delete it so the next
      // attempt declares and uploads the file afresh.
      ENROL_RETURN_IF_ERROR(s.Delete("delete the dokumentobjekt of a refused upload", Href(obj, "self")));
      if (up.status == 422) return Unavailable(e.message + "; the dokumentobjekt was deleted to try again");
    }
    return tl::unexpected(e);
  }
  out.requests = s.requests;
  return out;
}

}  // namespace enrol::archive
