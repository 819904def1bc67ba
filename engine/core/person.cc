#include "engine/core/person.h"

#include <algorithm>
#include <array>
#include <utility>

namespace enrol::core {
namespace {

template <typename E, size_t N>
std::optional<E> Lookup(const std::array<std::pair<E, std::string_view>, N>& table,
                        std::string_view code) {
  for (const auto& [e, c] : table) {
    if (c == code) return e;
  }
  return std::nullopt;
}
template <typename E, size_t N>
std::string_view CodeOf(const std::array<std::pair<E, std::string_view>, N>& table, E e) {
  for (const auto& [v, c] : table) {
    if (v == e) return c;
  }
  return "?";
}

constexpr std::array<std::pair<PersonStatus, std::string_view>, 10> kStatus = {{
    {PersonStatus::kBosatt, "bosatt"},
    {PersonStatus::kUtflyttet, "utflyttet"},
    {PersonStatus::kForsvunnet, "forsvunnet"},
    {PersonStatus::kDoed, "doed"},
    {PersonStatus::kOpphoert, "opphoert"},
    {PersonStatus::kFoedselsregistrert, "foedselsregistrert"},
    {PersonStatus::kMidlertidig, "midlertidig"},
    {PersonStatus::kInaktiv, "inaktiv"},
    {PersonStatus::kIkkeBosatt, "ikkeBosatt"},
    {PersonStatus::kAktiv, "aktiv"},
}};
constexpr std::array<std::pair<Gradering, std::string_view>, 4> kGradering = {{
    {Gradering::kUgradert, "ugradert"},
    {Gradering::kKlientadresse, "klientadresse"},
    {Gradering::kFortrolig, "fortrolig"},
    {Gradering::kStrengtFortrolig, "strengtFortrolig"},
}};
constexpr std::array<std::pair<Ansvar, std::string_view>, 6> kAnsvar = {{
    {Ansvar::kFelles, "felles"},
    {Ansvar::kMor, "mor"},
    {Ansvar::kFar, "far"},
    {Ansvar::kMedmor, "medmor"},
    {Ansvar::kAndre, "andre"},
    {Ansvar::kUkjent, "ukjent"},
}};
constexpr std::array<std::pair<AddressKind, std::string_view>, 3> kAddressKind = {{
    {AddressKind::kVegadresse, "vegadresse"},
    {AddressKind::kMatrikkeladresse, "matrikkeladresse"},
    {AddressKind::kUkjentBosted, "ukjentBosted"},
}};

}  // namespace

std::string_view PersonStatusCode(PersonStatus s) { return CodeOf(kStatus, s); }
std::optional<PersonStatus> ParsePersonStatus(std::string_view c) { return Lookup(kStatus, c); }
std::string_view GraderingCode(Gradering g) { return CodeOf(kGradering, g); }
std::optional<Gradering> ParseGradering(std::string_view c) { return Lookup(kGradering, c); }
std::string_view AnsvarCode(Ansvar a) { return CodeOf(kAnsvar, a); }
std::optional<Ansvar> ParseAnsvar(std::string_view c) { return Lookup(kAnsvar, c); }
std::string_view AddressKindCode(AddressKind k) { return CodeOf(kAddressKind, k); }
std::optional<AddressKind> ParseAddressKind(std::string_view c) {
  return Lookup(kAddressKind, c);
}

std::string Name::Full() const {
  std::string s = fornavn;
  if (!mellomnavn.empty()) s += " " + mellomnavn;
  if (!etternavn.empty()) s += " " + etternavn;
  return s;
}

std::string Address::StreetLine() const {
  switch (kind) {
    case AddressKind::kVegadresse: {
      std::string s = adressenavn;
      if (husnummer > 0) s += " " + std::to_string(husnummer);
      if (!husbokstav.empty()) s += " " + husbokstav;
      return s;
    }
    case AddressKind::kMatrikkeladresse:
      return "gnr. " + std::to_string(gaardsnummer) + " bnr. " + std::to_string(bruksnummer);
    case AddressKind::kUkjentBosted:
      return "ukjent bosted";
  }
  return "";
}

Gradering Person::EffectiveProtection() const {
  Gradering g = protection;
  auto stricter = [&](Gradering other) {
    if (static_cast<int>(other) > static_cast<int>(g)) g = other;
  };
  if (home) stricter(home->gradering);
  if (stay) stricter(stay->gradering);
  for (const Address& a : shared_home) stricter(a.gradering);
  return g;
}

std::string_view PersonChangeCode(PersonChange c) {
  switch (c) {
    case PersonChange::kNew: return "new";
    case PersonChange::kMoved: return "moved";
    case PersonChange::kLeftMunicipality: return "left_municipality";
    case PersonChange::kDied: return "died";
    case PersonChange::kProtectionChanged: return "protection_changed";
    case PersonChange::kGuardiansChanged: return "guardians_changed";
    case PersonChange::kStatusChanged: return "status_changed";
    case PersonChange::kOtherChanged: return "other_changed";
  }
  return "?";
}

std::string ResidenceMunicipality(const Person& p) {
  if (p.home && !(p.home->kind == AddressKind::kUkjentBosted && p.home->kommunenummer.empty())) {
    return p.home->kommunenummer;
  }
  if (p.stay) return p.stay->kommunenummer;
  return p.home ? p.home->kommunenummer : "";
}

std::vector<PersonChange> DiffPerson(const Person& before, const Person& after,
                                     std::string_view municipality) {
  std::vector<PersonChange> changes;
  const bool died = after.status == PersonStatus::kDoed && before.status != PersonStatus::kDoed;
  if (died) changes.push_back(PersonChange::kDied);
  const std::string was_in = ResidenceMunicipality(before);
  const std::string now_in = ResidenceMunicipality(after);
  const bool left = (was_in == municipality && now_in != municipality) ||
                    (after.status == PersonStatus::kUtflyttet &&
                     before.status != PersonStatus::kUtflyttet);
  if (left) {
    changes.push_back(PersonChange::kLeftMunicipality);
  } else if (before.home != after.home || before.stay != after.stay ||
             before.shared_home != after.shared_home) {
    // A gradering-only change of an address is a protection change, not a move.
    auto without_gradering = [](std::optional<Address> a) {
      if (a) a->gradering = Gradering::kUgradert;
      return a;
    };
    if (without_gradering(before.home) != without_gradering(after.home) ||
        without_gradering(before.stay) != without_gradering(after.stay) ||
        before.shared_home.size() != after.shared_home.size()) {
      changes.push_back(PersonChange::kMoved);
    }
  }
  if (before.EffectiveProtection() != after.EffectiveProtection()) {
    changes.push_back(PersonChange::kProtectionChanged);
  }
  if (before.responsibility != after.responsibility) {
    changes.push_back(PersonChange::kGuardiansChanged);
  }
  if (before.status != after.status && !died && !left) {
    changes.push_back(PersonChange::kStatusChanged);
  }
  if (changes.empty() && !(before == after)) changes.push_back(PersonChange::kOtherChanged);
  return changes;
}

}  // namespace enrol::core
