#include "connectors/register/freg_mapper.h"

#include <cstring>

#include <algorithm>

#include <boost/container/small_vector.hpp>

namespace enrol::freg {
namespace {

using Unexpected = tl::unexpected<MapError>;
using Kind = FlatDoc::Kind;

Unexpected Err(std::string field, std::string message) {
  return Unexpected(MapError{std::move(field), std::move(message)});
}

// A node of the document being mapped.
struct Node {
  const FlatDoc* doc;
  int n;
  explicit operator bool() const { return n != FlatDoc::kNone; }
  Node Find(std::string_view key) const { return Node{doc, n == FlatDoc::kNone ? n : doc->Find(n, key)}; }
  Kind kind() const { return doc->KindOf(n); }
};

// Most elements have one to three versions: kept on the stack.
using Entries = boost::container::small_vector<Node, 6>;
using Indices = boost::container::small_vector<size_t, 6>;

// The entries of a historised element: an array of objects, or (XML, or
// doedsfall in JSON) an object.
Entries EntriesOf(Node doc, std::string_view key) {
  Entries out;
  const Node v = doc.Find(key);
  if (!v) return out;
  if (v.kind() == Kind::kObject) {
    out.push_back(v);
  } else if (v.kind() == Kind::kArray) {
    for (int c = v.doc->FirstChild(v.n); c != FlatDoc::kNone; c = v.doc->NextSibling(c)) {
      if (v.doc->KindOf(c) == Kind::kObject) out.push_back(Node{v.doc, c});
    }
  }
  return out;
}

// erGjeldende as bool: JSON true/false or the XML text "true"/"false".
std::optional<bool> Gjeldende(Node o) {
  const Node v = o.Find("erGjeldende");
  if (!v) return std::nullopt;
  if (v.kind() == Kind::kBool || v.kind() == Kind::kString) {
    const std::string_view t = v.doc->Text(v.n);
    return t == "true" || t == "1";
  }
  return std::nullopt;
}

// Indices of the current entries: those with erGjeldende true; where no entry
// carries the flag at all, every entry (a document without history).
Indices CurrentIndices(const Entries& entries) {
  Indices out;
  bool any_flag = false;
  for (size_t i = 0; i < entries.size(); ++i) {
    auto g = Gjeldende(entries[i]);
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

// A scalar as text: strings as they are, numbers as written. The view lives
// as long as the document.
std::optional<std::string_view> Text(Node o, std::string_view key) {
  const Node v = o.Find(key);
  if (!v) return std::nullopt;
  if (v.kind() == Kind::kString || v.kind() == Kind::kNumber) return v.doc->Text(v.n);
  return std::nullopt;
}

// A nested object (or the first of an array of objects).
Node Object(Node o, std::string_view key) {
  const Node v = o.Find(key);
  if (!v) return v;
  if (v.kind() == Kind::kObject) return v;
  if (v.kind() == Kind::kArray) {
    const int c = v.doc->FirstChild(v.n);
    if (c != FlatDoc::kNone && v.doc->KindOf(c) == Kind::kObject) return Node{v.doc, c};
  }
  return Node{v.doc, FlatDoc::kNone};
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

tl::expected<std::optional<long>, MapError> Integer(Node o, std::string_view key,
                                                    const std::string& path) {
  const Node v = o.Find(key);
  if (!v || v.kind() == Kind::kNull) return std::optional<long>();
  const std::string_view t = v.doc->Text(v.n);
  if ((v.kind() == Kind::kNumber || v.kind() == Kind::kString) && AllDigits(t) && t.size() < 18) {
    return std::optional<long>(std::stol(std::string(t)));
  }
  return Err(path + "." + std::string(key), "must be a whole number");
}

tl::expected<std::string, MapError> Kommunenummer(Node o, std::string_view key,
                                                  const std::string& path, bool required) {
  auto t = Text(o, key);
  if (!t) {
    if (required) return Err(path + "." + std::string(key), "missing (required)");
    return std::string();
  }
  if (t->size() != 4 || !AllDigits(*t)) {
    return Err(path + "." + std::string(key), "must be a 4-digit kommunenummer");
  }
  return std::string(*t);
}

tl::expected<std::string, MapError> NationalId(std::string_view value, const std::string& field,
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

tl::expected<core::Gradering, MapError> GraderingOf(Node o, std::string_view key,
                                                    const std::string& path) {
  auto t = Text(o, key);
  if (!t) return core::Gradering::kUgradert;
  auto g = core::ParseGradering(*t);
  if (!g) return Err(path + "." + std::string(key), "unknown code '" + std::string(*t) + "'");
  return *g;
}

tl::expected<std::optional<core::Date>, MapError> DateField(Node o,
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
tl::expected<bool, MapError> FillAddress(Node e, const std::string& path,
                                         bool required, core::Address* a) {
  int kinds = 0;
  if (const Node v = Object(e, "vegadresse")) {
    ++kinds;
    const std::string p = path + ".vegadresse";
    a->kind = core::AddressKind::kVegadresse;
    auto kn = Kommunenummer(v, "kommunenummer", p, true);
    if (!kn) return tl::unexpected(kn.error());
    a->kommunenummer = *kn;
    auto navn = Text(v, "adressenavn");
    if (!navn || navn->empty()) return Err(p + ".adressenavn", "missing (required)");
    a->adressenavn = *navn;
    a->adressekode = Text(v, "adressekode").value_or("");
    a->bruksenhetsnummer = Text(v, "bruksenhetsnummer").value_or("");
    if (const Node nr = Object(v, "adressenummer")) {
      auto hn = Text(nr, "husnummer");
      if (!hn || hn->size() > 4 || !AllDigits(*hn)) {
        return Err(p + ".adressenummer.husnummer", "must be 1 to 4 digits");
      }
      a->husnummer = std::stoi(std::string(*hn));
      a->husbokstav = Text(nr, "husbokstav").value_or("");
    }
    if (const Node ps = Object(v, "poststed")) {
      a->postnummer = Text(ps, "postnummer").value_or("");
      a->poststed = Text(ps, "poststedsnavn").value_or("");
    }
  }
  if (const Node m = Object(e, "matrikkeladresse")) {
    ++kinds;
    const std::string p = path + ".matrikkeladresse";
    a->kind = core::AddressKind::kMatrikkeladresse;
    const Node mn = Object(m, "matrikkelnummer");
    if (!mn) return Err(p + ".matrikkelnummer", "missing (required)");
    auto kn = Kommunenummer(mn, "kommunenummer", p + ".matrikkelnummer", true);
    if (!kn) return tl::unexpected(kn.error());
    a->kommunenummer = *kn;
    auto g = Integer(mn, "gaardsnummer", p + ".matrikkelnummer");
    if (!g) return tl::unexpected(g.error());
    auto b = Integer(mn, "bruksnummer", p + ".matrikkelnummer");
    if (!b) return tl::unexpected(b.error());
    auto f = Integer(mn, "festenummer", p + ".matrikkelnummer");
    if (!f) return tl::unexpected(f.error());
    a->gaardsnummer = g->value_or(0);
    a->bruksnummer = b->value_or(0);
    a->festenummer = f->value_or(0);
    if (const Node ps = Object(m, "poststed")) {
      a->postnummer = Text(ps, "postnummer").value_or("");
      a->poststed = Text(ps, "poststedsnavn").value_or("");
    }
  }
  if (e.Find("ukjentBosted")) {
    ++kinds;
    a->kind = core::AddressKind::kUkjentBosted;
    if (const Node u = Object(e, "ukjentBosted")) {
      auto kn = Kommunenummer(u, "bostedskommune", path + ".ukjentBosted", false);
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

// The single current entry of an element, or a null node. `index` gets its
// position.
Node CurrentOne(Node doc, std::string_view key, size_t* index) {
  auto entries = EntriesOf(doc, key);
  auto current = CurrentIndices(entries);
  if (current.empty()) return Node{doc.doc, FlatDoc::kNone};
  *index = current.front();
  return entries[current.front()];
}

core::Name NameOf(Node n) {
  return core::Name{std::string(Text(n, "fornavn").value_or("")),
                    std::string(Text(n, "mellomnavn").value_or("")),
                    std::string(Text(n, "etternavn").value_or(""))};
}

}  // namespace

tl::expected<core::Person, MapError> MapFregPerson(const FlatDoc& flat, int root,
                                                   const core::NationalIdOptions& ids) {
  core::Person p;
  const Node doc{&flat, root};
  if (!doc || flat.KindOf(root) != Kind::kObject) return Err("", "not a JSON object");

  // Identity: the current number in use.
  {
    auto entries = EntriesOf(doc, "identifikasjonsnummer");
    Node chosen{&flat, FlatDoc::kNone};
    size_t chosen_index = 0;
    for (size_t i : CurrentIndices(entries)) {
      auto status = Text(entries[i], "status");
      if (!status || *status == "iBruk") {
        chosen = entries[i];
        chosen_index = i;
        break;
      }
    }
    if (!chosen) return Err("identifikasjonsnummer", "missing (required): no current number in use");
    const std::string path = Path("identifikasjonsnummer", chosen_index);
    auto value = Text(chosen, "foedselsEllerDNummer");
    if (!value) return Err(path + ".foedselsEllerDNummer", "missing (required)");
    auto id = NationalId(*value, path + ".foedselsEllerDNummer", ids, &p.id_kind);
    if (!id) return tl::unexpected(id.error());
    p.id = *id;
    if (auto type = Text(chosen, "identifikatortype")) {
      if (*type != "foedselsnummer" && *type != "dNummer") {
        return Err(path + ".identifikatortype", "unknown code '" + std::string(*type) + "'");
      }
      const bool says_d = *type == "dNummer";
      if (says_d != (p.id_kind == core::NationalIdKind::kDNummer)) {
        return Err(path + ".identifikatortype",
                   "says " + std::string(*type) + " but the number is a " +
                       std::string(core::NationalIdKindName(p.id_kind)));
      }
    }
  }

  // Status.
  {
    size_t i = 0;
    const Node s = CurrentOne(doc, "status", &i);
    if (!s) return Err("status", "missing (required)");
    auto code = Text(s, "status");
    if (!code) return Err(Path("status", i) + ".status", "missing (required)");
    auto st = core::ParsePersonStatus(*code);
    if (!st) return Err(Path("status", i) + ".status", "unknown code '" + std::string(*code) + "'");
    p.status = *st;
  }

  // Birth: foedselsdato, else foedselsaar.
  {
    size_t i = 0;
    const Node f = CurrentOne(doc, "foedsel", &i);
    if (!f) return Err("foedsel", "missing (required)");
    const std::string path = Path("foedsel", i);
    auto date = DateField(f, "foedselsdato", path);
    if (!date) return tl::unexpected(date.error());
    p.birth_date = *date;
    auto year = Text(f, "foedselsaar");
    if (year) {
      if (year->size() != 4 || !AllDigits(*year)) return Err(path + ".foedselsaar", "must be a 4-digit year");
      p.birth_year = std::stoi(std::string(*year));
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
    const Node n = CurrentOne(doc, "navn", &i);
    if (!n) return Err("navn", "missing (required)");
    p.name = NameOf(n);
    if (p.name.fornavn.empty()) return Err(Path("navn", i) + ".fornavn", "missing (required)");
    if (p.name.etternavn.empty()) return Err(Path("navn", i) + ".etternavn", "missing (required)");
  }

  {
    size_t i = 0;
    if (const Node k = CurrentOne(doc, "kjoenn", &i)) {
      auto code = Text(k, "kjoenn");
      if (code && *code != "kvinne" && *code != "mann") {
        return Err(Path("kjoenn", i) + ".kjoenn", "unknown code '" + std::string(*code) + "'");
      }
      p.kjoenn = code.value_or("");
    }
  }

  {
    size_t i = 0;
    if (const Node d = CurrentOne(doc, "doedsfall", &i)) {
      auto date = DateField(d, "doedsdato", Path("doedsfall", i));
      if (!date) return tl::unexpected(date.error());
      p.death_date = *date;
    }
  }

  {
    size_t i = 0;
    if (const Node b = CurrentOne(doc, "bostedsadresse", &i)) {
      core::Address a;
      auto ok = FillAddress(b, Path("bostedsadresse", i), true, &a);
      if (!ok) return tl::unexpected(ok.error());
      p.home = std::move(a);
    }
  }
  {
    size_t i = 0;
    if (const Node o = CurrentOne(doc, "oppholdsadresse", &i)) {
      core::Address a;
      auto ok = FillAddress(o, Path("oppholdsadresse", i), false, &a);
      if (!ok) return tl::unexpected(ok.error());
      if (*ok) p.stay = std::move(a);
    }
  }
  {
    auto entries = EntriesOf(doc, "deltBosted");
    for (size_t i : CurrentIndices(entries)) {
      core::Address a;
      auto ok = FillAddress(entries[i], Path("deltBosted", i), false, &a);
      if (!ok) return tl::unexpected(ok.error());
      if (*ok) p.shared_home.push_back(std::move(a));
    }
  }
  {
    auto entries = EntriesOf(doc, "adressebeskyttelse");
    for (size_t i : CurrentIndices(entries)) {
      auto g = GraderingOf(entries[i], "graderingsnivaa", Path("adressebeskyttelse", i));
      if (!g) return tl::unexpected(g.error());
      if (static_cast<int>(*g) > static_cast<int>(p.protection)) p.protection = *g;
    }
  }
  {
    auto entries = EntriesOf(doc, "foreldreansvar");
    for (size_t i : CurrentIndices(entries)) {
      const Node e = entries[i];
      const std::string path = Path("foreldreansvar", i);
      if (auto subject = Text(e, "ansvarssubjekt"); subject && *subject != p.id) {
        continue;  // this person is the responsible one, not the child
      }
      auto code = Text(e, "ansvar");
      if (!code) return Err(path + ".ansvar", "missing (required)");
      auto ansvar = core::ParseAnsvar(*code);
      if (!ansvar) return Err(path + ".ansvar", "unknown code '" + std::string(*code) + "'");
      core::Responsibility r;
      r.ansvar = *ansvar;
      if (auto g = Text(e, "ansvarlig")) {
        auto id = NationalId(*g, path + ".ansvarlig", ids, nullptr);
        if (!id) return tl::unexpected(id.error());
        r.guardian_id = *id;
      } else if (const Node u = Object(e, "ansvarligUtenIdentifikator")) {
        if (const Node n = Object(u, "navn")) r.guardian_name_without_id = NameOf(n);
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

void Convert(const pugi::xml_node& n, FlatDoc& doc) {
  const uint32_t key_off = doc.ArenaSize();
  doc.AppendText(LocalName(n.name()));
  const uint32_t key_len = doc.ArenaSize() - key_off;
  if (!HasElementChild(n)) {
    const uint32_t off = doc.ArenaSize();
    doc.AppendText(n.child_value());
    doc.Scalar(Kind::kString, key_off, key_len, off, doc.ArenaSize() - off);
    return;
  }
  doc.Begin(Kind::kObject, key_off, key_len);
  for (pugi::xml_node c = n.first_child(); c; c = c.next_sibling()) {
    if (c.type() == pugi::node_element) Convert(c, doc);
  }
  doc.End();
}

}  // namespace

void XmlToFlatDoc(const pugi::xml_node& person, FlatDoc& doc) {
  doc.Clear();
  doc.Begin(Kind::kObject, 0, 0);
  // Each element of the person becomes an array of its versions, as in JSON:
  // group the children by name, keeping document order of first appearance.
  std::vector<std::string_view> names;
  for (pugi::xml_node c = person.first_child(); c; c = c.next_sibling()) {
    if (c.type() != pugi::node_element) continue;
    const std::string_view name = LocalName(c.name());
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  for (std::string_view name : names) {
    const uint32_t key_off = doc.ArenaSize();
    doc.AppendText(name);
    doc.Begin(Kind::kArray, key_off, doc.ArenaSize() - key_off);
    for (pugi::xml_node c = person.first_child(); c; c = c.next_sibling()) {
      if (c.type() == pugi::node_element && LocalName(c.name()) == name) Convert(c, doc);
    }
    doc.End();
  }
  doc.End();
}

}  // namespace enrol::freg
