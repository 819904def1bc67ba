#include "connectors/simulators/oneroster_sis.h"

#include <set>
#include <vector>

#include <boost/json.hpp>

#include "engine/sql/sqlite.h"

namespace enrol::sim {
namespace json = boost::json;
using sql::Statement;

namespace {

constexpr const char* kBase = "/ims/oneroster/rostering/v1p2";
constexpr size_t kMaxBody = 1024 * 1024;

struct Collection {
  const char* name;      // "users"
  const char* single;    // "user"
  std::vector<const char*> required;
};
const std::vector<Collection>& Collections() {
  static const std::vector<Collection> c = {
      {"academicSessions", "academicSession", {"title", "startDate", "endDate", "type", "schoolYear"}},
      {"orgs", "org", {"name", "type", "identifier"}},
      {"courses", "course", {"title", "courseCode"}},
      {"classes", "class", {"title", "course", "school", "terms"}},
      {"users", "user", {"enabledUser", "givenName", "familyName", "roles"}},
      {"enrollments", "enrollment", {"user", "class", "school", "role"}},
  };
  return c;
}
const Collection* Find(const std::string& name) {
  for (const Collection& c : Collections()) {
    if (name == c.name) return &c;
  }
  return nullptr;
}
// The collection a GUIDRef's type lives in.
const char* CollectionOf(const std::string& type) {
  static const std::map<std::string, const char*> m = {{"org", "orgs"}, {"user", "users"}, {"class", "classes"},
                                                       {"course", "courses"}, {"academicSession", "academicSessions"}};
  auto it = m.find(type);
  return it == m.end() ? nullptr : it->second;
}

http::Response Reply(int status, const json::value& body) {
  http::Response r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = json::serialize(body);
  return r;
}
// imsx_StatusInfo, the OneRoster error shape.
http::Response ImsxError(int status, const std::string& minor, const std::string& what) {
  return Reply(status, json::object{{"imsx_codeMajor", "failure"}, {"imsx_severity", "error"},
                                    {"imsx_description", what},
                                    {"imsx_CodeMinor", json::object{{"imsx_codeMinorField",
                                                                     json::array{json::object{{"imsx_codeMinorFieldName", "TargetEndSystem"},
                                                                                              {"imsx_codeMinorFieldValue", minor}}}}}}});
}

}  // namespace

struct OneRosterSis::Impl {
  std::unique_ptr<sql::Database> db;

  Status Init(const std::string& path) {
    ENROL_ASSIGN_OR_RETURN(db, sql::Database::Open(path.empty() ? ":memory:" : path));
    return db->Exec(
        "CREATE TABLE IF NOT EXISTS objects(seq INTEGER PRIMARY KEY, collection TEXT NOT NULL, sourced_id TEXT NOT NULL,"
        " body TEXT NOT NULL, versions INTEGER NOT NULL, puts INTEGER NOT NULL, UNIQUE(collection, sourced_id));"
        "CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);");
  }

  Result<std::optional<json::object>> Get(const std::string& collection, const std::string& id) {
    ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare("SELECT body FROM objects WHERE collection=? AND sourced_id=?"));
    q.Bind(1, collection).Bind(2, id);
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) return std::optional<json::object>();
    return std::optional<json::object>(json::parse(q.ColumnView(0)).as_object());
  }

  // "" when every GUIDRef in `v` names an object it holds, else what is wrong.
  Result<std::string> CheckRefs(const json::value& v, const std::string& self) {
    if (v.is_array()) {
      for (const auto& e : v.get_array()) {
        ENROL_ASSIGN_OR_RETURN(std::string why, CheckRefs(e, self));
        if (!why.empty()) return why;
      }
      return std::string();
    }
    if (!v.is_object()) return std::string();
    const json::object& o = v.get_object();
    const json::value* sid = o.if_contains("sourcedId");
    const json::value* type = o.if_contains("type");
    if (sid && type && o.contains("href") && sid->is_string() && type->is_string()) {
      const char* coll = CollectionOf(std::string(type->get_string()));
      if (!coll) return "a reference of unknown type '" + std::string(type->get_string()) + "'";
      const std::string id(sid->get_string());
      if (id == self) return std::string();
      ENROL_ASSIGN_OR_RETURN(auto found, Get(coll, id));
      if (!found) return std::string("a reference to ") + coll + "/" + id + ", which this system does not hold";
      return std::string();
    }
    for (const auto& kv : o) {
      ENROL_ASSIGN_OR_RETURN(std::string why, CheckRefs(kv.value(), self));
      if (!why.empty()) return why;
    }
    return std::string();
  }

  Result<http::Response> Put(const Collection& c, const std::string& id, const http::Request& r) {
    if (r.Header("content-type").rfind("application/json", 0) != 0) {
      return ImsxError(415, "invalid_data", "send Content-Type: application/json");
    }
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) return ImsxError(400, "invalid_data", "the body must be a JSON object");
    const json::value* inner = v.get_object().if_contains(c.single);
    if (!inner || !inner->is_object() || v.get_object().size() != 1) {
      return ImsxError(400, "invalid_data", std::string("the body must be {\"") + c.single + "\": {...}}");
    }
    const json::object& o = inner->get_object();
    const json::value* sid = o.if_contains("sourcedId");
    if (!sid || !sid->is_string() || sid->get_string() != id) {
      return ImsxError(400, "invalid_data", "the body's sourcedId is not the one in the URL");
    }
    for (const char* f : {"status", "dateLastModified"}) {
      if (!o.contains(f)) return ImsxError(400, "invalid_data", std::string(f) + " is required");
    }
    for (const char* f : c.required) {
      if (!o.contains(f)) return ImsxError(400, "invalid_data", std::string(f) + " is required");
    }
    const json::value& status = o.at("status");
    if (status != "active" && status != "tobedeleted") return ImsxError(400, "invalid_data", "status must be active or tobedeleted");
    ENROL_ASSIGN_OR_RETURN(std::string why, CheckRefs(*inner, id));
    if (!why.empty()) return ImsxError(422, "unknown_object", why);
    ENROL_ASSIGN_OR_RETURN(auto existing, Get(c.name, id));
    const std::string body = json::serialize(o);
    if (existing && json::serialize(*existing) == body) {
      ENROL_ASSIGN_OR_RETURN(Statement u, db->Prepare("UPDATE objects SET puts=puts+1 WHERE collection=? AND sourced_id=?"));
      ENROL_RETURN_IF_ERROR(u.Bind(1, std::string(c.name)).Bind(2, id).Run());
      return Reply(200, json::object{{c.single, o}});
    }
    ENROL_ASSIGN_OR_RETURN(Statement s, db->Prepare(
        "INSERT INTO objects(collection, sourced_id, body, versions, puts) VALUES(?,?,?,1,1) "
        "ON CONFLICT(collection, sourced_id) DO UPDATE SET body=excluded.body, versions=versions+1, puts=puts+1"));
    ENROL_RETURN_IF_ERROR(s.Bind(1, std::string(c.name)).Bind(2, id).Bind(3, body).Run());
    return Reply(existing ? 200 : 201, json::object{{c.single, o}});
  }

  Result<http::Response> List(const Collection& c, const std::map<std::string, std::string>& query,
                              const std::string& self) {
    int64_t limit = 100, offset = 0;
    auto number = [&](const char* key, int64_t lo, int64_t& out) -> bool {
      auto it = query.find(key);
      if (it == query.end()) return true;
      if (it->second.empty() || it->second.size() > 9 || it->second.find_first_not_of("0123456789") != std::string::npos) {
        return false;
      }
      out = std::stoll(it->second);
      return out >= lo;
    };
    if (!number("limit", 1, limit)) return ImsxError(400, "invalid_selection_field", "limit must be a whole number of 1 or more");
    if (!number("offset", 0, offset)) return ImsxError(400, "invalid_selection_field", "offset must be a whole number");
    limit = std::min<int64_t>(limit, 1000);
    ENROL_ASSIGN_OR_RETURN(Statement n, db->Prepare("SELECT COUNT(*) FROM objects WHERE collection=?"));
    n.Bind(1, std::string(c.name));
    ENROL_ASSIGN_OR_RETURN(bool row, n.Step());
    const int64_t total = row ? n.ColumnInt(0) : 0;
    ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare(
        "SELECT body FROM objects WHERE collection=? ORDER BY sourced_id LIMIT ? OFFSET ?"));
    q.Bind(1, std::string(c.name)).Bind(2, limit).Bind(3, offset);
    json::array items;
    for (;;) {
      ENROL_ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      items.push_back(json::parse(q.ColumnView(0)));
    }
    http::Response res = Reply(200, json::object{{c.name, std::move(items)}});
    res.headers["x-total-count"] = std::to_string(total);
    auto link = [&](int64_t off, const char* rel) {
      return "<" + self + "?limit=" + std::to_string(limit) + "&offset=" + std::to_string(off) + ">; rel=\"" + rel + "\"";
    };
    std::string links = link(0, "first");
    const int64_t last = total == 0 ? 0 : ((total - 1) / limit) * limit;
    links += ", " + link(last, "last");
    if (offset + limit < total) links += ", " + link(offset + limit, "next");
    if (offset > 0) links += ", " + link(std::max<int64_t>(0, offset - limit), "prev");
    res.headers["link"] = links;
    return res;
  }

  Result<http::Response> Inspect() {
    ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare(
        "SELECT collection, sourced_id, versions, puts, body->>'status' FROM objects ORDER BY seq"));
    json::array objects;
    json::object counts;
    for (const Collection& c : Collections()) counts[c.name] = 0;
    for (;;) {
      ENROL_ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      counts[q.ColumnText(0)] = counts[q.ColumnText(0)].as_int64() + 1;
      objects.push_back(json::object{{"collection", q.ColumnText(0)}, {"sourcedId", q.ColumnText(1)},
                                     {"versions", q.ColumnInt(2)}, {"puts", q.ColumnInt(3)}, {"status", q.ColumnText(4)}});
    }
    return Reply(200, json::object{{"counts", std::move(counts)}, {"objects", std::move(objects)}});
  }

  Result<http::Response> Route(const http::Request& r) {
    if (r.body.size() > kMaxBody) return ImsxError(413, "invalid_data", "the body is larger than 1 MB");
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (path == "/sis/inspect" && r.method == "GET") return Inspect();
    const std::string base = kBase;
    if (path.rfind(base + "/", 0) != 0) return ImsxError(404, "unknown_object", "no such resource: " + path);
    const std::string rest = path.substr(base.size() + 1);
    const size_t slash = rest.find('/');
    const Collection* c = Find(rest.substr(0, slash));
    if (!c) return ImsxError(404, "unknown_object", "no such collection: " + rest.substr(0, slash));
    std::map<std::string, std::string> query;
    if (const size_t q = r.target.find('?'); q != std::string::npos) {
      const std::string qs = r.target.substr(q + 1);
      for (size_t a = 0; a <= qs.size();) {
        size_t b = qs.find('&', a);
        if (b == std::string::npos) b = qs.size();
        const std::string pair = qs.substr(a, b - a);
        const size_t eq = pair.find('=');
        if (!pair.empty()) query[http::UrlDecode(pair.substr(0, eq))] = eq == std::string::npos ? "" : http::UrlDecode(pair.substr(eq + 1));
        a = b + 1;
      }
    }
    if (slash == std::string::npos) {
      if (r.method != "GET") return ImsxError(405, "invalid_data", "GET only");
      const std::string host = r.Header("host").empty() ? "localhost" : r.Header("host");
      return List(*c, query, "http://" + host + path);
    }
    const std::string id = http::UrlDecode(rest.substr(slash + 1));
    if (id.empty() || id.size() > 256 || id.find('/') != std::string::npos) {
      return ImsxError(404, "unknown_object", "no such resource: " + path);
    }
    if (r.method == "PUT") return Put(*c, id, r);
    if (r.method != "GET") return ImsxError(405, "invalid_data", "GET or PUT");
    ENROL_ASSIGN_OR_RETURN(auto o, Get(c->name, id));
    if (!o) return ImsxError(404, "unknown_object", std::string("no ") + c->single + " " + id);
    return Reply(200, json::object{{c->single, std::move(*o)}});
  }
};

Result<std::unique_ptr<OneRosterSis>> OneRosterSis::Open(const std::string& db_path) {
  std::unique_ptr<OneRosterSis> s(new OneRosterSis());
  s->impl_ = std::make_unique<Impl>();
  ENROL_RETURN_IF_ERROR(s->impl_->Init(db_path));
  return s;
}

OneRosterSis::~OneRosterSis() = default;

http::Response OneRosterSis::Handle(const http::Request& request) {
  std::lock_guard<std::mutex> lock(mu_);
  auto tx = sql::Transaction::Begin(*impl_->db);
  if (!tx) return ImsxError(503, "server_busy", "the student system's store is busy");
  Result<http::Response> r = impl_->Route(request);
  if (!r) return ImsxError(500, "internal_server_error", "the student system failed: " + r.error().message);
  if (r->status < 400) {
    if (auto st = tx->Commit(); !st) return ImsxError(503, "server_busy", "the student system could not store it");
  }
  return std::move(*r);
}

uint64_t OneRosterSis::NextRequestNumber() {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = impl_->db->Prepare(
      "INSERT INTO counters(name, value) VALUES('requests', 1) ON CONFLICT(name) DO UPDATE SET value=value+1 RETURNING value");
  if (!s) return 0;
  auto row = s->Step();
  return row && *row ? static_cast<uint64_t>(s->ColumnInt(0) - 1) : 0;
}

Result<std::map<std::string, int64_t>> OneRosterSis::Counts() {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int64_t> out;
  ENROL_ASSIGN_OR_RETURN(Statement q, impl_->db->Prepare("SELECT collection, COUNT(*) FROM objects GROUP BY collection"));
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out[q.ColumnText(0)] = q.ColumnInt(1);
  }
  return out;
}

}  // namespace enrol::sim
