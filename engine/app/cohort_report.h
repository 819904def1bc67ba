#pragma once
// Use cases: the cohort of a school year and grade with placements, and the
// explanation of one person's placement.

#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/app/ports.h"
#include "engine/app/settings.h"
#include "engine/core/cohort.h"

namespace enrol::app {

struct CohortReport {
  int school_year = 0;
  int grade = 0;
  int birth_year = 0;
  // Entries point into these; the report owns them and is not copied.
  std::vector<StoredPerson> children;
  std::unordered_map<std::string, StoredPerson> guardians;
  std::vector<core::CohortEntry> entries;  // in children's order, excluded too

  std::map<std::string, int> by_outcome;   // outcome -> count
  std::map<std::string, int> by_reason;    // manual reason -> count
  std::map<std::string, int> by_exclusion;
  std::map<std::string, int> by_school;    // school id -> letters due

  CohortReport() = default;
  CohortReport(const CohortReport&) = delete;
  CohortReport& operator=(const CohortReport&) = delete;
  CohortReport(CohortReport&&) = default;
  CohortReport& operator=(CohortReport&&) = default;
};

// Grades with an intake letter round.
bool IsIntakeGrade(int grade);

// Builds the cohort; kInvalidArgument for a grade other than 1, 5 or 8.
[[nodiscard]] Result<std::unique_ptr<CohortReport>> BuildCohort(PersonStore& store,
                                                                const Settings& settings,
                                                                int school_year, int grade);

// Resolves "P123" (internal reference) or an 11-digit national id.
[[nodiscard]] Result<StoredPerson> FindPerson(PersonStore& store, std::string_view ref);

// "P123".
std::string PersonRef(int64_t key);

struct PlacementExplanation {
  StoredPerson person;
  int school_year = 0;
  int grade = 0;
  bool address_withheld = false;  // protected: nothing about the address shown
  std::string address_line;       // street line, when not withheld
  std::vector<core::PlacementStep> steps;
  std::unique_ptr<CohortReport> cohort;  // holds the entry below
  const core::CohortEntry* entry = nullptr;
};

// Explains where the person is placed in `school_year` for the grade they
// enter that year by age (or `grade` when non-zero).
[[nodiscard]] Result<PlacementExplanation> ExplainPlacementOf(PersonStore& store,
                                                              const Settings& settings,
                                                              std::string_view ref,
                                                              int school_year, int grade);

// The school year the next intake is for: from July on, the one starting next
// August; before, the one starting this August.
int DefaultSchoolYear(std::chrono::system_clock::time_point now);

}  // namespace enrol::app
