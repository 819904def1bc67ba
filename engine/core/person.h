#pragma once
// A person as enrol keeps it: the current (erGjeldende) values of the register
// elements that enrolment needs, normalised from a FREG person document.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/date.h"
#include "engine/core/national_id.h"

namespace enrol::core {

enum class PersonStatus {
  kBosatt, kUtflyttet, kForsvunnet, kDoed, kOpphoert, kFoedselsregistrert,
  kMidlertidig, kInaktiv, kIkkeBosatt, kAktiv,
};

// Adressebeskyttelse / adressegradering levels.
enum class Gradering { kUgradert, kKlientadresse, kFortrolig, kStrengtFortrolig };

// Foreldreansvar types.
enum class Ansvar { kFelles, kMor, kFar, kMedmor, kAndre, kUkjent };

enum class AddressKind { kVegadresse, kMatrikkeladresse, kUkjentBosted };

// Register code <-> enum. The parsers return nullopt for an unknown code.
std::string_view PersonStatusCode(PersonStatus s);
std::optional<PersonStatus> ParsePersonStatus(std::string_view code);
std::string_view GraderingCode(Gradering g);
std::optional<Gradering> ParseGradering(std::string_view code);
std::string_view AnsvarCode(Ansvar a);
std::optional<Ansvar> ParseAnsvar(std::string_view code);
std::string_view AddressKindCode(AddressKind k);
std::optional<AddressKind> ParseAddressKind(std::string_view code);

// True for fortrolig and strengt fortrolig: the address must never leave the
// engine, and the case is handled by hand.
inline bool IsProtected(Gradering g) {
  return g == Gradering::kFortrolig || g == Gradering::kStrengtFortrolig;
}

struct Name {
  std::string fornavn;
  std::string mellomnavn;
  std::string etternavn;
  bool operator==(const Name&) const = default;
  // "Fornavn Mellomnavn Etternavn".
  [[nodiscard]] std::string Full() const;
};

// A bostedsadresse, oppholdsadresse or deltBosted address.
struct Address {
  AddressKind kind = AddressKind::kVegadresse;
  std::string kommunenummer;  // for ukjentBosted: bostedskommune (may be empty)
  // vegadresse
  std::string adressekode;
  std::string adressenavn;
  int husnummer = 0;          // 0 when the address has no number
  std::string husbokstav;
  std::string bruksenhetsnummer;
  // matrikkeladresse
  long gaardsnummer = 0;
  long bruksnummer = 0;
  long festenummer = 0;
  // both
  std::string postnummer;
  std::string poststed;
  std::string adresse_id;     // adresseIdentifikatorFraMatrikkelen
  std::optional<long> skolekrets;
  std::optional<long> grunnkrets;
  Gradering gradering = Gradering::kUgradert;
  std::optional<Date> flyttedato;

  bool operator==(const Address&) const = default;
  // One line for a secretary: "Storgata 12 B" or "gnr. 12 bnr. 4".
  [[nodiscard]] std::string StreetLine() const;
};

// One foreldreansvar entry of a child.
struct Responsibility {
  Ansvar ansvar = Ansvar::kUkjent;
  std::string guardian_id;         // ansvarlig; empty when not identified
  Name guardian_name_without_id;   // ansvarligUtenIdentifikator
  bool operator==(const Responsibility&) const = default;
};

struct Person {
  std::string id;  // foedselsEllerDNummer in use
  NationalIdKind id_kind = NationalIdKind::kFoedselsnummer;
  Name name;
  std::optional<Date> birth_date;
  int birth_year = 0;
  std::string kjoenn;
  PersonStatus status = PersonStatus::kBosatt;
  std::optional<Date> death_date;
  std::optional<Address> home;        // bostedsadresse
  std::optional<Address> stay;        // oppholdsadresse
  std::vector<Address> shared_home;   // deltBosted
  Gradering protection = Gradering::kUgradert;  // adressebeskyttelse
  std::vector<Responsibility> responsibility;   // foreldreansvar for this child
  bool operator==(const Person&) const = default;

  // The strictest of adressebeskyttelse and the gradering of any address.
  [[nodiscard]] Gradering EffectiveProtection() const;
};

// What changed for one person between two extracts.
enum class PersonChange {
  kNew, kMoved, kLeftMunicipality, kDied, kProtectionChanged, kGuardiansChanged,
  kStatusChanged, kOtherChanged,
};
std::string_view PersonChangeCode(PersonChange c);

// Classifies the difference between the stored and the incoming version of a
// person. `municipality` is the configured kommunenummer. Returns an empty
// list when nothing enrolment cares about changed.
std::vector<PersonChange> DiffPerson(const Person& before, const Person& after,
                                     std::string_view municipality);

// The kommunenummer a person lives in by the register (home address, or for
// D-number holders without one, the oppholdsadresse). Empty when unknown.
std::string ResidenceMunicipality(const Person& p);

}  // namespace enrol::core
