#include "connectors/register/freg_mapper.h"

#include <cstring>

#include <boost/json.hpp>

namespace enrol::freg {
namespace json = boost::json;
namespace {

using Unexpected = tl::unexpected<MapError>;

Unexpected Err(std::string field, std::string message) {
  return Unexpected(MapError{std::move(field), std::move(message)});
}

// The entries of a historised element: an array, or (XML, doedsfall) an object.
std::vector<const json::object*> Entries(const json::object& doc, std::string_view key) {
  std::vector<const json::object*> out;
  const json::value* v = doc.if_contains(key);
  if (!v) return out;
  if (v->is_object()) {
    out.push_back(&v->get_object());
  } else if (v->is_array()) {
    for (const json::value& e : v->get_array()) {
      if (e.is_object()) out.push_back(&e.get_object());
    }
  }
  return out;
}

// erGjeldende as bool: JSON true/false or the XML text "true"/"false".
std::optional<bool> Gjeldende(const json::object& o) {
  const json::value* v = o.if_contains("erGjeldende");
  if (!v) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) return v->get_string() == "true" || v->get_string() == "1";
  return std::nullopt;
}

// Indices of the current entries: those with erGjeldende true; where no entry
// carries the flag at all, every entry (a document without history).
std::vector<size_t> CurrentIndices(const std::vector<const json::object*>& entries) {
  std::vector<size_t> out;
  bool any_flag = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto g = Gjeldende(*entries[i]);
    any_flag = any_flag || g.has_value();
    if (g.value_or(false)) out.push_back(i);
  }
  if (!any_flag) {
    for (size_t i = 0; i < entries.size(); ++i) out.push_back(i);
  }
  return out;
}

std::string Path(std::string_view key, size_t index) {
  return std::string(key) + "[" + std::to_string(index) + "]";
}

// A scalar as text: strings as they are, integers printed.
std::optional<std::string> Text(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_string()) return std::string(v->get_string());
  if (v->is_int64()) return std::to_string(v->get_int64());
  if (v->is_uint64()) return std::to_string(v->get_uint64());
  return std::nullopt;
}

const json::object* Object(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (!v) return nullptr;
  if (v->is_object()) return &v->get_object();
  if (v->is_array() && !v->get_array().empty() && v->get_array()[0].is_object()) {
    return &v->get_array()[0].get_object();
  }
  return nullptr;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

tl::expected<std::optional<long>, MapError> Integer(const json::object& o, std::string_view key,
                                                    const std::string& path) {
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return std::optional<long>();
  if (v->is_int64()) return std::optional<long>(static_cast<long>(v->get_int64()));
  if (v->is_uint64()) return std::optional<long>(static_cast<long>(v->get_uint64()));
  if (v->is_string() && AllDigits(v->get_string()) && v->get_string().size() < 18) {
    return std::optional<long>(std::stol(std::string(v->get_string())));
  }
  return Err(path + "." + std::string(key), "must be a whole number");
}

tl::expected<std::string, MapError> Kommunenummer(const json::object& o, std::string_view key,
                                                  const std::string& path, bool required) {
  auto t = Text(o, key);
  if (!t) {
    if (required) return Err(path + "." + std::string(key), "missing (required)");
    return std::string();
  }
  if (t->size() != 4 || !AllDigits(*t)) {
    return Err(path + "." + std::string(key), "must be a 4-digit kommunenummer");
  }
  return *t;
}

tl::expected<std::string, MapError> NationalId(const std::string& value, const std::string& field,
                                               const core::NationalIdOptions& ids,
                                               core::NationalIdKind* kind) {
  auto id = core::ParseNationalId(value, ids);
  if (!id) return Err(field, id.error().message);
  if (id->kind == core::NationalIdKind::kHNummer || id->kind == core::NationalIdKind::kFhNummer) {
    return Err(field, std::string(core::NationalIdKindName(id->kind)) +
                          " is a help number, not a register identity");
  }
  if (kind) *kind = id->kind;
  return id->digits;
}

tl::expected<core::Gradering, MapError> GraderingOf(const json::object& o, std::string_view key,
                                                    const std::string& path) {
  auto t = Text(o, key);
  if (!t) return core::Gradering::kUgradert;
  auto g = core::ParseGradering(*t);
  if (!g) return Err(path + "." + std::string(key), "unknown code '" + *t + "'");
  return *g;
}

tl::expected<std::optional<core::Date>, MapError> DateField(const json::object& o,
                                                            std::string_view key,
                                                            const std::string& path) {
  auto t = Text(o, key);
  if (!t) return std::optional<core::Date>();
  auto d = core::ParseIsoDate(*t);
  if (!d) return Err(path + "." + std::string(key), "not a date (YYYY-MM-DD)");
  return std::optional<core::Date>(*d);
}

// Fills an address from an entry holding vegadresse / matrikkeladresse /
// ukjentBosted. Returns false (no error) when it holds none of them and
// `required` is false.
tl::expected<bool, MapError> FillAddress(const json::object& e, const std::string& path,
                                         bool required, core::Address* a) {
  int kinds = 0;
  if (const json::object* v = Object(e, "vegadresse")) {
    ++kinds;
    const std::string p = path + ".vegadresse";
    a->kind = core::AddressKind::kVegadresse;
    auto kn = Kommunenummer(*v, "kommunenummer", p, true);
    if (!kn) return tl::unexpected(kn.error());
    a->kommunenummer = *kn;
    auto navn = Text(*v, "adressenavn");
    if (!navn || navn->empty()) return Err(p + ".adressenavn", "missing (required)");
    a->adressenavn = *navn;
    a->adressekode = Text(*v, "adressekode").value_or("");
    a->bruksenhetsnummer = Text(*v, "bruksenhetsnummer").value_or("");
    if (const json::object* nr = Object(*v, "adressenummer")) {
      auto hn = Text(*nr, "husnummer");
      if (!hn || hn->size() > 4 || !AllDigits(*hn)) {
        return Err(p + ".adressenummer.husnummer", "must be 1 to 4 digits");
      }
      a->husnummer = std::stoi(*hn);
      a->husbokstav = Text(*nr, "husbokstav").value_or("");
    }
    if (const json::object* ps = Object(*v, "poststed")) {
      a->postnummer = Text(*ps, "postnummer").value_or("");
      a->poststed = Text(*ps, "poststedsnavn").value_or("");
    }
  }
  if (const json::object* m = Object(e, "matrikkeladresse")) {
    ++kinds;
    const std::string p = path + ".matrikkeladresse";
    a->kind = core::AddressKind::kMatrikkeladresse;
    const json::object* mn = Object(*m, "matrikkelnummer");
    if (!mn) return Err(p + ".matrikkelnummer", "missing (required)");
    auto kn = Kommunenummer(*mn, "kommunenummer", p + ".matrikkelnummer", true);
    if (!kn) return tl::unexpected(kn.error());
    a->kommunenummer = *kn;
    auto g = Integer(*mn, "gaardsnummer", p + ".matrikkelnummer");
    if (!g) return tl::unexpected(g.error());
    auto b = Integer(*mn, "bruksnummer", p + ".matrikkelnummer");
    if (!b) return tl::unexpected(b.error());
    auto f = Integer(*mn, "festenummer", p + ".matrikkelnummer");
    if (!f) return tl::unexpected(f.error());
    a->gaardsnummer = g->value_or(0);
    a->bruksnummer = b->value_or(0);
    a->festenummer = f->value_or(0);
    if (const json::object* ps = Object(*m, "poststed")) {
      a->postnummer = Text(*ps, "postnummer").value_or("");
      a->poststed = Text(*ps, "poststedsnavn").value_or("");
    }
  }
  if (e.if_contains("ukjentBosted")) {
    ++kinds;
    a->kind = core::AddressKind::kUkjentBosted;
    if (const json::object* u = Object(e, "ukjentBosted")) {
      auto kn = Kommunenummer(*u, "bostedskommune", path + ".ukjentBosted", false);
      if (!kn) return tl::unexpected(kn.error());
      a->kommunenummer = *kn;
    }
  }
  if (kinds > 1) {
    return Err(path, "has more than one of vegadresse, matrikkeladresse and ukjentBosted");
  }
  if (kinds == 0) {
    if (required) return Err(path, "has none of vegadresse, matrikkeladresse and ukjentBosted");
    return false;
  }
  a->adresse_id = Text(e, "adresseIdentifikatorFraMatrikkelen").value_or("");
  auto sk = Integer(e, "skolekrets", path);
  if (!sk) return tl::unexpected(sk.error());
  a->skolekrets = *sk;
  auto gk = Integer(e, "grunnkrets", path);
  if (!gk) return tl::unexpected(gk.error());
  a->grunnkrets = *gk;
  auto g = GraderingOf(e, "adressegradering", path);
  if (!g) return tl::unexpected(g.error());
  a->gradering = *g;
  auto fd = DateField(e, "flyttedato", path);
  if (!fd) return tl::unexpected(fd.error());
  a->flyttedato = *fd;
  return true;
}

// The single current entry of an element, or null. `index` gets its position.
const json::object* CurrentOne(const json::object& doc, std::string_view key, size_t* index) {
  auto entries = Entries(doc, key);
  auto current = CurrentIndices(entries);
  if (current.empty()) return nullptr;
  *index = current.front();
  return entries[current.front()];
}

core::Name NameOf(const json::object& n) {
  return core::Name{Text(n, "fornavn").value_or(""), Text(n, "mellomnavn").value_or(""),
                    Text(n, "etternavn").value_or("")};
}

}  // namespace

tl::expected<core::Person, MapError> MapFregPerson(const json::object& doc,
                                                   const core::NationalIdOptions& ids) {
  core::Person p;

  // Identity: the current number in use.
  {
    auto entries = Entries(doc, "identifikasjonsnummer");
    const json::object* chosen = nullptr;
    size_t chosen_index = 0;
    for (size_t i : CurrentIndices(entries)) {
      auto status = Text(*entries[i], "status");
      if (!status || *status == "iBruk") {
        chosen = entries[i];
        chosen_index = i;
        break;
      }
    }
    if (!chosen) return Err("identifikasjonsnummer", "missing (required): no current number in use");
    const std::string path = Path("identifikasjonsnummer", chosen_index);
    auto value = Text(*chosen, "foedselsEllerDNummer");
    if (!value) return Err(path + ".foedselsEllerDNummer", "missing (required)");
    auto id = NationalId(*value, path + ".foedselsEllerDNummer", ids, &p.id_kind);
    if (!id) return tl::unexpected(id.error());
    p.id = *id;
    if (auto type = Text(*chosen, "identifikatortype")) {
      if (*type != "foedselsnummer" && *type != "dNummer") {
        return Err(path + ".identifikatortype", "unknown code '" + *type + "'");
      }
      const bool says_d = *type == "dNummer";
      if (says_d != (p.id_kind == core::NationalIdKind::kDNummer)) {
        return Err(path + ".identifikatortype",
                   "says " + *type + " but the number is a " +
                       std::string(core::NationalIdKindName(p.id_kind)));
      }
    }
  }

  // Status.
  {
    size_t i = 0;
    const json::object* s = CurrentOne(doc, "status", &i);
    if (!s) return Err("status", "missing (required)");
    auto code = Text(*s, "status");
    if (!code) return Err(Path("status", i) + ".status", "missing (required)");
    auto st = core::ParsePersonStatus(*code);
    if (!st) return Err(Path("status", i) + ".status", "unknown code '" + *code + "'");
    p.status = *st;
  }

  // Birth: foedselsdato, else foedselsaar.
  {
    size_t i = 0;
    const json::object* f = CurrentOne(doc, "foedsel", &i);
    if (!f) return Err("foedsel", "missing (required)");
    const std::string path = Path("foedsel", i);
    auto date = DateField(*f, "foedselsdato", path);
    if (!date) return tl::unexpected(date.error());
    p.birth_date = *date;
    auto year = Text(*f, "foedselsaar");
    if (year) {
      if (year->size() != 4 || !AllDigits(*year)) return Err(path + ".foedselsaar", "must be a 4-digit year");
      p.birth_year = std::stoi(*year);
      if (p.birth_date && p.birth_date->year != p.birth_year) {
        return Err(path + ".foedselsaar", "does not match foedselsdato");
      }
    } else if (p.birth_date) {
      p.birth_year = p.birth_date->year;
    } else {
      return Err(path, "has neither foedselsdato nor foedselsaar");
    }
  }

  // Name.
  {
    size_t i = 0;
    const json::object* n = CurrentOne(doc, "navn", &i);
    if (!n) return Err("navn", "missing (required)");
    p.name = NameOf(*n);
    if (p.name.fornavn.empty()) return Err(Path("navn", i) + ".fornavn", "missing (required)");
    if (p.name.etternavn.empty()) return Err(Path("navn", i) + ".etternavn", "missing (required)");
  }

  {
    size_t i = 0;
    if (const json::object* k = CurrentOne(doc, "kjoenn", &i)) {
      auto code = Text(*k, "kjoenn");
      if (code && *code != "kvinne" && *code != "mann") {
        return Err(Path("kjoenn", i) + ".kjoenn", "unknown code '" + *code + "'");
      }
      p.kjoenn = code.value_or("");
    }
  }

  {
    size_t i = 0;
    if (const json::object* d = CurrentOne(doc, "doedsfall", &i)) {
      auto date = DateField(*d, "doedsdato", Path("doedsfall", i));
      if (!date) return tl::unexpected(date.error());
      p.death_date = *date;
    }
  }

  {
    size_t i = 0;
    if (const json::object* b = CurrentOne(doc, "bostedsadresse", &i)) {
      core::Address a;
      auto ok = FillAddress(*b, Path("bostedsadresse", i), true, &a);
      if (!ok) return tl::unexpected(ok.error());
      p.home = std::move(a);
    }
  }
  {
    size_t i = 0;
    if (const json::object* o = CurrentOne(doc, "oppholdsadresse", &i)) {
      core::Address a;
      auto ok = FillAddress(*o, Path("oppholdsadresse", i), false, &a);
      if (!ok) return tl::unexpected(ok.error());
      if (*ok) p.stay = std::move(a);
    }
  }
  {
    auto entries = Entries(doc, "deltBosted");
    for (size_t i : CurrentIndices(entries)) {
      core::Address a;
      auto ok = FillAddress(*entries[i], Path("deltBosted", i), false, &a);
      if (!ok) return tl::unexpected(ok.error());
      if (*ok) p.shared_home.push_back(std::move(a));
    }
  }
  {
    auto entries = Entries(doc, "adressebeskyttelse");
    for (size_t i : CurrentIndices(entries)) {
      auto g = GraderingOf(*entries[i], "graderingsnivaa", Path("adressebeskyttelse", i));
      if (!g) return tl::unexpected(g.error());
      if (static_cast<int>(*g) > static_cast<int>(p.protection)) p.protection = *g;
    }
  }
  {
    auto entries = Entries(doc, "foreldreansvar");
    for (size_t i : CurrentIndices(entries)) {
      const json::object& e = *entries[i];
      const std::string path = Path("foreldreansvar", i);
      if (auto subject = Text(e, "ansvarssubjekt"); subject && *subject != p.id) {
        continue;  // this person is the responsible one, not the child
      }
      auto code = Text(e, "ansvar");
      if (!code) return Err(path + ".ansvar", "missing (required)");
      auto ansvar = core::ParseAnsvar(*code);
      if (!ansvar) return Err(path + ".ansvar", "unknown code '" + *code + "'");
      core::Responsibility r;
      r.ansvar = *ansvar;
      if (auto g = Text(e, "ansvarlig")) {
        auto id = NationalId(*g, path + ".ansvarlig", ids, nullptr);
        if (!id) return tl::unexpected(id.error());
        r.guardian_id = *id;
      } else if (const json::object* u = Object(e, "ansvarligUtenIdentifikator")) {
        if (const json::object* n = Object(*u, "navn")) r.guardian_name_without_id = NameOf(*n);
      }
      p.responsibility.push_back(std::move(r));
    }
  }
  return p;
}

namespace {

std::string_view LocalName(const char* name) {
  const char* colon = std::strchr(name, ':');
  return colon ? std::string_view(colon + 1) : std::string_view(name);
}

bool HasElementChild(const pugi::xml_node& n) {
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) return true;
  }
  return false;
}

json::value Convert(const pugi::xml_node& n);

void AddChild(json::object& o, std::string_view key, json::value v, bool always_array) {
  json::value* existing = o.if_contains(key);
  if (!existing) {
    if (always_array) {
      json::array a;
      a.push_back(std::move(v));
      o[key] = std::move(a);
    } else {
      o[key] = std::move(v);
    }
    return;
  }
  if (!existing->is_array()) {
    json::array a;
    a.push_back(std::move(*existing));
    *existing = std::move(a);
  }
  existing->get_array().push_back(std::move(v));
}

json::value Convert(const pugi::xml_node& n) {
  if (!HasElementChild(n)) return json::value(n.child_value());
  json::object o;
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    AddChild(o, LocalName(c.name()), Convert(c), false);
  }
  return o;
}

}  // namespace

json::object XmlToFregJson(const pugi::xml_node& person) {
  json::object o;
  for (pugi::xml_node c = person.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    AddChild(o, LocalName(c.name()), Convert(c), true);
  }
  return o;
}

}  // namespace enrol::freg
