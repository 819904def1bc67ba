#include "engine/store/person_codec.h"

#include <boost/json.hpp>

namespace enrol::store {
namespace json = boost::json;
namespace {

void PutIf(json::object& o, std::string_view k, const std::string& v) {
  if (!v.empty()) o[k] = v;
}

json::object EncodeName(const core::Name& n) {
  json::object o;
  PutIf(o, "f", n.fornavn);
  PutIf(o, "m", n.mellomnavn);
  PutIf(o, "e", n.etternavn);
  return o;
}

json::object EncodeAddress(const core::Address& a) {
  json::object o;
  o["k"] = core::AddressKindCode(a.kind);
  PutIf(o, "kn", a.kommunenummer);
  PutIf(o, "ak", a.adressekode);
  PutIf(o, "an", a.adressenavn);
  if (a.husnummer) o["hn"] = a.husnummer;
  PutIf(o, "hb", a.husbokstav);
  PutIf(o, "be", a.bruksenhetsnummer);
  if (a.gaardsnummer) o["gnr"] = a.gaardsnummer;
  if (a.bruksnummer) o["bnr"] = a.bruksnummer;
  if (a.festenummer) o["fnr"] = a.festenummer;
  PutIf(o, "pn", a.postnummer);
  PutIf(o, "ps", a.poststed);
  PutIf(o, "id", a.adresse_id);
  if (a.skolekrets) o["sk"] = *a.skolekrets;
  if (a.grunnkrets) o["gk"] = *a.grunnkrets;
  if (a.gradering != core::Gradering::kUgradert) o["g"] = core::GraderingCode(a.gradering);
  if (a.flyttedato) o["fd"] = a.flyttedato->ToString();
  return o;
}

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

std::string EncodePerson(const core::Person& p) {
  json::object o;
  o["id"] = p.id;
  o["ik"] = static_cast<int>(p.id_kind);
  o["n"] = EncodeName(p.name);
  if (p.birth_date) o["bd"] = p.birth_date->ToString();
  o["by"] = p.birth_year;
  PutIf(o, "kj", p.kjoenn);
  o["st"] = core::PersonStatusCode(p.status);
  if (p.death_date) o["dd"] = p.death_date->ToString();
  if (p.home) o["h"] = EncodeAddress(*p.home);
  if (p.stay) o["o"] = EncodeAddress(*p.stay);
  if (!p.shared_home.empty()) {
    json::array a;
    for (const auto& s : p.shared_home) a.push_back(EncodeAddress(s));
    o["db"] = std::move(a);
  }
  if (p.protection != core::Gradering::kUgradert) o["ab"] = core::GraderingCode(p.protection);
  if (!p.responsibility.empty()) {
    json::array a;
    for (const auto& r : p.responsibility) {
      json::object ro;
      ro["a"] = core::AnsvarCode(r.ansvar);
      PutIf(ro, "g", r.guardian_id);
      if (!(r.guardian_name_without_id == core::Name{})) ro["n"] = EncodeName(r.guardian_name_without_id);
      a.push_back(std::move(ro));
    }
    o["fa"] = std::move(a);
  }
  return json::serialize(o);
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
