#include "engine/app/cohort_report.h"

#include "engine/core/date.h"

#include <ctime>

namespace enrol::app {

bool IsIntakeGrade(int grade) { return grade == 1 || grade == 5 || grade == 8; }

std::string PersonRef(int64_t key) {
  std::string out = "P";  // appended, not "P" + ...: g++ 12 -O3 warns (-Wrestrict) on that
  out += std::to_string(key);
  return out;
}

int DefaultSchoolYear(std::chrono::system_clock::time_point now) {
  // The calendar in Norway decides: 1 July begins at 22:00 UTC on 30 June.
  const core::Date today =
      core::OsloDate(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  return today.month >= 7 ? today.year + 1 : today.year;
}

namespace {

Status LoadGuardians(PersonStore& store, CohortReport& report) {
  for (const StoredPerson& child : report.children) {
    for (const core::Responsibility& r : child.person.responsibility) {
      if (r.guardian_id.empty() || report.guardians.count(r.guardian_id)) continue;
      ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> g, store.FindByNin(r.guardian_id));
      if (g) report.guardians.emplace(r.guardian_id, std::move(*g));
    }
  }
  return {};
}

void Evaluate(CohortReport& report, const Settings& settings) {
  auto lookup = [&](std::string_view id) -> const core::Person* {
    auto it = report.guardians.find(std::string(id));
    return it == report.guardians.end() ? nullptr : &it->second.person;
  };
  report.entries.reserve(report.children.size());
  for (const StoredPerson& child : report.children) {
    core::CohortEntry e = core::EvaluateChild(child.person, report.school_year, report.grade,
                                              settings.municipality, lookup);
    ++report.by_outcome[std::string(core::OutcomeCode(e.outcome))];
    for (core::ManualReason r : e.reasons) ++report.by_reason[std::string(core::ManualReasonCode(r))];
    if (e.outcome == core::Outcome::kExcluded) {
      ++report.by_exclusion[std::string(core::ExclusionCode(e.exclusion))];
    }
    if (e.outcome == core::Outcome::kLetter) ++report.by_school[e.placement->school_id];
    report.entries.push_back(std::move(e));
  }
}

}  // namespace

Result<std::unique_ptr<CohortReport>> BuildCohort(PersonStore& store, const Settings& settings,
                                                  int school_year, int grade) {
  if (!IsIntakeGrade(grade)) {
    return InvalidArgument("grade " + std::to_string(grade) +
                           " has no intake round; use 1, 5 or 8");
  }
  auto report = std::make_unique<CohortReport>();
  report->school_year = school_year;
  report->grade = grade;
  report->birth_year = core::BirthYearForGrade(school_year, grade);
  ENROL_ASSIGN_OR_RETURN(report->children, store.PersonsBornIn(report->birth_year));
  ENROL_RETURN_IF_ERROR(LoadGuardians(store, *report));
  Evaluate(*report, settings);
  return report;
}

Result<StoredPerson> FindPerson(PersonStore& store, std::string_view ref) {
  if (ref.size() > 1 && (ref[0] == 'P' || ref[0] == 'p')) {
    int64_t key = 0;
    for (char c : ref.substr(1)) {
      if (c < '0' || c > '9') {
        return InvalidArgument("person reference must be P followed by digits (e.g. P42)");
      }
      key = key * 10 + (c - '0');
    }
    ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> p, store.FindByKey(key));
    if (!p) return NotFound("no person " + std::string(ref) + " in the database");
    return std::move(*p);
  }
  auto id = core::ParseNationalId(ref);
  if (!id) {
    return InvalidArgument("not a person reference (P<number>) or a valid national id: " +
                           id.error().message);
  }
  ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> p, store.FindByNin(ref));
  if (!p) return NotFound("no person with that national id number in the database");
  return std::move(*p);
}

Result<PlacementExplanation> ExplainPlacementOf(PersonStore& store, const Settings& settings,
                                                std::string_view ref, int school_year,
                                                int grade) {
  PlacementExplanation ex;
  ENROL_ASSIGN_OR_RETURN(ex.person, FindPerson(store, ref));
  ex.school_year = school_year;
  ex.grade = grade != 0 ? grade
                        : core::GradeForBirthYear(school_year, ex.person.person.birth_year);
  if (ex.grade < 1 || ex.grade > 10) {
    return FailedPrecondition(PersonRef(ex.person.key) + " is not of compulsory school age in " +
                              std::to_string(school_year) + "/" +
                              std::to_string(school_year + 1) + " (born " +
                              std::to_string(ex.person.person.birth_year) + ")");
  }
  ex.cohort = std::make_unique<CohortReport>();
  ex.cohort->school_year = school_year;
  ex.cohort->grade = ex.grade;
  ex.cohort->birth_year = ex.person.person.birth_year;
  ex.cohort->children.push_back(ex.person);
  ENROL_RETURN_IF_ERROR(LoadGuardians(store, *ex.cohort));
  Evaluate(*ex.cohort, settings);
  ex.entry = &ex.cohort->entries.front();
  const core::Person& p = ex.person.person;
  ex.address_withheld = core::IsProtected(p.EffectiveProtection());
  if (!ex.address_withheld && p.home) {
    ex.address_line = p.home->StreetLine();
    ex.steps = core::ExplainPlacement(*p.home, ex.grade, settings.municipality);
  }
  return ex;
}

}  // namespace enrol::app
