#include "engine/http/api.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

#include <boost/json.hpp>

#include "engine/app/access.h"
#include "engine/app/import_extract.h"
#include "engine/app/person_events.h"
#include "engine/app/protection.h"
#include "engine/http/router.h"

namespace enrol::web {
namespace json = boost::json;

struct Api::Caller {
  std::string token;
  Session session;
  app::User user;
  [[nodiscard]] std::string Actor() const { return "person:" + user.name; }
};

namespace {

constexpr const char* kCookie = "enrol_session";

http::Response Json(int status, const json::value& v) {
  http::Response r;
  r.status = status;
  r.headers["content-type"] = "application/json; charset=utf-8";
  r.body = json::serialize(v);
  return r;
}

// A 200 whose body is JSON already serialized.
http::Response JsonText(std::string body) {
  http::Response r;
  r.status = 200;
  r.headers["content-type"] = "application/json; charset=utf-8";
  r.body = std::move(body);
  return r;
}

http::Response FromError(const Error& e) {
  const int status = HttpStatusFor(e.code);
  const char* code = status == 404 ? "not_found" : status == 403 ? "forbidden" : status == 400 ? "invalid"
                     : status == 409 ? "conflict"
                     : status == 503 ? "unavailable" : "internal";
  // An internal error's text may name files or queries: the log has it.
  http::Response r =
      JsonError(status, code, status >= 500 && status != 503 ? "something went wrong on the server" : e.message);
  // A busy database: the client sends the same request again shortly (the
  // web app does, by itself; a request id makes the repeat harmless).
  if (e.code == ErrorCode::kAborted) r.headers["retry-after"] = "2";
  return r;
}

std::map<std::string, std::string> Query(const std::string& target) {
  std::map<std::string, std::string> out;
  const size_t q = target.find('?');
  if (q == std::string::npos) return out;
  std::string_view rest(target);
  rest.remove_prefix(q + 1);
  int n = 0;
  while (!rest.empty() && n++ < 32) {
    const size_t amp = rest.find('&');
    std::string_view part = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = part.find('=');
    std::string k = http::UrlDecode(std::string(part.substr(0, eq)));
    std::string v = eq == std::string_view::npos ? "" : http::UrlDecode(std::string(part.substr(eq + 1)));
    if (k.size() <= 32 && v.size() <= 200) out[k] = v;
  }
  return out;
}

std::optional<int64_t> Number(std::string_view s) {
  int64_t v = 0;
  if (s.empty() || s.size() > 18) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

std::string CookieValue(const std::string& header, const std::string& name) {
  std::string_view rest(header);
  while (!rest.empty()) {
    const size_t semi = rest.find(';');
    std::string_view part = rest.substr(0, semi);
    rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    if (part.size() > name.size() && part.substr(0, name.size()) == name && part[name.size()] == '=') {
      return std::string(part.substr(name.size() + 1));
    }
  }
  return "";
}

bool SameSecret(const std::string& a, const std::string& b) {
  if (a.size() != b.size() || a.empty()) return false;
  unsigned char d = 0;
  for (size_t i = 0; i < a.size(); ++i) d |= static_cast<unsigned char>(a[i] ^ b[i]);
  return d == 0;
}

// A request body that must be a JSON object.
Result<json::object> Body(const http::Request& r) {
  const std::string type = r.Header("content-type");
  if (type.rfind("application/json", 0) != 0) {
    return InvalidArgument("send the body as application/json");
  }
  json::parse_options opt;
  opt.max_depth = 8;
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec, {}, opt);
  if (ec) return InvalidArgument("the body is not JSON (" + ec.message() + ")");
  if (!v.is_object()) return InvalidArgument("the body must be a JSON object");
  return std::move(v.as_object());
}

std::string Str(const json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string Phase(const app::CaseRecord& c) { return c.status == "active" ? c.state : c.status; }


json::object UserJson(const app::User& u) {
  json::array schools;
  for (const auto& s : u.schools) schools.emplace_back(s);
  return {{"name", u.name}, {"role", app::RoleName(u.role)}, {"schools", std::move(schools)}};
}

json::object EventJson(const sc::PersonEventSpec& e) {
  json::array fields;
  for (const auto& f : e.fields) {
    fields.push_back(json::object{{"name", f.name}, {"type", f.type}, {"required", f.required},
                                  {"label", f.label.empty() ? f.name : f.label}, {"max_length", f.max_length}});
  }
  return {{"name", e.name}, {"label", e.label.empty() ? e.name : e.label}, {"by", e.by}, {"fields", std::move(fields)}};
}

std::string SetCookie(const std::string& value, bool secure, bool clear) {
  std::string c = std::string(kCookie) + "=" + value + "; Path=/; HttpOnly; SameSite=Strict";
  if (secure) c += "; Secure";
  if (clear) c += "; Max-Age=0";
  return c;
}

std::string Day(const std::string& iso) { return iso.substr(0, 10); }

}  // namespace

http::Response Api::Handle(const http::Request& r, std::string& route) {
  const std::string path = r.target.substr(0, r.target.find('?'));
  const std::string m = r.method;
  std::vector<std::string> seg;
  for (size_t i = 1; i <= path.size();) {
    const size_t j = path.find('/', i);
    seg.push_back(path.substr(i, j == std::string::npos ? std::string::npos : j - i));
    if (j == std::string::npos) break;
    i = j + 1;
  }
  // seg[0] == "api", seg[1] == "v1"
  if (seg.size() < 3 || seg[0] != "api" || seg[1] != "v1") {
    route = "/api/other";
    return JsonError(404, "not_found", "no such resource");
  }
  const std::string res = seg[2];
  auto method_not_allowed = [&](const std::string& allow) {
    http::Response e = JsonError(405, "method_not_allowed", "use " + allow + " for " + path);
    e.headers["allow"] = allow;
    return e;
  };
  if (res == "session" && seg.size() == 3) {
    route = "/api/v1/session";
    if (m == "POST") return SignIn(r);
    if (m == "DELETE") return SignOut(r);
    if (m != "GET") return method_not_allowed("GET, POST, DELETE");
  }

  // Everything else needs a live session; a state change also its CSRF token.
  Caller c;
  c.token = CookieValue(r.Header("cookie"), kCookie);
  const int64_t now = p_.now_ms();
  auto session = sessions_.Touch(c.token, now);
  static const std::set<std::string> kResources = {"session", "schools", "cases", "incidents", "dashboard",
                                                    "audit", "workflow", "imports", "intake"};
  route = kResources.count(res) ? "/api/v1/" + res : "/api/other";
  if (!session) return JsonError(401, "unauthenticated", "sign in first (no session, or it has expired)");
  auto user = p_.users.Find(session->user);
  if (!user) return FromError(user.error());
  if (!*user || (*user)->disabled) {
    sessions_.Drop(c.token);
    return JsonError(401, "unauthenticated", "sign in first (the user is disabled)");
  }
  if (CredentialStamp((*user)->password_hash) != session->credential) {
    sessions_.Drop(c.token);
    return JsonError(401, "unauthenticated", "your password was changed; sign in again");
  }
  c.session = *session;
  c.user = std::move(**user);
  const bool changes = m != "GET" && m != "HEAD";
  if (changes && !SameSecret(r.Header("x-csrf-token"), c.session.csrf)) {
    return JsonError(403, "csrf", "the request lacks this session's X-CSRF-Token; reload the page");
  }

  if (res == "session" && seg.size() == 3) return Me(c);
  if (res == "schools" && seg.size() == 3) {
    if (m != "GET") return method_not_allowed("GET");
    return Schools();
  }
  if (res == "cases") {
    if (seg.size() == 3) {
      if (m != "GET") return method_not_allowed("GET");
      return ListCases(c, r);
    }
    if (seg.size() == 4 && seg[3] == "events") {
      route = "/api/v1/cases/events";
      if (m != "POST") return method_not_allowed("POST");
      return SendEvent(c, {}, r, true);
    }
    const auto id = Number(seg[3]);
    if (!id) {
      route = "/api/v1/cases/{id}";
      return JsonError(404, "not_found", "no case " + seg[3].substr(0, 40));
    }
    if (seg.size() == 4) {
      route = "/api/v1/cases/{id}";
      if (m != "GET") return method_not_allowed("GET");
      return ShowCase(c, *id);
    }
    if (seg.size() == 5 && seg[4] == "letter.pdf") {
      route = "/api/v1/cases/{id}/letter.pdf";
      if (m != "GET") return method_not_allowed("GET");
      return Letter(c, *id, r);
    }
    if (seg.size() == 5 && seg[4] == "events") {
      route = "/api/v1/cases/{id}/events";
      if (m != "POST") return method_not_allowed("POST");
      return SendEvent(c, {*id}, r, false);
    }
  }
  if (res == "incidents") {
    if (seg.size() == 3) {
      if (m != "GET") return method_not_allowed("GET");
      return Incidents(c, r);
    }
    if (seg.size() == 4 && (seg[3] == "retry" || seg[3] == "skip")) {
      route = "/api/v1/incidents/" + seg[3];
      if (m != "POST") return method_not_allowed("POST");
      return EndIncidents(c, r, seg[3]);
    }
  }
  if (res == "dashboard" && seg.size() == 3) {
    if (m != "GET") return method_not_allowed("GET");
    return Dashboard(c);
  }
  if (res == "audit" && seg.size() == 3) {
    if (m != "GET") return method_not_allowed("GET");
    return Audit(c, r);
  }
  if (res == "imports" && seg.size() == 3) {
    if (m == "POST") return Import(c, r);
    if (m != "GET") return method_not_allowed("GET, POST");
    return Imports(c);
  }
  if (res == "imports" && seg.size() == 4 && seg[3] == "run") {
    route = "/api/v1/imports/run";
    if (!app::IsOffice(c.user)) return JsonError(403, "forbidden", "imports are the education office's");
    if (!p_.uploads) return JsonError(404, "not_found", "this server takes no imports");
    if (m != "GET") return method_not_allowed("GET");
    return JsonText(p_.uploads->StatusJson());
  }
  if (res == "intake" && seg.size() == 3) {
    if (!app::IsOffice(c.user)) return JsonError(403, "forbidden", "intake runs are the education office's");
    if (!p_.intake) return JsonError(404, "not_found", "this server runs no intake");
    if (m == "POST") return StartIntake(c, r);
    if (m != "GET") return method_not_allowed("GET, POST");
    return JsonText(p_.intake->StatusJson());
  }
  if (res == "workflow" && seg.size() == 3) {
    if (m != "GET") return method_not_allowed("GET");
    return Workflow(c);
  }
  route = "/api/other";
  return JsonError(404, "not_found", "no such resource");
}

http::Response Api::SignIn(const http::Request& r) {
  auto body = Body(r);
  if (!body) return FromError(body.error());
  const std::string name = Str(*body, "name"), password = Str(*body, "password");
  if (name.empty() || password.empty()) return JsonError(400, "invalid", "give name and password");
  auto result = p_.users.Authenticate(name, password, p_.now_ms(), p_.now_text());
  if (!result) return FromError(result.error());
  http::Response out;
  // Sign-ins in the audit log: a known user's by name; an unknown name is
  // not written (it may be a password typed in the wrong field).
  auto known = p_.users.Find(name);
  const bool is_user = known && *known;
  const std::string outcome = result->user            ? "signed in to the web app"
                              : result->locked_ms > 0 ? "sign-in refused: locked after wrong passwords"
                                                      : "sign-in refused";
  if (auto st = p_.engine.RecordAudit(0, is_user ? "person:" + name : "anonymous", "access",
                                      is_user ? outcome : "sign-in refused: no such user");
      !st) {
    return FromError(st.error());
  }
  if (!result->user) {
    if (result->locked_ms > 0) {
      const int64_t minutes = (result->locked_ms + 59999) / 60000;
      out = JsonError(429, "locked",
                      "too many wrong passwords: try again in " + std::to_string(minutes) + " minutes, or ask the "
                      "education office to set a new password");
      out.headers["retry-after"] = std::to_string((result->locked_ms + 999) / 1000);
    } else {
      out = JsonError(401, "wrong_credentials", "wrong user name or password");
    }
    out.delay_ms = result->delay_ms;
    return out;
  }
  const std::string token =
      sessions_.Create(result->user->name, CredentialStamp(result->user->password_hash), p_.now_ms());
  auto s = sessions_.Touch(token, p_.now_ms());
  json::object o = UserJson(*result->user);
  o["csrf"] = s ? s->csrf : "";
  o["municipality"] = p_.settings.municipality.name;
  out = Json(200, o);
  out.headers["set-cookie"] = SetCookie(token, o_.secure_cookie, false);
  return out;
}

http::Response Api::SignOut(const http::Request& r) {
  const std::string token = CookieValue(r.Header("cookie"), kCookie);
  auto s = sessions_.Touch(token, p_.now_ms());
  if (s && !SameSecret(r.Header("x-csrf-token"), s->csrf)) {
    return JsonError(403, "csrf", "the request lacks this session's X-CSRF-Token; reload the page");
  }
  sessions_.Drop(token);
  if (s) (void)p_.engine.RecordAudit(0, "person:" + s->user, "access", "signed out of the web app");
  http::Response out = Json(200, json::object{{"signed_out", true}});
  out.headers["set-cookie"] = SetCookie("", o_.secure_cookie, true);
  return out;
}

http::Response Api::Me(const Caller& c) {
  json::object o = UserJson(c.user);
  o["csrf"] = c.session.csrf;
  o["municipality"] = p_.settings.municipality.name;
  return Json(200, o);
}

http::Response Api::Schools() {
  json::array out;
  for (const auto& s : p_.settings.municipality.schools) {
    out.push_back(json::object{{"id", s.id}, {"name", s.name}, {"first_grade", s.grades.first},
                               {"last_grade", s.grades.last}});
  }
  return Json(200, json::object{{"schools", std::move(out)}});
}

http::Response Api::ListCases(const Caller& c, const http::Request& r) {
  auto q = Query(r.target);
  app::CaseListQuery query;
  if (!q["school"].empty()) query.schools = {q["school"]};
  if (!q["grade"].empty()) {
    auto g = Number(q["grade"]);
    if (!g || (*g != 1 && *g != 5 && *g != 8)) return JsonError(400, "invalid", "grade is 1, 5 or 8");
    query.grade = static_cast<int>(*g);
  }
  query.phase = q["phase"];
  query.search = q["q"];
  if (!q["limit"].empty()) {
    auto l = Number(q["limit"]);
    if (!l || *l < 1 || *l > 500) return JsonError(400, "invalid", "limit is 1 to 500");
    query.limit = static_cast<int>(*l);
  }
  if (!q["offset"].empty()) {
    auto off = Number(q["offset"]);
    if (!off || *off > 1000000) return JsonError(400, "invalid", "offset is a number up to 1000000");
    query.offset = static_cast<int>(*off);
  }
  auto page = p_.queries.Inbox(c.user, query);
  if (!page) return FromError(page.error());
  const bool names = app::MaySeePersonalData(c.user);
  json::array rows;
  for (const auto& row : page->rows) {
    json::object o{{"id", row.id}, {"key", row.key}, {"grade", row.grade}, {"school", row.school},
                   {"phase", row.phase}, {"status", row.status}, {"updated_at", row.updated_at}};
    if (names) {
      o["name"] = row.child_name;
      o["birth_date"] = row.birth_date;
    }
    if (row.protected_case) o["protected"] = true;
    rows.push_back(std::move(o));
  }
  json::object by_phase, by_grade;
  for (const auto& [k, n] : page->by_phase) by_phase[k] = n;
  for (const auto& [k, n] : page->by_grade) by_grade[std::to_string(k)] = n;
  return Json(200, json::object{{"cases", std::move(rows)}, {"total", page->total}, {"by_phase", std::move(by_phase)},
                                {"by_grade", std::move(by_grade)}, {"limit", query.limit},
                                {"offset", query.offset}});
}

http::Response Api::ShowCase(const Caller& c, int64_t id) {
  auto view = p_.queries.Case(c.user, id);
  if (!view) return FromError(view.error());
  const app::CaseRecord& k = view->record;
  json::object o{{"id", k.id}, {"key", k.key}, {"grade", k.grade}, {"school_year", k.school_year},
                 {"school", k.school}, {"phase", Phase(k)}, {"status", k.status}, {"state", k.state},
                 {"protected", k.protected_case}, {"updated_at", k.updated_at}, {"created_at", k.created_at}};
  for (const auto& s : p_.settings.municipality.schools) {
    if (s.id == k.school) o["school_name"] = s.name;
  }
  if (!k.damage.empty()) o["damage"] = k.damage;
  if (const auto* d = k.instance.if_contains("data")) o["data"] = *d;
  if (view->personal) {
    json::object ch{{"name", view->child_name}, {"birth_date", view->birth_date}};
    if (view->address) ch["address"] = *view->address;
    o["child"] = std::move(ch);
    json::array guardians;
    for (const auto& name : view->guardian_names) guardians.push_back(json::object{{"name", name}});
    o["guardians"] = std::move(guardians);
    json::array la;
    for (const auto& l : view->letters) {
      la.push_back(json::object{{"version", l.version}, {"copy", l.copy}, {"copies", l.copies},
                                {"status", l.status}, {"template", l.template_name}, {"created_at", l.created_at}});
    }
    o["letters"] = std::move(la);
  }
  json::array ja, ha, ea;
  for (const auto& j : view->jobs) {
    ja.push_back(json::object{{"type", j.type}, {"invoke", j.invoke_id}, {"status", j.status},
                              {"attempts", j.attempts}, {"last_error", j.last_error}, {"receipt", j.result}});
  }
  for (const auto& [at, e] : view->history) {
    ha.push_back(json::object{{"at", at}, {"actor", e.actor}, {"kind", e.kind}, {"detail", e.detail}});
  }
  for (const auto* e : view->events) ea.push_back(EventJson(*e));
  o["jobs"] = std::move(ja);
  o["history"] = std::move(ha);
  o["events"] = std::move(ea);
  return Json(200, o);
}

http::Response Api::Letter(const Caller& c, int64_t id, const http::Request& r) {
  auto q = Query(r.target);
  int64_t copy = 1, version = 0;
  if (!q["copy"].empty()) {
    auto n = Number(q["copy"]);
    if (!n || *n < 1 || *n > 100) return JsonError(400, "invalid", "copy is a number from 1");
    copy = *n;
  }
  if (!q["version"].empty()) {
    auto n = Number(q["version"]);
    if (!n || *n < 1 || *n > 1000000) return JsonError(400, "invalid", "version is a number from 1");
    version = *n;
  }
  auto letter = p_.queries.Letter(c.user, id, static_cast<int>(copy), static_cast<int>(version));
  if (!letter) return FromError(letter.error());
  http::Response out;
  out.status = 200;
  out.headers["content-type"] = "application/pdf";
  out.headers["content-disposition"] = "inline; filename=\"vedtak-" + std::to_string(id) + ".pdf\"";
  out.body = std::move(letter->pdf);
  return out;
}

http::Response Api::SendEvent(const Caller& c, const std::vector<int64_t>& path_ids, const http::Request& r,
                              bool many) {
  auto body = Body(r);
  if (!body) return FromError(body.error());
  std::vector<int64_t> ids = path_ids;
  if (many) {
    const auto* list = body->if_contains("ids");
    if (!list || !list->is_array() || list->as_array().empty() || list->as_array().size() > 2000) {
      return JsonError(400, "invalid", "ids: a list of 1 to 2000 case ids");
    }
    for (const auto& v : list->as_array()) {
      if (!v.is_int64() || v.as_int64() <= 0) return JsonError(400, "invalid", "ids: case ids are positive numbers");
      ids.push_back(v.as_int64());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  }
  const std::string event = Str(*body, "event");
  const std::string request_id = Str(*body, "request_id");
  if (event.empty() || event.size() > 100) return JsonError(400, "invalid", "event: the name of a person event");
  if (request_id.size() < 8 || request_id.size() > 100) {
    return JsonError(400, "invalid", "request_id: 8 to 100 characters, one per click (a retry sends the same)");
  }
  app::PersonCommand cmd;
  cmd.event = event;
  cmd.data = body->contains("data") ? body->at("data") : json::value();
  if (!cmd.data.is_null() && !cmd.data.is_object()) return JsonError(400, "invalid", "data must be an object");
  cmd.actor = c.Actor();
  cmd.request_id = request_id;

  // Who may see and act on each case is checked by the engine inside the
  // transaction that applies the event: a case the user may not see is
  // "not found", like one that does not exist.
  cmd.user = c.user;
  auto rs = p_.engine.ApplyPersonEventToMany(ids, cmd);
  if (!rs) return FromError(rs.error());
  std::vector<Result<app::ApplyResult>>& applied = *rs;
  const bool any = std::any_of(applied.begin(), applied.end(), [](const auto& a) { return a && !a->duplicate; });
  if (any && p_.wake_worker) p_.wake_worker();
  if (!many) {
    const auto& one = applied.front();
    if (!one) return FromError(one.error());
    return Json(200, json::object{{"id", ids.front()}, {"applied", !one->duplicate}, {"repeat", one->duplicate},
                                  {"from", one->from}, {"to", one->to}, {"note", one->note}});
  }
  json::array results;
  int n_applied = 0, n_repeat = 0, n_refused = 0;
  for (size_t i = 0; i < ids.size(); ++i) {
    const auto& a = applied[i];
    if (a && !a->duplicate) ++n_applied;
    if (a && a->duplicate) ++n_repeat;
    if (!a) ++n_refused;
    // An internal error's text stays in the log (as FromError does).
    const std::string why = !a && HttpStatusFor(a.error().code) >= 500 ? "something went wrong on the server"
                            : !a                                       ? a.error().message
                                                                       : "";
    results.push_back(a ? json::object{{"id", ids[i]}, {"applied", !a->duplicate}, {"to", a->to}}
                        : json::object{{"id", ids[i]}, {"applied", false}, {"error", why}});
  }
  return Json(200, json::object{{"applied", n_applied}, {"repeated", n_repeat}, {"refused", n_refused},
                                {"results", std::move(results)}});
}

http::Response Api::Incidents(const Caller& c, const http::Request& r) {
  auto q = Query(r.target);
  app::IncidentFilter f;
  f.open_only = q["all"] != "1";
  f.school = q["school"];
  auto list = p_.queries.Incidents(c.user, f);
  if (!list) return FromError(list.error());
  json::array out;
  for (const auto& i : *list) {
    out.push_back(json::object{{"id", i.id}, {"case_id", i.case_id}, {"case_key", i.case_key}, {"kind", i.kind},
                               {"job_type", i.job_type}, {"school", i.school}, {"state", i.state},
                               {"grade", i.grade}, {"error", i.error}, {"status", i.status},
                               {"resolution", i.resolution}, {"created_at", i.created_at}});
    if (out.size() >= 1000) break;
  }
  return Json(200, json::object{{"incidents", std::move(out)}});
}

http::Response Api::EndIncidents(const Caller& c, const http::Request& r, const std::string& action) {
  if (!app::IsOffice(c.user)) return JsonError(403, "forbidden", "incidents are the education office's");
  auto body = Body(r);
  if (!body) return FromError(body.error());
  const auto* list = body->if_contains("ids");
  if (!list || !list->is_array() || list->as_array().empty() || list->as_array().size() > 1000) {
    return JsonError(400, "invalid", "ids: a list of 1 to 1000 incident ids");
  }
  app::IncidentFilter f;
  for (const auto& v : list->as_array()) {
    if (!v.is_int64() || v.as_int64() <= 0) return JsonError(400, "invalid", "ids: incident ids are positive numbers");
    f.ids.push_back(v.as_int64());
  }
  const std::string reason = Str(*body, "reason");
  if (action == "skip" && reason.empty()) return JsonError(400, "invalid", "reason: why the step is skipped");
  if (reason.size() > 1000) return JsonError(400, "invalid", "reason: at most 1000 characters");
  auto n = action == "retry" ? p_.engine.RetryIncidents(f, c.Actor()) : p_.engine.SkipIncidents(f, c.Actor(), reason);
  if (!n) return FromError(n.error());
  if (n->done > 0 && p_.wake_worker) p_.wake_worker();
  json::array refused;
  for (const auto& why : n->refused) refused.emplace_back(why);
  return Json(200, json::object{{action == "retry" ? "retried" : "skipped", n->done}, {"refused", std::move(refused)}});
}

http::Response Api::Dashboard(const Caller& c) {
  std::vector<std::string> schools;
  for (const auto& s : p_.settings.municipality.schools) schools.push_back(s.id);
  auto figures = p_.queries.Office(c.user, schools, p_.now_ms());
  if (!figures) return FromError(figures.error());
  const auto* counts = &figures->running;
  // Cases by school and phase.
  json::object by_school;
  json::object totals;
  int64_t completed = 0;
  for (const auto& s : p_.settings.municipality.schools) {
    json::object phases;
    for (const auto& [k, n] : figures->by_school[s.id]) phases[k] = n;
    by_school[s.id] = json::object{{"name", s.name}, {"phases", std::move(phases)}};
  }
  for (const auto& [k, n] : figures->totals) {
    totals[k] = n;
    if (k == "completed") completed = n;
  }
  auto secretary_ms = p_.users.ActiveTime("secretary");
  if (!secretary_ms) return FromError(secretary_ms.error());
  const double app_minutes = static_cast<double>(*secretary_ms) / 60000.0;
  const double manual_minutes = p_.settings.web.manual_minutes * static_cast<double>(completed);
  const double saved_minutes = std::max(0.0, manual_minutes - app_minutes);
  json::object saving{{"enrolments_done", completed},
                      {"manual_minutes_per_enrolment", p_.settings.web.manual_minutes},
                      {"manual_minutes", manual_minutes},
                      {"app_minutes", app_minutes},
                      {"saved_minutes", saved_minutes},
                      {"hourly_cost", p_.settings.web.hourly_cost},
                      {"saved_cost", saved_minutes / 60.0 * p_.settings.web.hourly_cost}};
  json::array progress;
  for (const auto& [hour, done, closed] : figures->finished_per_hour) {
    progress.push_back(json::object{{"hour", hour}, {"completed", done}, {"closed", closed}});
  }
  return Json(200, json::object{{"by_school", std::move(by_school)}, {"totals", std::move(totals)},
                                {"progress", std::move(progress)},
                                {"incidents_open", counts->incidents_open}, {"jobs_in_flight", counts->jobs_leased},
                                {"saving", std::move(saving)}});
}

http::Response Api::Audit(const Caller& c, const http::Request& r) {
  auto q = Query(r.target);
  int64_t before = 0;
  if (!q["before"].empty()) {
    auto n = Number(q["before"]);
    if (!n) return JsonError(400, "invalid", "before is a sequence number");
    before = *n;
  }
  auto rows = p_.queries.Audit(c.user, before, 100);
  if (!rows) return FromError(rows.error());
  json::array out;
  for (const auto& row : *rows) {
    out.push_back(json::object{{"seq", row.seq}, {"at", row.at}, {"case_key", row.case_key},
                               {"actor", row.entry.actor}, {"kind", row.entry.kind}, {"detail", row.entry.detail}});
  }
  return Json(200, json::object{{"audit", std::move(out)}});
}

http::Response Api::Workflow(const Caller& c) {
  auto figures = p_.queries.Office(c.user, {}, p_.now_ms());
  if (!figures) return FromError(figures.error());
  auto chart = p_.engine.Chart(p_.engine.current_workflow());
  if (!chart) return FromError(chart.error());
  std::map<std::string, int64_t> in_state;
  for (const auto& [k, n] : figures->running.cases) in_state[k.first == "active" ? k.second : k.first] += n;
  json::array states, transitions;
  const auto& ch = **chart;
  for (size_t i = 0; i < ch.states.size(); ++i) {
    const auto& s = ch.states[i];
    if (s.kind == sc::StateKind::kRoot || s.kind == sc::StateKind::kHistoryDeep ||
        s.kind == sc::StateKind::kHistoryShallow) {
      continue;
    }
    const char* kind = s.kind == sc::StateKind::kFinal      ? "final"
                       : s.kind == sc::StateKind::kAtomic   ? "atomic"
                       : s.kind == sc::StateKind::kParallel ? "parallel"
                                                            : "compound";
    json::object o{{"id", s.id}, {"kind", kind}, {"depth", s.depth}, {"cases", in_state[s.id]}};
    if (s.parent >= 0 && ch.states[s.parent].kind != sc::StateKind::kRoot) o["parent"] = ch.states[s.parent].id;
    if (!s.invokes.empty()) o["invokes"] = s.invokes.front().type;
    states.push_back(std::move(o));
  }
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  for (const auto& t : ch.transitions) {
    for (int target : t.targets) {
      std::string ev;
      for (const auto& e : t.events) ev += (ev.empty() ? "" : " ") + e;
      if (seen.insert({ch.states[t.source].id, ch.states[target].id, ev}).second) {
        transitions.push_back(json::object{{"from", ch.states[t.source].id}, {"to", ch.states[target].id},
                                           {"events", ev}});
      }
    }
  }
  return Json(200, json::object{{"name", ch.name}, {"version", ch.hash.substr(0, 12)}, {"states", std::move(states)},
                                {"transitions", std::move(transitions)}});
}

http::Response Api::Import(const Caller& c, const http::Request& r) {
  if (!app::IsOffice(c.user)) return JsonError(403, "forbidden", "imports are the education office's");
  if (!p_.uploads) return JsonError(404, "not_found", "this server takes no imports");
  if (r.body_file.empty()) return JsonError(400, "invalid", "send the extract (FREG JSON or XML) as the request body");
  // The server removes the body's file after the answer: the importer gets
  // it under a name of its own, in the same private folder.
  static std::atomic<uint64_t> n{0};
  const std::string queued = r.body_file + ".queued-" + std::to_string(++n);
  std::error_code ec;
  std::filesystem::rename(r.body_file, queued, ec);
  if (ec) return FromError(Error{ErrorCode::kUnavailable, "cannot keep the upload for its import: " + ec.message()});
  if (!p_.uploads->Request({queued, c.Actor(), c.user.name, Query(r.target)["skip_invalid"] == "1"})) {
    std::filesystem::remove(queued, ec);
    return JsonError(409, "conflict", "an extract is being imported; wait for it to finish");
  }
  return Json(202, json::object{{"queued", true}, {"status", "/api/v1/imports/run"}});
}

std::string ImportUpload(const UploadImports::Upload& u, const app::Settings& settings, app::ExtractOpener& opener,
                         app::PersonStore& persons, app::CaseEngine& engine, app::Clock& clock) {
  auto refused = [](const Error& e) {
    const int status = HttpStatusFor(e.code);
    return json::serialize(json::object{
        {"error", status >= 500 && status != 503 ? std::string("something went wrong on the server") : e.message},
        {"status", status}});
  };
  app::ImportOptions options;
  options.municipality = settings.municipality.number;
  options.max_reported_issues = 20;
  options.skip_invalid = u.skip_invalid;
  // As on the command line: one transaction, the file whole or not at all.
  auto summary = app::ImportExtracts({u.file}, options, opener, persons, clock);
  if (!summary) return refused(summary.error());
  int reached = 0;
  if (summary->import_id != 0) {  // as on the command line: after every import
    auto n = engine.ApplyProtectionChanges(summary->import_id);
    if (!n) return refused(n.error().WithContext("the import is kept; applying its protection changes"));
    reached = *n;
  }
  const std::string what = summary->import_id == 0
                               ? "uploaded a register extract imported before (import " +
                                     std::to_string(summary->files.front().already_imported_as) + ")"
                               : "imported a register extract (import " + std::to_string(summary->import_id) + ": " +
                                     std::to_string(summary->counts.records) + " records)";
  if (auto st = engine.RecordAudit(0, u.actor, "action", what); !st) return refused(st.error());
  json::object changes;
  for (const auto& [k, v] : summary->changes) changes[k] = v;
  json::array issues;
  for (const auto& i : summary->issues) {
    issues.push_back(json::object{{"record", i.record}, {"line", i.line}, {"field", i.field}, {"message", i.message}});
  }
  const auto& f = summary->files.front();
  return json::serialize(json::object{
      {"import_id", summary->import_id}, {"format", f.format}, {"bytes", f.bytes}, {"sha256", f.sha256},
      {"already_imported_as", f.already_imported_as}, {"records", summary->counts.records},
      {"new", summary->counts.new_persons}, {"changed", summary->counts.changed},
      {"unchanged", summary->counts.unchanged}, {"skipped", summary->counts.skipped},
      {"changes", std::move(changes)}, {"issues", std::move(issues)}, {"issues_total", summary->issues_total},
      {"protected_cases_reached", reached}, {"by", u.by}});
}

bool UploadImports::Request(Upload u) {
  std::lock_guard<std::mutex> lock(mu_);
  if (queued_ || running_) return false;
  queued_ = std::move(u);
  cv_.notify_all();
  return true;
}

std::optional<UploadImports::Upload> UploadImports::Take(const std::atomic<bool>& stop) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return stop || queued_.has_value(); });
  if (stop) return std::nullopt;
  std::optional<Upload> u = std::move(queued_);
  queued_.reset();
  running_ = true;
  return u;
}

void UploadImports::Finished(const std::string& summary_json) {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = false;
  last_ = summary_json;
}

void UploadImports::Notify() {
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

std::string UploadImports::StatusJson() {
  std::lock_guard<std::mutex> lock(mu_);
  json::object o{{"running", running_ || queued_.has_value()}};
  if (!last_.empty()) {
    boost::system::error_code ec;
    o["last"] = json::parse(last_, ec);
  }
  return json::serialize(o);
}

http::Response Api::Imports(const Caller& c) {
  auto list = p_.queries.Imports(c.user);
  if (!list) return FromError(list.error());
  json::array out;
  for (const auto& i : *list) {
    out.push_back(json::object{{"id", i.id}, {"started_at", i.started_at}, {"finished_at", i.finished_at},
                               {"records", i.counts.records}, {"new", i.counts.new_persons},
                               {"changed", i.counts.changed}, {"unchanged", i.counts.unchanged}});
  }
  return Json(200, json::object{{"imports", std::move(out)}});
}

http::Response Api::StartIntake(const Caller& c, const http::Request& r) {
  auto body = Body(r);
  if (!body) return FromError(body.error());
  const auto* y = body->if_contains("school_year");
  if (!y || !y->is_int64() || y->as_int64() < 2000 || y->as_int64() > 2200) {
    return JsonError(400, "invalid", "school_year: the year Y of school year Y/Y+1");
  }
  if (!p_.intake->Request(static_cast<int>(y->as_int64()))) {
    return JsonError(409, "conflict", "an intake is running; wait for it to finish");
  }
  if (p_.wake_worker) p_.wake_worker();
  if (auto st = p_.engine.RecordAudit(0, c.Actor(), "action",
                                      "started the intake for school year " + std::to_string(y->as_int64()));
      !st) {
    return FromError(st.error());
  }
  return Json(202, json::object{{"started", true}, {"school_year", y->as_int64()}});
}

bool IntakeRuns::Request(int school_year) {
  std::lock_guard<std::mutex> lock(mu_);
  if (requested_ || running_) return false;
  requested_ = school_year;
  done_ = total_ = 0;
  return true;
}

int IntakeRuns::Take() {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = requested_;
  requested_ = 0;
  return running_;
}

void IntakeRuns::Progress(int done, int total) {
  std::lock_guard<std::mutex> lock(mu_);
  done_ = done;
  total_ = total;
}

void IntakeRuns::Finished(const std::string& summary_json) {
  std::lock_guard<std::mutex> lock(mu_);
  running_ = 0;
  last_ = summary_json;
}

std::string IntakeRuns::StatusJson() {
  std::lock_guard<std::mutex> lock(mu_);
  json::object o{{"running", running_ != 0 || requested_ != 0}, {"school_year", running_ ? running_ : requested_},
                 {"done", done_}, {"total", total_}};
  if (!last_.empty()) {
    boost::system::error_code ec;
    o["last"] = json::parse(last_, ec);
  }
  return json::serialize(o);
}

void Api::FlushUsage() {
  auto active = sessions_.TakeActiveTime();
  const std::string day = Day(p_.now_text());
  for (const auto& [name, ms] : active) {
    if (ms <= 0) continue;
    auto u = p_.users.Find(name);
    const std::string role = u && *u ? app::RoleName((*u)->role) : "unknown";
    (void)p_.users.AddActiveTime(name, role, day, ms);
  }
}

}  // namespace enrol::web
