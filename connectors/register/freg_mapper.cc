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

// Type errors found on the way (a number where a string belongs, null in an
// array of entries): the first one is the record's error.
struct MapContext {
  const FlatDoc* doc;
  std::optional<MapError> error;
  void Fail(int n, std::string what) {
    if (!error) error = MapError{doc->PathOf(n), std::move(what)};
  }
};

const char* KindName(Kind k) {
  switch (k) {
    case Kind::kObject: return "an object";
    case Kind::kArray: return "an array";
    case Kind::kString: return "a string";
    case Kind::kNumber: return "a number";
    case Kind::kBool: return "true or false";
    case Kind::kNull: return "null";
  }
  return "a value";
}

// A node of the document being mapped.
struct Node {
  const FlatDoc* doc;
  int n;
  MapContext* ctx;
  explicit operator bool() const { return n != FlatDoc::kNone; }
  Node At(int m) const { return Node{doc, m, ctx}; }
  Node Find(std::string_view key) const { return At(n == FlatDoc::kNone ? n : doc->Find(n, key)); }
  Kind kind() const { return doc->KindOf(n); }
  bool json() const { return doc->FromJson(); }
  void Fail(std::string what) const { ctx->Fail(n, std::move(what)); }
  void WrongType(const char* expected) const {
    Fail(std::string("must be ") + expected + ", not " + KindName(kind()));
  }
};

// Most elements have one to three versions: kept on the stack.
using Entries = boost::container::small_vector<Node, 6>;
using Indices = boost::container::small_vector<size_t, 6>;

// The entries of a historised element: in JSON an array of objects (or, for
// doedsfall, an object); in XML each element of that name.
Entries EntriesOf(Node doc, std::string_view key) {
  Entries out;
  for (int c = doc.doc->FirstChild(doc.n); c != FlatDoc::kNone; c = doc.doc->NextSibling(c)) {
    if (doc.doc->Key(c) != key) continue;
    const Node v = doc.At(c);
    if (!v.json() || v.kind() == Kind::kObject) {
      out.push_back(v);
    } else if (v.kind() == Kind::kArray) {
      for (int e = v.doc->FirstChild(v.n); e != FlatDoc::kNone; e = v.doc->NextSibling(e)) {
        if (v.doc->KindOf(e) == Kind::kObject) {
          out.push_back(v.At(e));
        } else {
          v.At(e).WrongType("an object");
        }
      }
    } else {
      v.WrongType("an array of objects");
    }
  }
  return out;
}

// erGjeldende: JSON true/false, the XML text "true"/"false" (or 1/0).
std::optional<bool> Gjeldende(Node o) {
  const Node v = o.Find("erGjeldende");
  if (!v) return std::nullopt;
  if (v.json()) {
    if (v.kind() == Kind::kBool) return v.doc->Text(v.n) == "true";
    v.WrongType("true or false");
    return std::nullopt;
  }
  const std::string_view t = v.kind() == Kind::kString ? v.doc->Text(v.n) : "";
  if (t == "true" || t == "1") return true;
  if (t == "false" || t == "0") return false;
  v.Fail("must be true or false");
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

// A string field (in XML, an element's text). The view lives as long as the
// document. Anything else where a string belongs is a type error.
std::optional<std::string_view> Text(Node o, std::string_view key) {
  const Node v = o.Find(key);
  if (!v) return std::nullopt;
  if (v.kind() == Kind::kString) return v.doc->Text(v.n);
  v.WrongType(v.json() ? "a string" : "text");
  return std::nullopt;
}

// A nested object (in XML, an element; an empty one has no fields).
Node Object(Node o, std::string_view key) {
  const Node v = o.Find(key);
  if (!v) return v;
  if (v.kind() == Kind::kObject) return v;
  if (!v.json() && v.kind() == Kind::kString && v.doc->Text(v.n).empty()) return v;
  v.WrongType(v.json() ? "an object" : "an element with elements inside");
  return o.At(FlatDoc::kNone);
}

// A code value quoted in a message: only what looks like a code (letters,
// at most 40), so that an id or a name in a code field is never repeated.
std::string Quoted(std::string_view code) {
  bool letters = !code.empty() && code.size() <= 40;
  for (char c : code) letters = letters && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
  if (letters) return "'" + std::string(code) + "'";
  return "(" + std::to_string(code.size()) + " characters, not shown)";
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
  if (!v) return std::optional<long>();
  const std::string_view t = v.doc->Text(v.n);
  const Kind want = v.json() ? Kind::kNumber : Kind::kString;
  if (v.kind() == want && AllDigits(t) && t.size() < 18) {
    return std::optional<long>(std::stol(std::string(t)));
  }
  if (v.kind() != want) return Err(path + "." + std::string(key), std::string("must be a whole number, not ") + KindName(v.kind()));
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
  if (!g) return Err(path + "." + std::string(key), "unknown code " + Quoted(*t));
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
  if (current.empty()) return doc.At(FlatDoc::kNone);
  if (current.size() > 1) entries[current[1]].Fail("a second current entry (erGjeldende) of " + std::string(key));
  *index = current.front();
  return entries[current.front()];
}

core::Name NameOf(Node n) {
  return core::Name{std::string(Text(n, "fornavn").value_or("")),
                    std::string(Text(n, "mellomnavn").value_or("")),
                    std::string(Text(n, "etternavn").value_or(""))};
}


tl::expected<core::Person, MapError> MapPerson(const Node doc, const core::NationalIdOptions& ids) {
  const FlatDoc& flat = *doc.doc;
  core::Person p;

  // Identity: the current number in use.
  {
    auto entries = EntriesOf(doc, "identifikasjonsnummer");
    Node chosen{&flat, FlatDoc::kNone};
    size_t chosen_index = 0;
    for (size_t i : CurrentIndices(entries)) {
      auto status = Text(entries[i], "status");
      if (!status || *status == "iBruk") {
        if (chosen) {
          entries[i].Fail("a second current number in use");
          break;
        }
        chosen = entries[i];
        chosen_index = i;
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
        return Err(path + ".identifikatortype", "unknown code " + Quoted(*type));
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
    if (!st) return Err(Path("status", i) + ".status", "unknown code " + Quoted(*code));
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
        return Err(Path("kjoenn", i) + ".kjoenn", "unknown code " + Quoted(*code));
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
      if (!ansvar) return Err(path + ".ansvar", "unknown code " + Quoted(*code));
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

}  // namespace

tl::expected<core::Person, MapError> MapFregPerson(const FlatDoc& flat, int root,
                                                   const core::NationalIdOptions& ids) {
  if (flat.HasProblem()) return Err(flat.ProblemField(), flat.Problem());
  if (root == FlatDoc::kNone || flat.KindOf(root) != Kind::kObject) return Err("", "not a JSON object");
  MapContext ctx{&flat, {}};
  auto person = MapPerson(Node{&flat, root, &ctx}, ids);
  if (ctx.error) return Unexpected(*ctx.error);
  return person;
}

}  // namespace enrol::freg
