#include "connectors/simulators/noark5_archive.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <ctime>
#include <random>
#include <thread>

#include <boost/json.hpp>

#include "engine/net/multipart.h"
#include "connectors/simulators/fiks_arkiv_messages.h"
#include "engine/core/sha256.h"
#include "engine/sql/sqlite.h"

namespace enrol::sim {
namespace json = boost::json;
using sql::Statement;

namespace {

constexpr const char* kRel = "https://rel.arkivverket.no/noark5/v5/api/";
constexpr const char* kMediaType = "application/vnd.noark5+json";
constexpr const char* kPrefix = "/noark5v5";
constexpr size_t kMaxBody = 64 * 1024 * 1024;
constexpr const char* kKeyField = "vnd-enrol-v1:noekkel";

// The kinds of object it holds, the rel prefix of each, and what may be
// created under it.
struct Kind {
  const char* name;
  const char* area;  // "arkivstruktur/" or "sakarkiv/"
  std::vector<std::string> children;
};
const std::vector<Kind>& Kinds() {
  static const std::vector<Kind> kinds = {
      {"arkivdel", "arkivstruktur/", {"saksmappe"}},
      {"saksmappe", "sakarkiv/", {"journalpost"}},
      {"journalpost", "sakarkiv/", {"korrespondansepartperson", "dokumentbeskrivelse"}},
      {"korrespondansepartperson", "arkivstruktur/", {}},
      {"dokumentbeskrivelse", "arkivstruktur/", {"dokumentobjekt"}},
      {"dokumentobjekt", "arkivstruktur/", {}},
  };
  return kinds;
}
const Kind* FindKind(const std::string& name) {
  for (const Kind& k : Kinds()) {
    if (name == k.name) return &k;
  }
  return nullptr;
}

std::string Rel(const Kind& k) { return std::string(kRel) + k.area + k.name + "/"; }
std::string NewRel(const Kind& k) { return std::string(kRel) + k.area + "ny-" + k.name + "/"; }

http::Response Reply(int status, const json::value& body) {
  http::Response r;
  r.status = status;
  r.headers["content-type"] = kMediaType;
  r.body = json::serialize(body);
  return r;
}
http::Response Feil(int status, const std::string& what) {
  return Reply(status, json::object{{"feil", json::object{{"kode", status}, {"beskrivelse", what}}}});
}

std::string NowIso() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
int Year() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  return tm.tm_year + 1900;
}

// Splits "a/b/c?q" into segments and the query.
struct Target {
  std::vector<std::string> segments;
  std::map<std::string, std::string> query;
};
Target ParseTarget(const std::string& target) {
  Target t;
  const size_t q = target.find('?');
  const std::string path = target.substr(0, q);
  size_t i = 0;
  while (i < path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) t.segments.push_back(http::UrlDecode(path.substr(i, j - i)));
    i = j + 1;
  }
  if (q != std::string::npos) {
    const std::string query = target.substr(q + 1);
    size_t a = 0;
    while (a <= query.size()) {
      size_t b = query.find('&', a);
      if (b == std::string::npos) b = query.size();
      const std::string pair = query.substr(a, b - a);
      const size_t eq = pair.find('=');
      if (!pair.empty()) {
        t.query[http::UrlDecode(pair.substr(0, eq))] = eq == std::string::npos ? "" : http::UrlDecode(pair.substr(eq + 1));
      }
      a = b + 1;
    }
  }
  return t;
}

// "$filter=<field> eq '<value>'" ('' inside the quotes is one quote).
struct Filter {
  std::string field, value;
};
Result<std::optional<Filter>> ParseFilter(const std::map<std::string, std::string>& query) {
  auto it = query.find("$filter");
  if (it == query.end()) return std::optional<Filter>();
  const std::string& f = it->second;
  const size_t eq = f.find(" eq '");
  if (eq == std::string::npos || eq == 0 || f.size() < eq + 6 || f.back() != '\'') {
    return InvalidArgument("only $filter=<field> eq '<value>' is supported, not: " + f);
  }
  Filter out;
  out.field = f.substr(0, eq);
  const std::string quoted = f.substr(eq + 5, f.size() - eq - 6);
  for (size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '\'') {
      if (i + 1 < quoted.size() && quoted[i + 1] == '\'') {
        out.value += '\'';
        ++i;
        continue;
      }
      return InvalidArgument("an unescaped quote in the $filter value");
    }
    out.value += quoted[i];
  }
  for (char c : out.field) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '_')) {
      return InvalidArgument("the $filter field is not a field name: " + out.field);
    }
  }
  return std::optional<Filter>(out);
}

bool Matches(const json::object& o, const Filter& f) {
  const json::value* v = nullptr;
  if (f.field.find(':') != std::string::npos) {
    if (const auto* vsm = o.if_contains("virksomhetsspesifikkeMetadata"); vsm && vsm->is_object()) {
      v = vsm->get_object().if_contains(f.field);
    }
  } else {
    v = o.if_contains(f.field);
  }
  if (!v) return false;
  if (v->is_string()) return v->get_string() == f.value;
  if (v->is_int64()) return std::to_string(v->get_int64()) == f.value;
  return false;
}

std::string NewUuid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  const uint64_t a = rng(), b = rng();
  unsigned char bytes[16];
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(a >> (8 * i));
  for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<unsigned char>(b >> (8 * i));
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x40);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
  const std::string hex = core::ToHex(bytes, 16);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

// A screening (skjerming) must be whole when it is given.
std::string CheckSkjerming(const json::object& o) {
  const json::value* s = o.if_contains("skjerming");
  if (!s) return "";
  if (!s->is_object()) return "skjerming must be an object";
  const json::object& so = s->get_object();
  const json::value* t = so.if_contains("tilgangsrestriksjon");
  if (!t || !t->is_object() || !t->get_object().if_contains("kode")) return "skjerming.tilgangsrestriksjon.kode is required";
  const json::value* h = so.if_contains("skjermingshjemmel");
  if (!h || !h->is_string() || h->get_string().empty()) return "skjerming.skjermingshjemmel is required";
  const json::value* m = so.if_contains("skjermingMetadata");
  if (!m || !m->is_array() || m->get_array().empty()) return "skjerming.skjermingMetadata needs at least one code";
  return "";
}

bool IsString(const json::object& o, const char* k) {
  const json::value* v = o.if_contains(k);
  return v && v->is_string() && !v->get_string().empty();
}

}  // namespace

struct Noark5Archive::Impl {
  std::unique_ptr<sql::Database> db;

  Status Init(const Noark5ArchiveOptions& o) {
    ENROL_ASSIGN_OR_RETURN(db, sql::Database::Open(o.db_path.empty() ? ":memory:" : o.db_path));
    ENROL_RETURN_IF_ERROR(db->Exec(
        "CREATE TABLE IF NOT EXISTS objects(seq INTEGER PRIMARY KEY, system_id TEXT NOT NULL UNIQUE,"
        " kind TEXT NOT NULL, parent TEXT NOT NULL, body TEXT NOT NULL, ext_key TEXT);"
        "CREATE INDEX IF NOT EXISTS objects_parent ON objects(parent, kind);"
        "CREATE INDEX IF NOT EXISTS objects_key ON objects(kind, ext_key);"
        "CREATE INDEX IF NOT EXISTS objects_kind ON objects(kind);"
        "CREATE TABLE IF NOT EXISTS files(system_id TEXT PRIMARY KEY, mime TEXT NOT NULL, content BLOB NOT NULL);"
        "CREATE TABLE IF NOT EXISTS counters(name TEXT PRIMARY KEY, value INTEGER NOT NULL);"));
    ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare("SELECT COUNT(*) FROM objects WHERE kind='arkivdel'"));
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (row && q.ColumnInt(0) == 0) {
      json::object a{{"systemID", NewUuid()}, {"tittel", o.arkivdel_title}, {"arkivdelstatus", json::object{{"kode", "A"}}},
                     {"opprettetDato", NowIso()}, {"opprettetAv", "enrol-simulator"}};
      ENROL_RETURN_IF_ERROR(Insert("arkivdel", "", a));
    }
    return {};
  }

  Status Insert(const std::string& kind, const std::string& parent, const json::object& body) {
    ENROL_ASSIGN_OR_RETURN(Statement s, db->Prepare(
        "INSERT INTO objects(system_id, kind, parent, body, ext_key) VALUES(?,?,?,?,?)"));
    s.Bind(1, std::string(body.at("systemID").get_string())).Bind(2, kind).Bind(3, parent).Bind(4, json::serialize(body));
    // The external key a client searches by, indexed (a search is not a scan).
    const json::value* vsm = body.if_contains("virksomhetsspesifikkeMetadata");
    const json::value* key = vsm && vsm->is_object() ? vsm->get_object().if_contains(kKeyField) : nullptr;
    if (key && key->is_string()) {
      s.Bind(5, std::string(key->get_string()));
    } else {
      s.BindNull(5);
    }
    return s.Run();
  }

  Result<int64_t> Next(const std::string& counter) {
    ENROL_ASSIGN_OR_RETURN(Statement s, db->Prepare(
        "INSERT INTO counters(name, value) VALUES(?, 1) ON CONFLICT(name) DO UPDATE SET value=value+1 RETURNING value"));
    s.Bind(1, counter);
    ENROL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return Internal("counter " + counter);
    return s.ColumnInt(0);
  }

  struct Object {
    std::string kind, parent;
    json::object body;
  };
  Result<std::optional<Object>> Find(const std::string& system_id) {
    ENROL_ASSIGN_OR_RETURN(Statement s, db->Prepare("SELECT kind, parent, body FROM objects WHERE system_id=?"));
    s.Bind(1, system_id);
    ENROL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return std::optional<Object>();
    Object o{s.ColumnText(0), s.ColumnText(1), json::parse(s.ColumnView(2)).as_object()};
    return std::optional<Object>(std::move(o));
  }
  // Objects of a kind (under a parent); with `key`, only those with that
  // external key.
  Result<std::vector<json::object>> List(const std::string& kind, const std::string* parent,
                                         const std::string* key = nullptr) {
    std::string sql = "SELECT body FROM objects WHERE kind=?1";
    if (parent) sql += " AND parent=?2";
    if (key) sql += " AND ext_key=?3";
    ENROL_ASSIGN_OR_RETURN(Statement s, db->Prepare(sql + " ORDER BY seq"));
    s.Bind(1, kind);
    if (parent) s.Bind(2, *parent);
    if (key) s.Bind(3, *key);
    std::vector<json::object> out;
    for (;;) {
      ENROL_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      out.push_back(json::parse(s.ColumnView(0)).as_object());
    }
    return out;
  }
  Result<bool> HasFile(const std::string& system_id) {
    ENROL_ASSIGN_OR_RETURN(Statement s, db->Prepare("SELECT 1 FROM files WHERE system_id=?"));
    s.Bind(1, system_id);
    return s.Step();
  }
  Status Delete(const std::string& system_id) {
    ENROL_ASSIGN_OR_RETURN(Statement kids, db->Prepare("SELECT system_id FROM objects WHERE parent=?"));
    kids.Bind(1, system_id);
    std::vector<std::string> ids;
    for (;;) {
      ENROL_ASSIGN_OR_RETURN(bool row, kids.Step());
      if (!row) break;
      ids.push_back(kids.ColumnText(0));
    }
    for (const auto& id : ids) ENROL_RETURN_IF_ERROR(Delete(id));
    ENROL_ASSIGN_OR_RETURN(Statement f, db->Prepare("DELETE FROM files WHERE system_id=?"));
    ENROL_RETURN_IF_ERROR(f.Bind(1, system_id).Run());
    ENROL_ASSIGN_OR_RETURN(Statement o, db->Prepare("DELETE FROM objects WHERE system_id=?"));
    return o.Bind(1, system_id).Run();
  }

  // The object as the API shows it: its fields and its `_links`.
  json::object Show(const std::string& base, const std::string& kind, json::object body) {
    const Kind* k = FindKind(kind);
    const std::string self = base + "/api/" + kind + "/" + std::string(body.at("systemID").get_string());
    json::object links;
    links["self"] = json::object{{"href", self}};
    links[Rel(*k)] = json::object{{"href", self}};
    for (const std::string& child : k->children) {
      const Kind* c = FindKind(child);
      links[NewRel(*c)] = json::object{{"href", self + "/ny-" + child}};
      links[Rel(*c)] = json::object{{"href", self + "/" + child + "{?$filter,$top,$skip}"}, {"templated", true}};
    }
    if (kind == "dokumentobjekt") {
      links[std::string(kRel) + "arkivstruktur/fil/"] = json::object{{"href", self + "/referanseFil"}};
    }
    body["_links"] = std::move(links);
    return body;
  }

  // Numbers a new object as the archive does (mappeID, journalpost numbers,
  // dokumentnummer, systemID) and keeps it.
  Status Store(const std::string& kind, const std::string& parent_id, json::object& o) {
    const int year = Year();
    if (kind == "saksmappe") {
      ENROL_ASSIGN_OR_RETURN(int64_t n, Next("saksmappe/" + std::to_string(year)));
      o["saksaar"] = year;
      o["sakssekvensnummer"] = n;
      o["mappeID"] = std::to_string(year) + "/" + std::to_string(n);
      if (!o.contains("saksstatus")) o["saksstatus"] = json::object{{"kode", "B"}};
      o["saksdato"] = NowIso().substr(0, 10);
    } else if (kind == "journalpost") {
      ENROL_ASSIGN_OR_RETURN(int64_t seq, Next("journalpost/" + std::to_string(year)));
      ENROL_ASSIGN_OR_RETURN(int64_t nr, Next("journalpostnummer/" + parent_id));
      o["journalaar"] = year;
      o["journalsekvensnummer"] = seq;
      o["journalpostnummer"] = nr;
      o["registreringsID"] = std::to_string(year) + "/" + std::to_string(seq);
      o["journaldato"] = NowIso().substr(0, 10);
      if (!o.contains("journalstatus")) o["journalstatus"] = json::object{{"kode", "J"}};
    } else if (kind == "dokumentbeskrivelse") {
      ENROL_ASSIGN_OR_RETURN(int64_t nr, Next("dokumentnummer/" + parent_id));
      o["dokumentnummer"] = nr;
    } else if (kind == "dokumentobjekt") {
      if (!o.contains("versjonsnummer")) o["versjonsnummer"] = 1;
    }
    o["systemID"] = NewUuid();
    o["opprettetDato"] = NowIso();
    o["opprettetAv"] = "enrol-simulator";
    return Insert(kind, parent_id, o);
  }

  Result<http::Response> Create(const std::string& base, const std::string& parent_id, const std::string& kind,
                                const http::Request& r) {
    if (r.Header("content-type").rfind(kMediaType, 0) != 0) {
      return Feil(415, std::string("send Content-Type: ") + kMediaType);
    }
    boost::system::error_code ec;
    json::value v = json::parse(r.body, ec);
    if (ec || !v.is_object()) return Feil(400, "the body must be a JSON object");
    json::object o = std::move(v.get_object());
    for (const char* server_field : {"systemID", "_links", "opprettetDato", "opprettetAv", "mappeID", "journalpostnummer",
                                     "journalsekvensnummer", "journalaar", "registreringsID", "dokumentnummer"}) {
      o.erase(server_field);
    }
    if (kind != "korrespondansepartperson" && kind != "dokumentobjekt" && !IsString(o, "tittel")) {
      return Feil(400, "tittel is required");
    }
    if (std::string why = CheckSkjerming(o); !why.empty()) return Feil(400, why);
    if (kind == "journalpost") {
      const json::value* type = o.if_contains("journalposttype");
      if (!type || !type->is_object() || !type->get_object().if_contains("kode")) {
        return Feil(400, "journalposttype.kode is required");
      }
    } else if (kind == "korrespondansepartperson") {
      if (!IsString(o, "navn")) return Feil(400, "navn is required");
      const json::value* t = o.if_contains("korrespondanseparttype");
      if (!t || !t->is_object() || !t->get_object().if_contains("kode")) {
        return Feil(400, "korrespondanseparttype.kode is required");
      }
    } else if (kind == "dokumentobjekt") {
      if (!IsString(o, "mimeType")) return Feil(400, "mimeType is required");
      const json::value* size = o.if_contains("filstoerrelse");
      if (!size || !size->is_int64() || size->get_int64() <= 0) return Feil(400, "filstoerrelse must be a positive number");
      if (!IsString(o, "sjekksum")) return Feil(400, "sjekksum is required");
      const json::value* alg = o.if_contains("sjekksumAlgoritme");
      if (!alg || *alg != "SHA-256") return Feil(400, "sjekksumAlgoritme must be SHA-256");
    }
    ENROL_RETURN_IF_ERROR(Store(kind, parent_id, o));
    http::Response res = Reply(201, Show(base, kind, o));
    res.headers["location"] = base + "/api/" + kind + "/" + std::string(o.at("systemID").get_string());
    return res;
  }

  Result<http::Response> Upload(const std::string& base, const std::string& id, const Object& obj,
                                const http::Request& r) {
    ENROL_ASSIGN_OR_RETURN(bool has, HasFile(id));
    if (has) return Feil(409, "the dokumentobjekt has a file already; a file is never overwritten");
    const std::string mime(obj.body.at("mimeType").get_string());
    const std::string type = r.Header("content-type");
    if (type != mime) return Feil(400, "Content-Type " + type + " is not the declared mimeType " + mime);
    if (static_cast<int64_t>(r.body.size()) != obj.body.at("filstoerrelse").as_int64()) {
      return Feil(400, "the file has " + std::to_string(r.body.size()) + " bytes, not the declared filstoerrelse " +
                           std::to_string(obj.body.at("filstoerrelse").as_int64()));
    }
    std::string declared(obj.body.at("sjekksum").get_string());
    for (char& c : declared) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (core::Sha256Hex(r.body) != declared) return Feil(400, "the file's SHA-256 is not the declared sjekksum");
    ENROL_ASSIGN_OR_RETURN(Statement s, db->Prepare("INSERT INTO files(system_id, mime, content) VALUES(?,?,?)"));
    ENROL_RETURN_IF_ERROR(s.Bind(1, id).Bind(2, mime).BindBlob(3, r.body).Run());
    json::object shown = obj.body;
    shown["referanseDokumentfil"] = base + "/api/dokumentobjekt/" + id + "/referanseFil";
    return Reply(201, Show(base, "dokumentobjekt", shown));
  }


  // Fiks Arkiv V1 arkivmelding opprett: the same objects as over REST, found
  // by their external keys before anything is made, all in the request's
  // transaction. The kvittering says what was there already.
  Result<std::string> Arkivmelding(const std::string& xml, const std::map<std::string, std::string>& files) {
    ENROL_ASSIGN_OR_RETURN(FiksArkivmelding m, ReadArkivmelding(xml));
    auto file = files.find(m.fil_ref);
    if (file == files.end()) {
      return InvalidArgument("the message has no file named '" + m.fil_ref + "' (referanseDokumentfil)");
    }
    if (static_cast<int64_t>(file->second.size()) != m.filstoerrelse) {
      return InvalidArgument("the file has " + std::to_string(file->second.size()) + " bytes, not the declared filstoerrelse " +
                             std::to_string(m.filstoerrelse));
    }
    std::string declared = m.sjekksum;
    for (char& c : declared) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (core::Sha256Hex(file->second) != declared) return InvalidArgument("the file's SHA-256 is not the declared sjekksum");
    auto key_of = [](const std::string& k) {
      return json::object{{kKeyField, k}};
    };
    auto skjerming = [](const std::string& t, const std::string& h) -> json::value {
      if (t.empty()) return nullptr;
      return json::object{{"tilgangsrestriksjon", json::object{{"kode", t}}}, {"skjermingshjemmel", h}};
    };
    FiksKvittering k;
    k.fagsystem = m.system;
    k.mappe_key = m.mappe_key;
    k.key = m.key;
    ENROL_ASSIGN_OR_RETURN(std::vector<json::object> mapper, List("saksmappe", nullptr, &m.mappe_key));
    if (mapper.size() > 1) return FailedPrecondition("more than one saksmappe has the key " + m.mappe_key);
    json::object mappe;
    if (!mapper.empty()) {
      mappe = std::move(mapper[0]);
      k.mappe_existed = true;
    } else {
      ENROL_ASSIGN_OR_RETURN(std::vector<json::object> arkivdeler, List("arkivdel", nullptr));
      mappe = json::object{{"tittel", m.mappe_tittel}, {"offentligTittel", m.mappe_offentlig_tittel},
                           {"saksansvarlig", m.saksansvarlig}, {"virksomhetsspesifikkeMetadata", key_of(m.mappe_key)}};
      if (json::value sk = skjerming(m.mappe_tilgangsrestriksjon, m.mappe_skjermingshjemmel); !sk.is_null()) {
        mappe["skjerming"] = std::move(sk);
      }
      ENROL_RETURN_IF_ERROR(Store("saksmappe", std::string(arkivdeler.at(0).at("systemID").get_string()), mappe));
    }
    const std::string mappe_id(mappe.at("systemID").get_string());
    k.mappe_system_id = mappe_id;
    k.mappe_id = std::string(mappe.at("mappeID").get_string());
    k.saksaar = mappe.at("saksaar").to_number<int64_t>();
    k.sakssekvensnummer = mappe.at("sakssekvensnummer").to_number<int64_t>();
    ENROL_ASSIGN_OR_RETURN(std::vector<json::object> poster, List("journalpost", &mappe_id, &m.key));
    json::object post, desc, obj;
    if (!poster.empty()) {
      post = std::move(poster[0]);
      k.journalpost_existed = true;
      const std::string post_id(post.at("systemID").get_string());
      ENROL_ASSIGN_OR_RETURN(std::vector<json::object> dbs, List("dokumentbeskrivelse", &post_id));
      if (dbs.empty()) return Internal("journalpost " + post_id + " has no dokumentbeskrivelse");
      desc = std::move(dbs[0]);
      const std::string db_id(desc.at("systemID").get_string());
      ENROL_ASSIGN_OR_RETURN(std::vector<json::object> objs, List("dokumentobjekt", &db_id));
      if (objs.empty()) return Internal("dokumentbeskrivelse " + db_id + " has no dokumentobjekt");
      obj = std::move(objs[0]);
    } else {
      post = json::object{{"tittel", m.tittel}, {"offentligTittel", m.offentlig_tittel},
                          {"journalposttype", json::object{{"kode", m.journalposttype}}},
                          {"dokumentetsDato", m.dokumentets_dato}, {"virksomhetsspesifikkeMetadata", key_of(m.key)}};
      if (!m.journalstatus.empty()) post["journalstatus"] = json::object{{"kode", m.journalstatus}};
      if (json::value sk = skjerming(m.tilgangsrestriksjon, m.skjermingshjemmel); !sk.is_null()) post["skjerming"] = std::move(sk);
      ENROL_RETURN_IF_ERROR(Store("journalpost", mappe_id, post));
      const std::string post_id(post.at("systemID").get_string());
      for (const FiksParty& p : m.parties) {
        json::object party{{"korrespondanseparttype", json::object{{"kode", "EM"}}}, {"navn", p.navn}};
        if (!p.postadresse.empty()) {
          party["postadresse"] = json::object{{"adresselinje", json::array{json::value(p.postadresse)}},
                                              {"postnummer", p.postnummer}, {"poststed", p.poststed}};
        }
        ENROL_RETURN_IF_ERROR(Store("korrespondansepartperson", post_id, party));
      }
      desc = json::object{{"tittel", m.dokument_tittel}, {"dokumenttype", json::object{{"kode", m.dokumenttype}}},
                        {"tilknyttetRegistreringSom", json::object{{"kode", m.tilknyttet}}}};
      ENROL_RETURN_IF_ERROR(Store("dokumentbeskrivelse", post_id, desc));
      obj = json::object{{"format", json::object{{"kode", m.format}}}, {"mimeType", m.mime_type}, {"filnavn", m.filnavn},
                         {"filstoerrelse", m.filstoerrelse}, {"sjekksum", declared}, {"sjekksumAlgoritme", "SHA-256"},
                         {"variantformat", json::object{{"kode", "A"}}}};
      ENROL_RETURN_IF_ERROR(Store("dokumentobjekt", std::string(desc.at("systemID").get_string()), obj));
      ENROL_ASSIGN_OR_RETURN(Statement f, db->Prepare("INSERT INTO files(system_id, mime, content) VALUES(?,?,?)"));
      ENROL_RETURN_IF_ERROR(f.Bind(1, std::string(obj.at("systemID").get_string())).Bind(2, m.mime_type)
                                .BindBlob(3, file->second).Run());
    }
    k.journalpost_system_id = std::string(post.at("systemID").get_string());
    k.journalaar = post.at("journalaar").to_number<int64_t>();
    k.journalsekvensnummer = post.at("journalsekvensnummer").to_number<int64_t>();
    k.journalpostnummer = post.at("journalpostnummer").to_number<int64_t>();
    k.dokumentbeskrivelse_system_id = std::string(desc.at("systemID").get_string());
    k.dokumentnummer = desc.at("dokumentnummer").to_number<int64_t>();
    k.dokumentobjekt_system_id = std::string(obj.at("systemID").get_string());
    return WriteKvittering(k);
  }

  // POST /fiks-arkiv/v1/arkivmelding, multipart/form-data: the part named
  // "arkivmelding" (arkivmelding.xml) and the files it refers to by name.
  Result<http::Response> FiksOpprett(const http::Request& r) {
    http::Response res;
    res.headers["content-type"] = "application/xml; charset=utf-8";
    if (r.method != "POST") return Feil(405, "POST an arkivmelding");
    auto parts = http::ParseMultipart(r.Header("content-type"), r.body);
    std::string xml;
    std::map<std::string, std::string> files;
    if (parts) {
      for (http::Part& p : *parts) {
        if (p.name == "arkivmelding") {
          xml = std::move(p.body);
        } else if (!p.filename.empty()) {
          files[p.filename] = std::move(p.body);
        }
      }
    }
    Result<std::string> k = !parts ? Result<std::string>(tl::unexpected(parts.error()))
                            : xml.empty() ? Result<std::string>(InvalidArgument("no part named 'arkivmelding'"))
                                          : Arkivmelding(xml, files);
    if (!k) {
      if (k.error().code == ErrorCode::kInternal) return tl::unexpected(k.error());
      res.status = k.error().code == ErrorCode::kFailedPrecondition ? 409 : 400;
      res.body = WriteFailedKvittering(k.error().message);
      return res;
    }
    res.status = 200;
    res.body = std::move(*k);
    return res;
  }

  Result<http::Response> Route(const http::Request& r) {
    if (r.body.size() > kMaxBody) return Feil(413, "the body is larger than 64 MB");
    const std::string host = r.Header("host").empty() ? "localhost" : r.Header("host");
    const std::string base = "http://" + host + kPrefix;
    const Target t = ParseTarget(r.target);
    const auto& s = t.segments;
    if (s.size() == 3 && s[0] == "fiks-arkiv" && s[1] == "v1" && s[2] == "arkivmelding") return FiksOpprett(r);
    if (s.empty() || "/" + s[0] != kPrefix) return Feil(404, "no such resource: " + r.target);
    if (s.size() == 1) {
      if (r.method != "GET") return Feil(405, "GET only");
      return Reply(200, json::object{{"_links", json::object{
          {std::string(kRel) + "arkivstruktur/", json::object{{"href", base + "/api/arkivstruktur/"}}},
          {std::string(kRel) + "sakarkiv/", json::object{{"href", base + "/api/sakarkiv/"}}},
          {std::string(kRel) + "admin/system/", json::object{{"href", base + "/api/admin/system/"}}}}}});
    }
    if (s[1] == "inspect" && s.size() == 2) return Inspect();
    if (s[1] != "api" || s.size() < 3) return Feil(404, "no such resource: " + r.target);
    if (s.size() == 3 && (s[2] == "arkivstruktur" || s[2] == "sakarkiv")) {
      json::object links;
      for (const Kind& k : Kinds()) {
        if (s[2] + "/" == k.area) {
          links[Rel(k)] = json::object{{"href", base + "/api/" + k.name + "{?$filter,$top,$skip}"}, {"templated", true}};
        }
      }
      return Reply(200, json::object{{"_links", std::move(links)}});
    }
    if (s.size() == 4 && s[2] == "admin" && s[3] == "system") {
      return Reply(200, json::object{{"leverandoer", "enrol"}, {"produkt", "enrol simulate archive"}, {"versjon", "1"},
                                     {"protokollversjon", "1.1"}, {"bulkgrense", static_cast<int64_t>(kMaxBody)}});
    }
    const Kind* kind = FindKind(s[2]);
    if (!kind) return Feil(404, "no such resource: " + r.target);
    auto parsed = ParseFilter(t.query);
    if (!parsed) return Feil(400, parsed.error().message);
    const std::optional<Filter> filter = std::move(*parsed);
    auto list = [&](const std::string& k, const std::string* parent) -> Result<http::Response> {
      const bool by_key = filter && filter->field == kKeyField;
      ENROL_ASSIGN_OR_RETURN(std::vector<json::object> all, List(k, parent, by_key ? &filter->value : nullptr));
      json::array results;
      for (auto& o : all) {
        if (!filter || Matches(o, *filter)) results.push_back(Show(base, k, std::move(o)));
      }
      const auto n = static_cast<int64_t>(results.size());
      return Reply(200, json::object{{"count", n}, {"results", std::move(results)},
                                     {"_links", json::object{{"self", json::object{{"href", "http://" + host + r.target}}}}}});
    };
    if (s.size() == 3) {
      if (r.method != "GET") return Feil(405, "GET only");
      return list(kind->name, nullptr);
    }
    const std::string& id = s[3];
    ENROL_ASSIGN_OR_RETURN(std::optional<Object> obj, Find(id));
    if (!obj || obj->kind != kind->name) return Feil(404, std::string("no ") + kind->name + " " + id);
    if (s.size() == 4) {
      if (r.method == "GET") return Reply(200, Show(base, obj->kind, obj->body));
      if (r.method == "DELETE") {
        if (obj->kind == "arkivdel") return Feil(403, "an arkivdel is not deleted here");
        ENROL_RETURN_IF_ERROR(Delete(id));
        http::Response res;
        res.status = 204;
        return res;
      }
      return Feil(405, "GET or DELETE");
    }
    if (s.size() != 5) return Feil(404, "no such resource: " + r.target);
    const std::string& what = s[4];
    if (what == "referanseFil" && obj->kind == "dokumentobjekt") {
      if (r.method == "POST") return Upload(base, id, *obj, r);
      if (r.method != "GET") return Feil(405, "GET or POST");
      ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare("SELECT mime, content FROM files WHERE system_id=?"));
      q.Bind(1, id);
      ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
      if (!row) return Feil(404, "the dokumentobjekt has no file yet");
      http::Response res;
      res.status = 200;
      res.headers["content-type"] = q.ColumnText(0);
      res.body = q.ColumnText(1);
      return res;
    }
    for (const std::string& child : kind->children) {
      if (what == "ny-" + child) {
        if (r.method == "GET") {  // the template: creates nothing
          return Reply(200, json::object{{"_links", json::object{{NewRel(*FindKind(child)),
                                                                  json::object{{"href", base + r.target}}}}}});
        }
        if (r.method != "POST") return Feil(405, "GET or POST");
        return Create(base, id, child, r);
      }
      if (what == child) {
        if (r.method != "GET") return Feil(405, "GET only");
        return list(child, &id);
      }
    }
    return Feil(404, "no such resource: " + r.target);
  }

  Result<http::Response> Inspect() {
    json::object counts;
    for (const Kind& k : Kinds()) {
      ENROL_ASSIGN_OR_RETURN(std::vector<json::object> all, List(k.name, nullptr));
      counts[k.name] = static_cast<int64_t>(all.size());
    }
    ENROL_ASSIGN_OR_RETURN(Statement f, db->Prepare("SELECT COUNT(*) FROM files"));
    ENROL_ASSIGN_OR_RETURN(bool row, f.Step());
    counts["fil"] = row ? f.ColumnInt(0) : 0;
    json::array objects;
    ENROL_ASSIGN_OR_RETURN(Statement q, db->Prepare("SELECT kind, system_id, parent, body FROM objects ORDER BY seq"));
    for (;;) {
      ENROL_ASSIGN_OR_RETURN(bool more, q.Step());
      if (!more) break;
      json::object body = json::parse(q.ColumnView(3)).as_object();
      json::object o{{"kind", q.ColumnText(0)}, {"systemID", q.ColumnText(1)}, {"parent", q.ColumnText(2)}};
      if (const auto* vsm = body.if_contains("virksomhetsspesifikkeMetadata")) o["virksomhetsspesifikkeMetadata"] = *vsm;
      for (const char* k : {"mappeID", "journalpostnummer", "registreringsID", "dokumentnummer", "offentligTittel"}) {
        if (const auto* v = body.if_contains(k)) o[k] = *v;
      }
      objects.push_back(std::move(o));
    }
    return Reply(200, json::object{{"counts", std::move(counts)}, {"objects", std::move(objects)}});
  }
};

Result<std::unique_ptr<Noark5Archive>> Noark5Archive::Open(const Noark5ArchiveOptions& options) {
  std::unique_ptr<Noark5Archive> a(new Noark5Archive());
  a->impl_ = std::make_unique<Impl>();
  ENROL_RETURN_IF_ERROR(a->impl_->Init(options));
  return a;
}

Noark5Archive::~Noark5Archive() = default;

http::Response Noark5Archive::Handle(const http::Request& request) {
  std::lock_guard<std::mutex> lock(mu_);
  // Each request is one transaction: a create is all there or not at all.
  auto tx = sql::Transaction::Begin(*impl_->db);
  if (!tx) return Feil(503, "the archive's store is busy: " + tx.error().message);
  Result<http::Response> r = impl_->Route(request);
  if (!r) return Feil(500, "the archive failed: " + r.error().message);
  if (r->status < 400) {
    if (auto st = tx->Commit(); !st) return Feil(503, "the archive could not store it: " + st.error().message);
  }
  return std::move(*r);
}

uint64_t Noark5Archive::NextRequestNumber() {
  std::lock_guard<std::mutex> lock(mu_);
  auto n = impl_->Next("requests");
  return n ? static_cast<uint64_t>(*n - 1) : 0;
}

Result<http::Response> LoopbackTransport::Send(const http::Request& r) {
  const size_t scheme = r.url.find("://");
  if (scheme == std::string::npos) return InvalidArgument("not an absolute URL: " + r.url.substr(0, r.url.find('?')));
  const std::string rest = r.url.substr(scheme + 3);
  const size_t slash = rest.find('/');
  http::Request in = r;
  in.headers["host"] = rest.substr(0, slash);
  in.target = slash == std::string::npos ? "/" : rest.substr(slash);
  const Fault f = faults_ ? faults_->At(number_()) : Fault::kNone;
  if (faults_ && faults_->options().latency_ms > 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(faults_->options().latency_ms));
  }
  switch (f) {
    case Fault::kError:
    case Fault::kThrottle: return RefusedAnswer(f);
    case Fault::kTimeout: return Unavailable("the archive did not answer in time (injected)");
    case Fault::kDrop: {
      (void)handle_(in);
      return Unavailable("the connection was dropped after the request was sent (injected)");
    }
    case Fault::kSlow: std::this_thread::sleep_for(std::chrono::milliseconds(faults_->options().slow_ms)); break;
    case Fault::kNone: break;
  }
  return handle_(in);
}

Result<std::string> Noark5Archive::FileArkivmelding(const std::string& xml,
                                                    const std::map<std::string, std::string>& files) {
  std::lock_guard<std::mutex> lock(mu_);
  ENROL_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(*impl_->db));
  ENROL_ASSIGN_OR_RETURN(std::string kvittering, impl_->Arkivmelding(xml, files));
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return kvittering;
}

namespace {

Result<std::string> ReadWhole(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return Unavailable("cannot read " + p.string());
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status WriteAtomically(const std::filesystem::path& p, const std::string& content) {
  const std::filesystem::path tmp = p.parent_path() / ("." + p.filename().string() + ".tmp");
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return Unavailable("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, p, ec);
  if (ec) return Unavailable("cannot rename " + tmp.string() + ": " + ec.message());
  return {};
}

}  // namespace

Result<int> Noark5Archive::ProcessFiksFolder(const std::string& folder) {
  namespace fs = std::filesystem;
  const fs::path ut = fs::path(folder) / "ut", inn = fs::path(folder) / "inn";
  std::error_code ec;
  fs::create_directories(inn, ec);
  if (ec) return Unavailable("cannot make " + inn.string() + ": " + ec.message());
  if (!fs::is_directory(ut)) return 0;
  int handled = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(ut, ec)) {
    const std::string key = e.path().filename().string();
    if (key.empty() || key[0] == '.' || !e.is_directory()) continue;  // still being written
    std::map<std::string, std::string> files;
    std::string xml;
    for (const fs::directory_entry& f : fs::directory_iterator(e.path())) {
      ENROL_ASSIGN_OR_RETURN(std::string content, ReadWhole(f.path()));
      if (f.path().filename() == "arkivmelding.xml") {
        xml = std::move(content);
      } else {
        files[f.path().filename().string()] = std::move(content);
      }
    }
    Result<std::string> k = xml.empty() ? Result<std::string>(InvalidArgument("the message has no arkivmelding.xml"))
                                        : FileArkivmelding(xml, files);
    if (!k && k.error().code != ErrorCode::kInvalidArgument && k.error().code != ErrorCode::kFailedPrecondition) {
      return tl::unexpected(k.error());
    }
    ENROL_RETURN_IF_ERROR(WriteAtomically(inn / (key + ".xml"), k ? *k : WriteFailedKvittering(k.error().message)));
    fs::remove_all(e.path(), ec);
    ++handled;
  }
  if (ec) return Unavailable("cannot list " + ut.string() + ": " + ec.message());
  return handled;
}

Result<std::map<std::string, int64_t>> Noark5Archive::Counts() {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, int64_t> out;
  ENROL_ASSIGN_OR_RETURN(Statement q, impl_->db->Prepare("SELECT kind, COUNT(*) FROM objects GROUP BY kind"));
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out[q.ColumnText(0)] = q.ColumnInt(1);
  }
  ENROL_ASSIGN_OR_RETURN(Statement f, impl_->db->Prepare("SELECT COUNT(*) FROM files"));
  ENROL_ASSIGN_OR_RETURN(bool row, f.Step());
  out["fil"] = row ? f.ColumnInt(0) : 0;
  return out;
}

}  // namespace enrol::sim
