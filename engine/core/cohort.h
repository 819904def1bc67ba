#pragma once
// Cohorts: which children a school year's intake covers for a grade, where
// each is placed, whether a letter is due, and which need a person's hands.
//
// For school year Y/Y+1: grade 1 = born Y-6, grade 5 = born Y-10, grade 8 =
// born Y-13 (the calendar year; 31 December and 1 January fall on either side).

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/municipality.h"
#include "engine/core/person.h"
#include "engine/core/placement.h"

namespace enrol::core {

// Birth year of the children who start `grade` in school year `school_year`.
constexpr int BirthYearForGrade(int school_year, int grade) { return school_year - 5 - grade; }
// Grade a child born in `birth_year` is in during `school_year` (by age).
constexpr int GradeForBirthYear(int school_year, int birth_year) {
  return school_year - 5 - birth_year;
}

// Why a child's case goes to manual handling. A child may have several.
enum class ManualReason {
  kProtectedAddress,     // the child's address is fortrolig/strengt fortrolig
  kGuardianProtected,    // a guardian's address is protected
  kDNumberOnly,          // no fødselsnummer, only a D-number
  kUnknownResidence,     // ukjentBosted
  kStatusNeedsReview,    // status other than bosatt (e.g. foedselsregistrert)
  kNoGuardian,           // no living guardian with parental responsibility
  kGuardianUnreachable,  // guardians known, but none has a register document
  kGuardianDocumentMissing,  // one guardian with parental responsibility has no register document
  kUnplaced,             // no placement rule matched the address
};
std::string_view ManualReasonCode(ManualReason r);
std::string_view ManualReasonText(ManualReason r);  // Norwegian, for people

// Why a child of the right age is not in the cohort at all.
enum class Exclusion { kNone, kDied, kEmigrated, kOtherMunicipality, kNotResident };
std::string_view ExclusionCode(Exclusion e);

enum class Outcome {
  kLetter,    // placed, and a decision letter is due
  kNoLetter,  // placed, stays at the same school (grades 5 and 8)
  kManual,    // a person must handle the case
  kExcluded,  // not the municipality's to enrol
};
std::string_view OutcomeCode(Outcome o);

struct Guardian {
  Responsibility responsibility;
  const Person* person = nullptr;  // null when the extract lacks the document
  bool document_missing = false;
  bool protected_address = false;
};

struct CohortEntry {
  const Person* child = nullptr;
  int grade = 0;
  Outcome outcome = Outcome::kManual;
  Exclusion exclusion = Exclusion::kNone;
  std::optional<Placement> placement;  // absent when the address may not be used
  std::optional<Placement> previous;   // grade-1 placement, for grades 5 and 8
  std::vector<ManualReason> reasons;
  std::vector<Guardian> guardians;
};

// Finds a person of the extract by national id; null when absent.
using PersonLookup = std::function<const Person*(std::string_view id)>;

// Decides a child's entry in the cohort for `grade` in `school_year`. The
// child's birth year is not checked here (the caller selects by it).
CohortEntry EvaluateChild(const Person& child, int school_year, int grade,
                          const Municipality& municipality, const PersonLookup& lookup);

}  // namespace enrol::core
