#include "engine/store/person_codec.h"

#include <cstdio>

#include <boost/json.hpp>

namespace enrol::store {
namespace json = boost::json;
namespace {

std::string Str(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}
long Int(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  return v && v->is_int64() ? static_cast<long>(v->get_int64()) : 0;
}
std::optional<long> OptInt(const json::object& o, std::string_view k) {
  const json::value* v = o.if_contains(k);
  if (v && v->is_int64()) return static_cast<long>(v->get_int64());
  return std::nullopt;
}

core::Name DecodeName(const json::object& o) {
  return core::Name{Str(o, "f"), Str(o, "m"), Str(o, "e")};
}

core::Address DecodeAddress(const json::object& o) {
  core::Address a;
  a.kind = core::ParseAddressKind(Str(o, "k")).value_or(core::AddressKind::kVegadresse);
  a.kommunenummer = Str(o, "kn");
  a.adressekode = Str(o, "ak");
  a.adressenavn = Str(o, "an");
  a.husnummer = static_cast<int>(Int(o, "hn"));
  a.husbokstav = Str(o, "hb");
  a.bruksenhetsnummer = Str(o, "be");
  a.gaardsnummer = Int(o, "gnr");
  a.bruksnummer = Int(o, "bnr");
  a.festenummer = Int(o, "fnr");
  a.postnummer = Str(o, "pn");
  a.poststed = Str(o, "ps");
  a.adresse_id = Str(o, "id");
  a.skolekrets = OptInt(o, "sk");
  a.grunnkrets = OptInt(o, "gk");
  if (auto g = Str(o, "g"); !g.empty()) a.gradering = core::ParseGradering(g).value_or(a.gradering);
  if (auto d = Str(o, "fd"); !d.empty()) a.flyttedato = core::ParseIsoDate(d);
  return a;
}

}  // namespace

namespace {

// Appends a JSON string literal. Control characters are escaped; UTF-8 passes.
void Quote(std::string& out, std::string_view s) {
  out += '"';
  size_t plain = 0;  // the run of characters that need no escape
  while (plain < s.size() && s[plain] != '"' && s[plain] != '\\' &&
         static_cast<unsigned char>(s[plain]) >= 0x20) {
    ++plain;
  }
  out.append(s.data(), plain);
  for (char c : s.substr(plain)) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// Writes members in a fixed order: the same person always gives the same text.
class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void Open() { out_ += '{'; first_ = true; }
  void Close() { out_ += '}'; first_ = false; }
  void Key(std::string_view k) {
    if (!first_) out_ += ',';
    first_ = false;
    Quote(out_, k);
    out_ += ':';
  }
  void Str(std::string_view k, std::string_view v) { Key(k); Quote(out_, v); }
  void StrIf(std::string_view k, std::string_view v) { if (!v.empty()) Str(k, v); }
  void Int(std::string_view k, long v) { Key(k); out_ += std::to_string(v); }
  void IntIf(std::string_view k, long v) { if (v) Int(k, v); }
  void BeginArray(std::string_view k) { Key(k); out_ += '['; first_ = true; }
  void EndArray() { out_ += ']'; first_ = false; }
  void Element() { if (!first_) out_ += ','; first_ = true; }

  void Name(std::string_view k, const core::Name& n) {
    Key(k);
    Open();
    StrIf("f", n.fornavn);
    StrIf("m", n.mellomnavn);
    StrIf("e", n.etternavn);
    Close();
  }
  void Address(const core::Address& a) {
    Open();
    Str("k", core::AddressKindCode(a.kind));
    StrIf("kn", a.kommunenummer);
    StrIf("ak", a.adressekode);
    StrIf("an", a.adressenavn);
    IntIf("hn", a.husnummer);
    StrIf("hb", a.husbokstav);
    StrIf("be", a.bruksenhetsnummer);
    IntIf("gnr", a.gaardsnummer);
    IntIf("bnr", a.bruksnummer);
    IntIf("fnr", a.festenummer);
    StrIf("pn", a.postnummer);
    StrIf("ps", a.poststed);
    StrIf("id", a.adresse_id);
    if (a.skolekrets) Int("sk", *a.skolekrets);
    if (a.grunnkrets) Int("gk", *a.grunnkrets);
    if (a.gradering != core::Gradering::kUgradert) Str("g", core::GraderingCode(a.gradering));
    if (a.flyttedato) Str("fd", a.flyttedato->ToString());
    Close();
  }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

std::string EncodePerson(const core::Person& p) {
  std::string out;
  out.reserve(512);
  Writer w(out);
  w.Open();
  w.Str("id", p.id);
  w.Int("ik", static_cast<int>(p.id_kind));
  w.Name("n", p.name);
  if (p.birth_date) w.Str("bd", p.birth_date->ToString());
  w.Int("by", p.birth_year);
  w.StrIf("kj", p.kjoenn);
  w.Str("st", core::PersonStatusCode(p.status));
  if (p.death_date) w.Str("dd", p.death_date->ToString());
  if (p.home) {
    w.Key("h");
    w.Address(*p.home);
  }
  if (p.stay) {
    w.Key("o");
    w.Address(*p.stay);
  }
  if (!p.shared_home.empty()) {
    w.BeginArray("db");
    for (const auto& s : p.shared_home) {
      w.Element();
      w.Address(s);
    }
    w.EndArray();
  }
  if (p.protection != core::Gradering::kUgradert) w.Str("ab", core::GraderingCode(p.protection));
  if (!p.responsibility.empty()) {
    w.BeginArray("fa");
    for (const auto& r : p.responsibility) {
      w.Element();
      w.Open();
      w.Str("a", core::AnsvarCode(r.ansvar));
      w.StrIf("g", r.guardian_id);
      if (!(r.guardian_name_without_id == core::Name{})) w.Name("n", r.guardian_name_without_id);
      w.Close();
    }
    w.EndArray();
  }
  w.Close();
  return out;
}

Result<core::Person> DecodePerson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Internal("stored person record is not valid JSON");
  const json::object& o = v.get_object();
  core::Person p;
  p.id = Str(o, "id");
  p.id_kind = static_cast<core::NationalIdKind>(Int(o, "ik"));
  if (const auto* n = o.if_contains("n"); n && n->is_object()) p.name = DecodeName(n->get_object());
  if (auto d = Str(o, "bd"); !d.empty()) p.birth_date = core::ParseIsoDate(d);
  p.birth_year = static_cast<int>(Int(o, "by"));
  p.kjoenn = Str(o, "kj");
  p.status = core::ParsePersonStatus(Str(o, "st")).value_or(core::PersonStatus::kBosatt);
  if (auto d = Str(o, "dd"); !d.empty()) p.death_date = core::ParseIsoDate(d);
  if (const auto* h = o.if_contains("h"); h && h->is_object()) p.home = DecodeAddress(h->get_object());
  if (const auto* s = o.if_contains("o"); s && s->is_object()) p.stay = DecodeAddress(s->get_object());
  if (const auto* a = o.if_contains("db"); a && a->is_array()) {
    for (const auto& e : a->get_array()) {
      if (e.is_object()) p.shared_home.push_back(DecodeAddress(e.get_object()));
    }
  }
  if (auto g = Str(o, "ab"); !g.empty()) p.protection = core::ParseGradering(g).value_or(p.protection);
  if (const auto* a = o.if_contains("fa"); a && a->is_array()) {
    for (const auto& e : a->get_array()) {
      if (!e.is_object()) continue;
      const auto& ro = e.get_object();
      core::Responsibility r;
      r.ansvar = core::ParseAnsvar(Str(ro, "a")).value_or(core::Ansvar::kUkjent);
      r.guardian_id = Str(ro, "g");
      if (const auto* n = ro.if_contains("n"); n && n->is_object()) {
        r.guardian_name_without_id = DecodeName(n->get_object());
      }
      p.responsibility.push_back(std::move(r));
    }
  }
  return p;
}

}  // namespace enrol::store
