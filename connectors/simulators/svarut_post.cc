#include "connectors/simulators/svarut_post.h"

#include <chrono>
#include <random>
#include <vector>

#include <boost/json.hpp>

#include "engine/net/multipart.h"
#include "engine/core/sha256.h"
#include "engine/sql/sqlite.h"

namespace enrol::sim {
namespace json = boost::json;
using sql::Statement;

namespace {

constexpr size_t kMaxBody = 64 * 1024 * 1024;

http::Response Reply(int status, const json::value& body) {
  http::Response r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = json::serialize(body);
  return r;
}
http::Response Problem(int status, const std::string& message) {
  return Reply(status, json::object{{"status", status}, {"error", status == 404 ? "Not Found" : "Bad Request"},
                                    {"message", message}, {"errorCode", "SIMULATOR"}});
}

std::string NewId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const std::string hex = core::Sha256Hex(std::to_string(rng()) + std::to_string(rng()));
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-4" + hex.substr(13, 3) + "-a" + hex.substr(17, 3) + "-" +
         hex.substr(20, 12);
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The status after `steps` steps.
std::string StatusAfter(int64_t steps, bool digital) {
  if (steps <= 0) return "MOTTATT";
  if (steps == 1) return "AKSEPTERT";
  if (!digital) return "IKKE_LEVERT";
  return steps == 2 ? "LEVERT_SDP" : "LEST";
}

}  // namespace

struct SvarUtPost::Impl {
  SvarUtOptions o;
  std::unique_ptr<sql::Database> db;

  Status Init() {
    ENROL_ASSIGN_OR_RETURN(db, sql::Database::Open(o.db_path.empty() ? ":memory:" : o.db_path));
    return db->Exec(
        "CREATE TABLE IF NOT EXISTS forsendelser(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, konto TEXT NOT NULL,"
        " eksternref TEXT NOT NULL, body TEXT NOT NULL, files INTEGER NOT NULL, bytes INTEGER NOT NULL,"
        " digital INTEGER NOT NULL, polls INTEGER NOT NULL, sent_ms INTEGER NOT NULL DEFAULT 0);"
        "CREATE INDEX IF NOT EXISTS forsendelser_ref ON forsendelser(konto, eksternref);"
        "CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);");
  }

  bool Digital(const std::string& digital_id) const {
    const std::string h = core::Sha256Hex("svarut-krr\n" + digital_id);
    const double unit = static_cast<double>(std::stoul(h.substr(0, 6), nullptr, 16)) / 16777216.0;
    return unit >= o.undeliverable_share;
  }

  Result<http::Response> Send(const std::string& konto, const http::Request& r) {
    auto parts = http::ParseMultipart(r.Header("content-type"), r.body);
    if (!parts) return Problem(400, parts.error().message);
    const http::Part* forsendelse = nullptr;
    std::vector<const http::Part*> files;
    for (const http::Part& p : *parts) {
      if (p.name == "forsendelse") {
        forsendelse = &p;
      } else if (p.name == "filer") {
        files.push_back(&p);
      } else {
        return Problem(400, "unknown part '" + p.name + "' (forsendelse, filer)");
      }
    }
    if (!forsendelse) return Problem(400, "no part named 'forsendelse'");
    boost::system::error_code ec;
    json::value v = json::parse(forsendelse->body, ec);
    if (ec || !v.is_object()) return Problem(400, "the forsendelse part is not a JSON object");
    const json::object& f = v.get_object();
    const json::value* tittel = f.if_contains("tittel");
    if (!tittel || !tittel->is_string() || tittel->get_string().empty()) return Problem(400, "tittel is required");
    const json::value* mottaker = f.if_contains("mottaker");
    const json::value* navn = mottaker && mottaker->is_object() ? mottaker->get_object().if_contains("navn") : nullptr;
    if (!navn || !navn->is_string() || navn->get_string().empty()) return Problem(400, "mottaker.navn is required");
    const json::value* docs = f.if_contains("dokumenter");
    if (!docs || !docs->is_array() || docs->get_array().size() != files.size() || files.empty()) {
      return Problem(400, "dokumenter must describe each file part, in order");
    }
    int64_t bytes = 0;
    for (size_t i = 0; i < files.size(); ++i) {
      const json::value& d = docs->get_array()[i];
      const json::value* name = d.is_object() ? d.get_object().if_contains("filnavn") : nullptr;
      const json::value* mime = d.is_object() ? d.get_object().if_contains("mimeType") : nullptr;
      if (!name || !mime || !name->is_string() || name->get_string() != files[i]->filename) {
        return Problem(400, "dokumenter[" + std::to_string(i) + "].filnavn is not the file part's name");
      }
      if (*mime != "application/pdf" || files[i]->body.rfind("%PDF", 0) != 0) {
        return Problem(400, "dokumenter[" + std::to_string(i) + "] must be a PDF (application/pdf)");
      }
      bytes += static_cast<int64_t>(files[i]->body.size());
    }
    std::string ref;
    if (const json::value* e = f.if_contains("eksternReferanse"); e && e->is_string()) ref = std::string(e->get_string());
    std::string digital_id;
    if (const json::value* d = mottaker->get_object().if_contains("digitalId"); d && d->is_string()) {
      digital_id = std::string(d->get_string());
    }
    const std::string id = NewId();
    ENROL_ASSIGN_OR_RETURN(Statement s, db->Prepare(
        "INSERT INTO forsendelser(id, konto, eksternref, body, files, bytes, digital, polls, sent_ms) "
        "VALUES(?,?,?,?,?,?,?,0,?)"));
    ENROL_RETURN_IF_ERROR(s.Bind(1, id).Bind(2, konto).Bind(3, ref).Bind(4, json::serialize(f))
                              .Bind(5, static_cast<int64_t>(files.size())).Bind(6, bytes)
                              .Bind(7, static_cast<int64_t>(!digital_id.empty() && Digital(digital_id)))
                              .Bind(8, NowMs()).Run());
    return Reply(200, json::object{{"id", id}});
  }

  Result<http::Response> ByRef(const std::string& konto, const std::string& ref) {
    ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare("SELECT id FROM forsendelser WHERE konto=? AND eksternref=? ORDER BY seq"));
    q.Bind(1, konto).Bind(2, ref);
    json::array ids;
    for (;;) {
      ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) break;
      ids.push_back(json::string(q.ColumnText(0)));
    }
    return Reply(200, json::object{{"forsendelseIds", std::move(ids)}});
  }

  Result<http::Response> StatusSok(const std::string& konto, const http::Request& r) {
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    const json::value* ids = !ec && v.is_object() ? v.get_object().if_contains("forsendelseIds") : nullptr;
    if (!ids || !ids->is_array()) return Problem(400, "forsendelseIds is required");
    if (ids->get_array().size() > 1000) return Problem(400, "at most 1000 forsendelseIds at once");
    json::array statuser;
    for (const auto& idv : ids->get_array()) {
      if (!idv.is_string()) return Problem(400, "forsendelseIds holds an id that is not a string");
      const std::string id(idv.get_string());
      ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare(
          "UPDATE forsendelser SET polls=polls+1 WHERE id=? AND konto=? RETURNING polls - 1, digital, sent_ms"));
      q.Bind(1, id).Bind(2, konto);
      ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) continue;  // not this account's: not shown
      // A step per search, or per status_step_ms since it was sent.
      const int64_t steps = o.status_step_ms > 0 ? (NowMs() - q.ColumnInt(2)) / o.status_step_ms : q.ColumnInt(0);
      statuser.push_back(json::object{{"id", id}, {"status", StatusAfter(steps, q.ColumnInt(1) != 0)},
                                      {"sisteStatusEndring", "2027-03-01T09:00:00Z"}});
    }
    return Reply(200, json::object{{"statuser", std::move(statuser)}});
  }

  Result<http::Response> Route(const http::Request& r) {
    if (r.body.size() > kMaxBody) return Problem(413, "the body is larger than 64 MB");
    const std::string path = r.target.substr(0, r.target.find('?'));
    if (path == "/svarut/inspect" && r.method == "GET") {
      ENROL_ASSIGN_OR_RETURN(auto c, Counts());
      json::object o;
      for (const auto& [k, n] : c) o[k] = n;
      return Reply(200, o);
    }
    const std::string prefix = "/api/v2/kontoer/";
    if (path.rfind(prefix, 0) != 0) return Problem(404, "no such resource: " + path);
    const std::string rest = path.substr(prefix.size());
    const size_t slash = rest.find('/');
    const std::string konto = rest.substr(0, slash);
    const std::string tail = slash == std::string::npos ? "" : rest.substr(slash);
    if (konto.empty() || konto.size() > 64) return Problem(404, "no such account");
    if (tail == "/forsendelser" || tail == "/forsendelser/") {
      if (r.method == "POST") return Send(konto, r);
      if (r.method == "GET") {
        const size_t q = r.target.find("eksternRef=");
        if (q == std::string::npos) return Problem(400, "eksternRef is required");
        std::string ref = r.target.substr(q + 11);
        ref = http::UrlDecode(ref.substr(0, ref.find('&')));
        return ByRef(konto, ref);
      }
      return Problem(405, "GET or POST");
    }
    if (tail == "/forsendelser/status-sok" && r.method == "POST") return StatusSok(konto, r);
    return Problem(404, "no such resource: " + path);
  }

  Result<std::map<std::string, int64_t>> Counts() {
    std::map<std::string, int64_t> out;
    ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare(
        "SELECT COUNT(*), COUNT(DISTINCT eksternref), SUM(digital = 0) FROM forsendelser"));
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row) {
      out["forsendelser"] = q.ColumnInt(0);
      out["eksternrefs"] = q.ColumnInt(1);
      out["undeliverable"] = q.ColumnInt(2);
    }
    return out;
  }
};

Result<std::unique_ptr<SvarUtPost>> SvarUtPost::Open(const SvarUtOptions& options) {
  if (!(options.undeliverable_share >= 0 && options.undeliverable_share <= 1)) {
    return InvalidArgument("the undeliverable share must be from 0 to 1");
  }
  std::unique_ptr<SvarUtPost> s(new SvarUtPost());
  s->impl_ = std::make_unique<Impl>();
  s->impl_->o = options;
  ENROL_RETURN_IF_ERROR(s->impl_->Init());
  return s;
}

SvarUtPost::~SvarUtPost() = default;

http::Response SvarUtPost::Handle(const http::Request& request) {
  std::lock_guard<std::mutex> lock(mu_);
  auto tx = sql::Transaction::Begin(*impl_->db);
  if (!tx) return Problem(503, "the service's store is busy");
  Result<http::Response> r = impl_->Route(request);
  if (!r) return Problem(500, "the service failed: " + r.error().message);
  if (r->status < 400) {
    if (auto st = tx->Commit(); !st) return Problem(503, "the service could not store it");
  }
  return std::move(*r);
}

uint64_t SvarUtPost::NextRequestNumber() {
  std::lock_guard<std::mutex> lock(mu_);
  auto s = impl_->db->Prepare(
      "INSERT INTO counters(name, value) VALUES('requests', 1) ON CONFLICT(name) DO UPDATE SET value=value+1 RETURNING value");
  if (!s) return 0;
  auto row = s->Step();
  return row && *row ? static_cast<uint64_t>(s->ColumnInt(0) - 1) : 0;
}

Result<std::map<std::string, int64_t>> SvarUtPost::Counts() {
  std::lock_guard<std::mutex> lock(mu_);
  return impl_->Counts();
}

}  // namespace enrol::sim
