#include "connectors/simulators/freg_extract_generator.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <set>
#include <vector>

#include "engine/core/date.h"
#include "engine/core/national_id.h"
#include "engine/core/placement.h"

namespace enrol::sim {
namespace {

// SplitMix64: portable, so a seed gives the same file on every machine
// (std:: distributions differ between standard libraries).
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed * 0x9E3779B97F4A7C15ULL + 1) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  bool Chance(double p) { return (Next() >> 11) * (1.0 / 9007199254740992.0) < p; }
  template <typename T, size_t N>
  const T& Pick(const T (&a)[N]) { return a[Below(static_cast<int>(N))]; }

 private:
  uint64_t s_;
};

const char* const kGirls[] = {"Emma", "Nora", "Sofie", "Ella", "Olivia", "Ingrid", "Sara", "Maja",
                              "Leah", "Frida", "Astrid", "Tiril", "Vilde", "Hedda", "Sigrid",
                              "Thea", "Selma", "Aurora", "Solveig", "Kaja", "Marte", "Live"};
const char* const kBoys[] = {"Jakob", "Emil", "Noah", "Oliver", "Filip", "William", "Lucas",
                             "Henrik", "Oskar", "Aksel", "Magnus", "Sander", "Tobias", "Even",
                             "Ola", "Håkon", "Sivert", "Ørjan", "Torstein", "Vetle", "Iver"};
const char* const kSurnames[] = {"Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen",
                                 "Nilsen", "Kristiansen", "Jensen", "Karlsen", "Berg", "Haugen",
                                 "Hagen", "Bakken", "Solberg", "Strand", "Lie", "Dahl", "Sæther",
                                 "Øien", "Aasen", "Løkken", "Moe", "Bjørnstad", "Grønli"};
const char* const kSamiGirls[] = {"Máret", "Biret", "Ristenn", "Sárá", "Elle", "Ánne", "Iŋgá"};
const char* const kSamiBoys[] = {"Áilu", "Ánte", "Niillas", "Mihkkal", "Ovlla", "Jovnna", "Čuoppa"};
const char* const kSamiSurnames[] = {"Gaup", "Somby", "Utsi", "Sara", "Eira", "Hætta", "Bongo",
                                     "Oskal", "Mienna", "Ŋuolja", "Čalbmeš", "Ánddeš"};
const char* const kForeignGirls[] = {"Fatima", "Aisha", "Zoë", "Zuzanna", "Amira", "Chloé",
                                     "María José", "Thị Hương", "Agnieszka", "Noor", "Yasmin"};
const char* const kForeignBoys[] = {"Mohammed", "Ali", "Łukasz", "José", "François", "Ahmed",
                                    "Mateusz", "Yusuf", "Dawit", "Minh Đức", "Tomáš"};
const char* const kForeignSurnames[] = {"Nguyễn", "Kowalski", "Nowak", "Hassan", "Ahmed",
                                        "Dvořák", "Öztürk", "García Márquez", "Mohamud",
                                        "Jankowski", "Lefèvre", "Abdi", "Tesfaye", "Müller"};
const char* const kMiddle[] = {"Marie", "Sofie", "Elisabeth", "Andre", "Johan", "Kristian"};
const char* const kExtraStreets[] = {"Nybrottsvegen", "Smørblomstvegen", "Myrullvegen", "Blåbærtunet",
                                     "Fjellrevstien", "Reinrosevegen", "Kvitveisbakken"};
const char* const kOtherMunicipalities[] = {"5001", "5028", "5031", "5035", "3301"};

struct Address {
  std::string code, street, letter, postnummer, poststed, kommune;
  int number = 0;
  long skolekrets = -1;
  long grunnkrets = 0;
  std::string matrikkel_id;
  bool unknown = false;  // ukjentBosted
};

struct PersonSpec {
  std::string id;
  bool d_number = false;
  std::string first, middle, last;
  core::Date born;
  bool girl = false;
  std::string status = "bosatt";
  bool deceased = false;
  Address home;
  bool has_home = true;
  std::optional<Address> old_home;
  std::optional<Address> stay;
  std::optional<Address> shared;
  std::string gradering = "ugradert";  // adressebeskyttelse
  std::vector<std::pair<std::string, std::string>> responsibility;  // ansvar, guardian id
  std::vector<std::pair<std::string, std::string>> relations;       // rolle, id
};

// A small element tree written either as XML or JSON.
struct Node {
  enum Kind { kObject, kString, kBool, kInt } kind = kObject;
  std::string name;
  std::string value;
  std::vector<Node> children;

  static Node Obj(std::string n) { return Node{kObject, std::move(n), "", {}}; }
  Node& Add(Node c) {
    children.push_back(std::move(c));
    return children.back();
  }
  Node& Str(std::string n, std::string v) { return Add(Node{kString, std::move(n), std::move(v), {}}); }
  Node& Int(std::string n, long v) { return Add(Node{kInt, std::move(n), std::to_string(v), {}}); }
  Node& Bool(std::string n, bool v) { return Add(Node{kBool, std::move(n), v ? "true" : "false", {}}); }
};

class Writer {
 public:
  Writer(FILE* f, ExtractFormat format) : f_(f), format_(format) {}
  void Begin() {
    if (format_ == ExtractFormat::kXml) {
      Put("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<folkeregisterpersoner xmlns=\"folkeregisteret:tilgjengeliggjoering:person:v1\">\n");
    } else if (format_ == ExtractFormat::kJsonArray) {
      Put("[\n");
    }
  }
  void End() {
    if (format_ == ExtractFormat::kXml) {
      Put("</folkeregisterpersoner>\n");
    } else if (format_ == ExtractFormat::kJsonArray) {
      Put("\n]\n");
    }
  }
  void Person(const Node& person) {
    if (format_ == ExtractFormat::kXml) {
      Xml(person, 1);
    } else {
      if (format_ == ExtractFormat::kJsonArray && count_ > 0) Put(",\n");
      JsonPerson(person);
      if (format_ == ExtractFormat::kNdjson) Put("\n");
    }
    ++count_;
  }

 private:
  void Put(std::string_view s) { std::fwrite(s.data(), 1, s.size(), f_); }
  void Escaped(std::string_view s, bool json) {
    for (char c : s) {
      switch (c) {
        case '<': Put(json ? "<" : "&lt;"); break;
        case '>': Put(json ? ">" : "&gt;"); break;
        case '&': Put(json ? "&" : "&amp;"); break;
        case '"': Put(json ? "\\\"" : "&quot;"); break;
        case '\\': Put(json ? "\\\\" : "\\"); break;
        default: std::fputc(c, f_);
      }
    }
  }
  void Xml(const Node& n, int indent) {
    Put(std::string(static_cast<size_t>(indent) * 2, ' '));
    Put("<");
    Put(n.name);
    if (n.kind != Node::kObject) {
      Put(">");
      Escaped(n.value, false);
      Put("</");
      Put(n.name);
      Put(">\n");
      return;
    }
    Put(">\n");
    for (const Node& c : n.children) Xml(c, indent + 1);
    Put(std::string(static_cast<size_t>(indent) * 2, ' '));
    Put("</");
    Put(n.name);
    Put(">\n");
  }
  void JsonValue(const Node& n) {
    switch (n.kind) {
      case Node::kString:
        Put("\"");
        Escaped(n.value, true);
        Put("\"");
        return;
      case Node::kBool:
      case Node::kInt:
        Put(n.value);
        return;
      case Node::kObject:
        Put("{");
        for (size_t i = 0; i < n.children.size(); ++i) {
          if (i) Put(",");
          Put("\"");
          Put(n.children[i].name);
          Put("\":");
          JsonValue(n.children[i]);
        }
        Put("}");
    }
  }
  // Top-level elements are arrays of versions, as the API delivers them;
  // doedsfall is a single object.
  void JsonPerson(const Node& p) {
    Put("{");
    bool first = true;
    for (size_t i = 0; i < p.children.size();) {
      const std::string& name = p.children[i].name;
      size_t j = i;
      while (j < p.children.size() && p.children[j].name == name) ++j;
      if (!first) Put(",");
      first = false;
      Put("\"");
      Put(name);
      Put("\":");
      if (name == "doedsfall") {
        JsonValue(p.children[i]);
      } else {
        Put("[");
        for (size_t k = i; k < j; ++k) {
          if (k > i) Put(",");
          JsonValue(p.children[k]);
        }
        Put("]");
      }
      i = j;
    }
    Put("}");
  }

  FILE* f_;
  ExtractFormat format_;
  int count_ = 0;
};

class Generator {
 public:
  Generator(const core::Municipality& m, const ExtractOptions& o) : m_(m), o_(o), rng_(o.seed) {
    for (const char* s : kExtraStreets) extra_streets_.push_back(s);
  }

  std::string NewId(const core::Date& born, bool d_number) {
    for (;;) {
      char nine[32];
      const int individ = born.year >= 2000 ? 500 + rng_.Below(500) : rng_.Below(500);
      std::snprintf(nine, sizeof nine, "%02d%02d%02d%03d", born.day + (d_number ? 40 : 0),
                    born.month + 80, born.year % 100, individ);
      char k1, k2;
      if (!core::ComputeCheckDigits(nine, &k1, &k2)) continue;
      std::string id = std::string(nine) + k1 + k2;
      if (used_ids_.insert(id).second) return id;
    }
  }

  core::Date RandomDate(int year) {
    const long first = core::Date{year, 1, 1}.DaysSinceEpoch();
    const int days = core::IsLeapYear(year) ? 366 : 365;
    return core::Date::FromDaysSinceEpoch(first + rng_.Below(days));
  }

  void Name(PersonSpec& p, int origin) {
    if (origin == 1) {
      p.first = p.girl ? rng_.Pick(kSamiGirls) : rng_.Pick(kSamiBoys);
    } else if (origin == 2) {
      p.first = p.girl ? rng_.Pick(kForeignGirls) : rng_.Pick(kForeignBoys);
    } else {
      p.first = p.girl ? rng_.Pick(kGirls) : rng_.Pick(kBoys);
    }
    if (rng_.Chance(0.15)) p.middle = rng_.Pick(kMiddle);
  }

  std::string Surname(int origin) {
    if (origin == 1) return rng_.Pick(kSamiSurnames);
    if (origin == 2) return rng_.Pick(kForeignSurnames);
    std::string s = rng_.Pick(kSurnames);
    if (rng_.Chance(0.1)) s += std::string("-") + rng_.Pick(kSurnames);
    return s;
  }

  // The skolekrets code whose grade-1 school is the one the address table
  // gives for grade 1 at `a`, so both placement rules agree.
  long KretsFor(const Address& a) const {
    core::Address probe;
    probe.adressekode = a.code;
    probe.adressenavn = a.street;
    probe.husnummer = a.number;
    probe.husbokstav = a.letter;
    std::string school;
    for (const core::AddressRule& r : m_.address_rules) {
      if (r.grades.Contains(1) && core::RuleCoversAddress(r, probe)) {
        school = r.school_id;
        break;
      }
    }
    for (const core::SkolekretsRule& k : m_.skolekrets_rules) {
      if (k.school_id == school && k.grades.Contains(1)) return k.skolekrets;
    }
    return -1;
  }

  Address TableAddress() {
    const core::AddressRule& r = m_.address_rules[rng_.Below(static_cast<int>(m_.address_rules.size()))];
    Address a;
    a.code = r.street_code;
    a.street = r.street_name;
    const int lo = r.from_number > 0 ? r.from_number : 1;
    const int hi = r.to_number > 0 ? r.to_number : lo + 80;
    int n = lo + rng_.Below(hi - lo + 1);
    if (r.parity == core::Parity::kOdd && n % 2 == 0) n = n < hi ? n + 1 : n - 1;
    if (r.parity == core::Parity::kEven && n % 2 == 1) n = n < hi ? n + 1 : n - 1;
    a.number = n;
    if (r.from_letter.empty() && r.to_letter.empty() && rng_.Chance(0.1) && n != lo && n != hi) {
      a.letter = std::string(1, static_cast<char>('A' + rng_.Below(3)));
    }
    a.skolekrets = KretsFor(a);
    Finish(a);
    return a;
  }

  Address ExtraAddress(bool with_krets) {
    Address a;
    const int s = rng_.Below(static_cast<int>(extra_streets_.size()));
    a.street = extra_streets_[s];
    a.code = std::to_string(90000 + s);
    a.number = 1 + rng_.Below(40);
    if (with_krets && !m_.skolekrets_rules.empty()) {
      a.skolekrets = m_.skolekrets_rules[rng_.Below(static_cast<int>(m_.skolekrets_rules.size()))].skolekrets;
    }
    Finish(a);
    return a;
  }

  void Finish(Address& a) {
    a.kommune = m_.number;
    uint64_t h = 1469598103934665603ULL;
    for (char c : a.street) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
    char pn[8];
    std::snprintf(pn, sizeof pn, "%04d", 7000 + static_cast<int>(h % 90));
    a.postnummer = pn;
    a.poststed = m_.poststed.empty() ? "FJORDVIK" : m_.poststed;
    for (char& c : a.poststed) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    a.grunnkrets = 100 + static_cast<long>(h % 400);
    a.matrikkel_id = std::to_string(100000000 + (h % 800000000));
  }

  Address HomeAddress() {
    if (rng_.Chance(o_.shares.unplaced)) return ExtraAddress(false);
    if (rng_.Chance(o_.shares.skolekrets_only)) return ExtraAddress(true);
    return TableAddress();
  }

  Node AddressNode(const char* element, const Address& a, const std::string& gradering,
                   bool current, bool shared) {
    Node n = Node::Obj(element);
    Meta(n, current);
    if (a.unknown) {
      Node& u = n.Add(Node::Obj("ukjentBosted"));
      if (!a.kommune.empty()) u.Str("bostedskommune", a.kommune);
    } else {
      Node& v = n.Add(Node::Obj("vegadresse"));
      v.Str("kommunenummer", a.kommune);
      v.Str("bruksenhetstype", "bolig");
      v.Str("adressenavn", a.street);
      Node& nr = v.Add(Node::Obj("adressenummer"));
      nr.Str("husnummer", std::to_string(a.number));
      if (!a.letter.empty()) nr.Str("husbokstav", a.letter);
      v.Str("adressekode", a.code);
      Node& ps = v.Add(Node::Obj("poststed"));
      ps.Str("poststedsnavn", a.poststed);
      ps.Str("postnummer", a.postnummer);
    }
    if (shared) n.Str("startdatoForKontrakt", "2022-01-01");
    if (!a.unknown) n.Str("adresseIdentifikatorFraMatrikkelen", a.matrikkel_id);
    n.Str("adressegradering", gradering);
    if (!shared && !a.unknown) {
      n.Str("flyttedato", current ? "2021-06-01" : "2016-03-01");
      n.Int("grunnkrets", a.grunnkrets);
      if (a.skolekrets >= 0) n.Int("skolekrets", a.skolekrets);
    }
    return n;
  }

  static void Meta(Node& n, bool current) {
    n.Str("ajourholdstidspunkt", current ? "2021-06-01T10:00:00+02:00" : "2016-03-01T10:00:00+01:00");
    n.Bool("erGjeldende", current);
    n.Str("kilde", "skatteetaten");
    n.Str("gyldighetstidspunkt", current ? "2021-06-01T00:00:00+02:00" : "2016-03-01T00:00:00+01:00");
  }

  Node PersonNode(const PersonSpec& p) {
    Node n = Node::Obj("folkeregisterperson");
    {
      Node& i = n.Add(Node::Obj("identifikasjonsnummer"));
      Meta(i, true);
      i.Str("status", "iBruk");
      i.Str("foedselsEllerDNummer", p.id);
      i.Str("identifikatortype", p.d_number ? "dNummer" : "foedselsnummer");
    }
    {
      Node& s = n.Add(Node::Obj("status"));
      Meta(s, true);
      s.Str("status", p.status);
    }
    if (p.deceased) {
      Node& d = n.Add(Node::Obj("doedsfall"));
      Meta(d, true);
      d.Str("doedsdato", core::Date{o_.school_year - 1, 3, 14}.ToString());
    }
    for (const auto& [rolle, id] : p.relations) {
      Node& f = n.Add(Node::Obj("familierelasjon"));
      Meta(f, true);
      f.Str("relatertPerson", id);
      f.Str("relatertPersonsRolle", rolle);
      f.Str("minRolleForPerson", "barn");
    }
    const std::string addr_gradering = p.gradering == "ugradert" ? "ugradert" : p.gradering;
    if (p.has_home) {
      if (p.old_home) n.Add(AddressNode("bostedsadresse", *p.old_home, "ugradert", false, false));
      n.Add(AddressNode("bostedsadresse", p.home, addr_gradering, true, false));
    }
    if (p.shared) n.Add(AddressNode("deltBosted", *p.shared, "ugradert", true, true));
    if (p.stay) {
      Node& o = n.Add(Node::Obj("oppholdsadresse"));
      Meta(o, true);
      Node& v = o.Add(Node::Obj("vegadresse"));
      v.Str("kommunenummer", p.stay->kommune);
      v.Str("adressenavn", p.stay->street);
      Node& nr = v.Add(Node::Obj("adressenummer"));
      nr.Str("husnummer", std::to_string(p.stay->number));
      v.Str("adressekode", p.stay->code);
      o.Str("adressegradering", "ugradert");
    }
    if (p.gradering != "ugradert") {
      Node& g = n.Add(Node::Obj("adressebeskyttelse"));
      Meta(g, true);
      g.Str("graderingsnivaa", p.gradering);
    }
    {
      Node& k = n.Add(Node::Obj("kjoenn"));
      Meta(k, true);
      k.Str("kjoenn", p.girl ? "kvinne" : "mann");
    }
    {
      Node& s = n.Add(Node::Obj("statsborgerskap"));
      Meta(s, true);
      s.Str("statsborgerskap", p.d_number ? "SWE" : "NOR");
    }
    for (const auto& [ansvar, id] : p.responsibility) {
      Node& f = n.Add(Node::Obj("foreldreansvar"));
      Meta(f, true);
      f.Str("ansvar", ansvar);
      f.Str("ansvarssubjekt", p.id);
      f.Str("ansvarlig", id);
    }
    {
      Node& f = n.Add(Node::Obj("foedsel"));
      Meta(f, true);
      f.Str("foedselsdato", p.born.ToString());
      f.Str("foedselsaar", std::to_string(p.born.year));
      f.Str("foedeland", "NOR");
    }
    {
      Node& nm = n.Add(Node::Obj("navn"));
      Meta(nm, true);
      nm.Str("fornavn", p.first);
      if (!p.middle.empty()) nm.Str("mellomnavn", p.middle);
      nm.Str("etternavn", p.last);
    }
    return n;
  }

  int ChildBirthYear() {
    const int y = o_.school_year;
    if (rng_.Chance(0.8)) {
      static constexpr int kCohorts[] = {6, 10, 13};
      return y - kCohorts[rng_.Below(3)];
    }
    static constexpr int kNeighbours[] = {5, 7, 9, 11, 12, 14};
    return y - kNeighbours[rng_.Below(6)];
  }

  Result<ExtractStats> Run(FILE* f) {
    if (m_.address_rules.empty()) {
      return FailedPrecondition("the municipality has no address table to take streets from");
    }
    Writer w(f, o_.format);
    w.Begin();
    ExtractStats stats;
    const ExtractShares& sh = o_.shares;
    int made = 0;
    while (made < o_.children) {
      // A family: guardians, a home, one child (or twins).
      const int origin = rng_.Chance(0.05) ? 1 : (rng_.Chance(0.15) ? 2 : 0);
      const std::string family_name = Surname(origin);
      const int birth_year = ChildBirthYear();
      const bool twins = rng_.Chance(sh.twins) && made + 1 < o_.children;
      const int n_children = twins ? 2 : 1;
      const core::Date born = RandomDate(birth_year);
      Address home = HomeAddress();

      const bool no_guardian = rng_.Chance(sh.no_guardian);
      const int n_guardians = no_guardian ? 0 : (rng_.Chance(sh.one_guardian) ? 1 : 2);
      const bool apart = n_guardians == 2 && rng_.Chance(sh.guardians_apart);
      const bool missing_doc = n_guardians > 0 && rng_.Chance(sh.missing_guardian_document);
      std::string gradering = "ugradert";
      if (rng_.Chance(sh.protected_address)) {
        gradering = rng_.Chance(0.5) ? "fortrolig" : "strengtFortrolig";
      }

      std::vector<PersonSpec> guardians;
      for (int g = 0; g < n_guardians; ++g) {
        PersonSpec gp;
        gp.girl = n_guardians == 1 ? rng_.Chance(0.8) : g == 0;
        gp.born = RandomDate(birth_year - 22 - rng_.Below(22));
        gp.id = NewId(gp.born, false);
        Name(gp, origin);
        gp.last = g == 1 && rng_.Chance(0.4) ? Surname(origin) : family_name;
        gp.home = (g == 1 && apart) ? TableAddress() : home;
        gp.gradering = gradering;
        if (gradering == "strengtFortrolig") gp.home.unknown = true;
        guardians.push_back(std::move(gp));
      }

      for (int c = 0; c < n_children; ++c) {
        PersonSpec child;
        child.girl = rng_.Chance(0.49);
        child.born = born;
        child.d_number = rng_.Chance(sh.d_number);
        child.id = NewId(born, child.d_number);
        Name(child, origin);
        child.last = family_name;
        child.home = home;
        child.gradering = gradering;
        if (gradering == "strengtFortrolig") child.home.unknown = true;
        if (child.d_number) {
          child.status = "midlertidig";
          child.has_home = false;
          child.stay = home;
        } else if (rng_.Chance(sh.unknown_residence)) {
          child.home = Address{};
          child.home.unknown = true;
          child.home.kommune = m_.number;
        } else if (rng_.Chance(sh.moved_out)) {
          if (rng_.Chance(0.5)) {
            child.status = "utflyttet";
            child.home.unknown = true;
            child.home.kommune.clear();
          } else {
            child.home.kommune = rng_.Pick(kOtherMunicipalities);
            child.home.skolekrets = -1;
          }
        } else if (rng_.Chance(sh.deceased)) {
          child.status = "doed";
          child.deceased = true;
        }
        if (child.has_home && !child.home.unknown && rng_.Chance(sh.with_history)) {
          child.old_home = TableAddress();
        }
        if (apart && rng_.Chance(sh.shared_residence / std::max(sh.guardians_apart, 1e-9))) {
          child.shared = guardians[1].home;
        }
        for (size_t g = 0; g < guardians.size(); ++g) {
          const std::string ansvar =
              guardians.size() == 2 ? "felles" : (guardians[g].girl ? "mor" : "far");
          child.responsibility.emplace_back(ansvar, guardians[g].id);
          child.relations.emplace_back(guardians[g].girl ? "mor" : "far", guardians[g].id);
        }
        w.Person(PersonNode(child));
        ++stats.children;
        ++stats.persons_written;
        ++made;
      }
      for (size_t g = 0; g < guardians.size(); ++g) {
        if (missing_doc && g == guardians.size() - 1) continue;
        w.Person(PersonNode(guardians[g]));
        ++stats.guardians;
        ++stats.persons_written;
      }
    }
    w.End();
    return stats;
  }

 private:
  const core::Municipality& m_;
  const ExtractOptions& o_;
  Rng rng_;
  std::set<std::string> used_ids_;
  std::vector<std::string> extra_streets_;
};

}  // namespace

bool SetShare(ExtractShares& s, std::string_view name, double value) {
  const std::pair<std::string_view, double*> kShares[] = {
      {"protected_address", &s.protected_address},
      {"shared_residence", &s.shared_residence},
      {"d_number", &s.d_number},
      {"one_guardian", &s.one_guardian},
      {"guardians_apart", &s.guardians_apart},
      {"twins", &s.twins},
      {"moved_out", &s.moved_out},
      {"deceased", &s.deceased},
      {"missing_guardian_document", &s.missing_guardian_document},
      {"unknown_residence", &s.unknown_residence},
      {"no_guardian", &s.no_guardian},
      {"skolekrets_only", &s.skolekrets_only},
      {"unplaced", &s.unplaced},
      {"with_history", &s.with_history},
  };
  for (const auto& [n, field] : kShares) {
    if (n == name) {
      *field = value;
      return true;
    }
  }
  return false;
}

Result<ExtractStats> GenerateExtract(const core::Municipality& m, const ExtractOptions& o,
                                     const std::string& path) {
  if (o.children < 1) return InvalidArgument("--children must be at least 1");
  const std::string tmp = path + ".part";
  FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return InvalidArgument("cannot write " + path + ": " + std::strerror(errno));
  std::vector<char> buffer(1 << 20);
  std::setvbuf(f, buffer.data(), _IOFBF, buffer.size());
  Generator g(m, o);
  auto stats = g.Run(f);
  const bool write_failed = std::ferror(f) != 0;
  if (stats) stats->bytes = std::ftell(f);
  if (std::fclose(f) != 0 || write_failed || !stats) {
    std::remove(tmp.c_str());
    if (!stats) return stats;
    return Unavailable("writing " + path + " failed (disk full?)");
  }
  // Rename so a reader never sees a half-written extract.
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Unavailable("cannot move the extract into place at " + path);
  }
  return stats;
}

}  // namespace enrol::sim
