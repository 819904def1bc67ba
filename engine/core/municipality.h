#pragma once
// The municipality's set-up as the engine's domain sees it: schools and the
// placement rules. Loaded from config by engine/config; pure data here.

#include <optional>
#include <string>
#include <vector>

namespace enrol::core {

enum class LanguageForm { kBokmaal, kNynorsk };

struct GradeSpan {
  int first = 1;
  int last = 10;
  [[nodiscard]] bool Contains(int grade) const { return grade >= first && grade <= last; }
  bool operator==(const GradeSpan&) const = default;
};

struct School {
  std::string id;             // the municipality's short id, e.g. "S01"
  std::string name;
  std::string org_number;     // 9 digits (Enhetsregisteret)
  std::string address;        // visiting address line
  std::string postnummer;
  std::string poststed;
  std::string phone;
  std::string email;
  GradeSpan grades;
  LanguageForm language = LanguageForm::kBokmaal;
};

enum class Parity { kAll, kOdd, kEven };

// One row of the address table: a street (by code or name), a range of house
// numbers, and the school that serves a span of grades there.
struct AddressRule {
  int row = 0;                 // line in the source table, for explanations
  std::string street_code;     // adressekode; empty matches by name
  std::string street_name;     // compared case-insensitively
  int from_number = 0;         // inclusive; 0 = from the first
  std::string from_letter;     // with from_number: "12B" starts at B
  int to_number = 0;           // inclusive; 0 = to the last
  std::string to_letter;       // with to_number: "20C" ends at C
  Parity parity = Parity::kAll;
  GradeSpan grades;
  std::string school_id;
};

// The register's skolekrets code mapped to the school for a span of grades.
struct SkolekretsRule {
  long skolekrets = 0;
  GradeSpan grades;
  std::string school_id;
};

// When grade 5 and 8 letters are sent.
struct TransitionPolicy {
  bool always_grade5 = false;  // otherwise only when the school changes
  bool always_grade8 = false;
};

// What the register's gaps mean for the letters.
struct GuardianPolicy {
  // A guardian with parental responsibility whose register document is not
  // in the extract: the case goes to manual handling (false), or the
  // decision goes to the guardians the register has (true, the office's
  // choice: register.missing_guardian_document = "send_to_known").
  bool send_to_known_when_one_is_missing = false;
};

struct Municipality {
  std::string number;          // kommunenummer, 4 digits
  std::string name;            // "Fjordvik kommune"
  std::string org_number;
  std::string office_name;     // "Oppvekstkontoret"
  std::string address;
  std::string postnummer;
  std::string poststed;
  std::string phone;
  std::string email;
  std::vector<School> schools;
  std::vector<AddressRule> address_rules;
  std::vector<SkolekretsRule> skolekrets_rules;
  TransitionPolicy transitions;
  GuardianPolicy guardians;

  [[nodiscard]] const School* FindSchool(std::string_view id) const;
};

}  // namespace enrol::core
