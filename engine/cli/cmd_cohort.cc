// cohort, placement explain.
#include <boost/json.hpp>

#include "engine/app/cohort_report.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"

namespace enrol::cli {
namespace json = boost::json;
namespace {


std::string YearLabel(int y) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%d/%02d", y, (y + 1) % 100);
  return buf;
}

std::string Reasons(const core::CohortEntry& e) {
  std::string s;
  for (core::ManualReason r : e.reasons) {
    if (!s.empty()) s += ",";
    s += core::ManualReasonCode(r);
  }
  return s;
}

json::object EntryJson(const core::CohortEntry& e, int64_t key, bool names) {
  json::object o;
  o["person"] = app::PersonRef(key);
  if (names) o["name"] = e.child->name.Full();
  if (e.child->birth_date) o["birth_date"] = e.child->birth_date->ToString();
  o["outcome"] = core::OutcomeCode(e.outcome);
  if (e.outcome == core::Outcome::kExcluded) o["exclusion"] = core::ExclusionCode(e.exclusion);
  if (e.placement && e.outcome != core::Outcome::kExcluded) {
    o["school"] = e.placement->school_id;
    o["rule"] = core::PlacementRuleCode(e.placement->rule);
    if (e.placement->rule_row) o["rule_row"] = e.placement->rule_row;
    o["why"] = e.placement->why;
  }
  if (e.previous && e.outcome != core::Outcome::kExcluded) o["previous_school"] = e.previous->school_id;
  json::array reasons;
  for (core::ManualReason r : e.reasons) reasons.push_back(json::string(core::ManualReasonCode(r)));
  o["manual_reasons"] = std::move(reasons);
  int missing = 0;
  for (const auto& g : e.guardians) missing += g.document_missing ? 1 : 0;
  o["guardians"] = static_cast<int>(e.guardians.size());
  o["guardians_document_missing"] = missing;
  return o;
}

json::object Counts(const std::map<std::string, int>& m) {
  json::object o;
  for (const auto& [k, v] : m) o[k] = v;
  return o;
}

}  // namespace

int RunCohort(const GlobalOptions& g, Services& s, const CohortArgs& a) {
  auto store = s.Store();
  if (!store) return ReportError(store.error());
  auto settings = s.Settings();
  if (!settings) return ReportError(settings.error());
  auto report = app::BuildCohort(**store, **settings, a.school_year, a.grade);
  if (!report) return ReportError(report.error());
  const app::CohortReport& r = **report;

  if (g.json) {
    json::array entries;
    for (size_t i = 0; i < r.entries.size(); ++i) {
      entries.push_back(EntryJson(r.entries[i], r.children[i].key, a.names));
    }
    PrintJson(json::object{{"school_year", r.school_year},
                           {"grade", r.grade},
                           {"birth_year", r.birth_year},
                           {"children", static_cast<int>(r.children.size())},
                           {"by_outcome", Counts(r.by_outcome)},
                           {"manual_reasons", Counts(r.by_reason)},
                           {"exclusions", Counts(r.by_exclusion)},
                           {"letters_by_school", Counts(r.by_school)},
                           {"entries", std::move(entries)}});
    return 0;
  }
  auto count = [&](const char* k) {
    auto it = r.by_outcome.find(k);
    return it == r.by_outcome.end() ? 0 : it->second;
  };
  const core::Municipality& m = (*settings)->municipality;
  std::cout << m.name << ": school year " << YearLabel(r.school_year) << ", grade " << r.grade
            << " (born " << r.birth_year << "): " << r.children.size()
            << " children in the register\n";
  std::cout << "  letter due " << count("letter") << ", stays at school " << count("no_letter")
            << ", manual handling " << count("manual") << ", not enrolled here "
            << count("excluded") << "\n";
  if (!r.by_reason.empty()) {
    std::cout << "  manual handling by reason:";
    for (const auto& [k, v] : r.by_reason) std::cout << " " << k << "=" << v;
    std::cout << "\n";
  }
  if (!r.by_exclusion.empty()) {
    std::cout << "  not enrolled here:";
    for (const auto& [k, v] : r.by_exclusion) std::cout << " " << k << "=" << v;
    std::cout << "\n";
  }
  if (!r.by_school.empty()) {
    std::cout << "  letters by school:\n";
    for (const auto& [k, v] : r.by_school) {
      const core::School* sc = m.FindSchool(k);
      std::cout << "    " << Pad(k, 5) << Pad(sc ? sc->name : "?", 28) << v << "\n";
    }
  }
  std::cout << "\n"
            << Pad("PERSON", 9) << Pad("BORN", 12) << (a.names ? Pad("NAME", 34) : "")
            << Pad("OUTCOME", 11) << Pad("SCHOOL", 8) << "RULE / REASON\n";
  int printed = 0;
  for (size_t i = 0; i < r.entries.size(); ++i) {
    const core::CohortEntry& e = r.entries[i];
    if (a.limit >= 0 && printed >= a.limit) {
      std::cout << "... " << r.entries.size() - printed << " more (use --limit or --json)\n";
      break;
    }
    ++printed;
    std::string detail;
    std::string school = "-";
    if (e.outcome == core::Outcome::kExcluded) {
      detail = std::string(core::ExclusionCode(e.exclusion));
    } else if (e.outcome == core::Outcome::kManual) {
      detail = Reasons(e);
    } else {
      school = e.placement->school_id;
      detail = std::string(core::PlacementRuleCode(e.placement->rule));
      if (e.placement->rule_row) detail += " row " + std::to_string(e.placement->rule_row);
      if (e.outcome == core::Outcome::kNoLetter) detail += " (same school as grade " + std::to_string(r.grade - 1) + ")";
    }
    std::cout << Pad(app::PersonRef(r.children[i].key), 9)
              << Pad(e.child->birth_date ? e.child->birth_date->ToString() : std::to_string(e.child->birth_year), 12)
              << (a.names ? Pad(e.child->name.Full(), 34) : "") << Pad(std::string(core::OutcomeCode(e.outcome)), 11)
              << Pad(school, 8) << detail << "\n";
  }
  return 0;
}

int RunExplain(const GlobalOptions& g, Services& s, const ExplainArgs& a) {
  auto store = s.Store();
  if (!store) return ReportError(store.error());
  auto settings = s.Settings();
  if (!settings) return ReportError(settings.error());
  const int year = a.school_year ? a.school_year : app::DefaultSchoolYear(s.Clock().Now());
  auto ex = app::ExplainPlacementOf(**store, **settings, a.person, year, a.grade);
  if (!ex) return ReportError(ex.error());
  const core::CohortEntry& e = *ex->entry;
  const core::Municipality& m = (*settings)->municipality;
  if (g.json) {
    json::object o = EntryJson(e, ex->person.key, false);
    o["school_year"] = ex->school_year;
    o["grade"] = ex->grade;
    o["address_withheld"] = ex->address_withheld;
    if (!ex->address_withheld) o["address"] = ex->address_line;
    json::array steps;
    for (const auto& st : ex->steps) {
      steps.push_back(json::object{{"rule", core::PlacementRuleCode(st.rule)},
                                   {"matched", st.matched},
                                   {"detail", st.detail}});
    }
    o["steps"] = std::move(steps);
    PrintJson(o);
    return 0;
  }
  std::cout << app::PersonRef(ex->person.key) << ", born "
            << (e.child->birth_date ? e.child->birth_date->ToString() : std::to_string(e.child->birth_year))
            << ": school year " << YearLabel(ex->school_year) << ", grade " << ex->grade << "\n";
  if (ex->address_withheld) {
    std::cout << "address: withheld (adressebeskyttelse); the placement is made by hand\n";
  } else if (!ex->address_line.empty()) {
    std::cout << "address: " << ex->address_line << "\n";
  } else {
    std::cout << "address: none usable in the register\n";
  }
  int n = 0;
  bool decided = false;
  for (const auto& st : ex->steps) {
    const char* mark = decided ? "[not used] " : (st.matched ? "[match] " : "[no] ");
    std::cout << "  " << ++n << ". " << mark << st.detail << "\n";
    decided = decided || st.matched;
  }
  switch (e.outcome) {
    case core::Outcome::kExcluded:
      std::cout << "result: not enrolled by " << m.name << " (" << core::ExclusionCode(e.exclusion) << ")\n";
      break;
    case core::Outcome::kManual:
      std::cout << "result: manual handling\n";
      for (core::ManualReason r : e.reasons) {
        std::cout << "  - " << core::ManualReasonText(r) << " (" << core::ManualReasonCode(r) << ")\n";
      }
      break;
    default: {
      const core::School* sc = m.FindSchool(e.placement->school_id);
      std::cout << "result: " << e.placement->school_id << " " << (sc ? sc->name : "?") << " by "
                << core::PlacementRuleCode(e.placement->rule);
      if (e.placement->rule_row) std::cout << " row " << e.placement->rule_row;
      std::cout << "; " << (e.outcome == core::Outcome::kLetter ? "a decision letter is due"
                                                                 : "stays at the same school, no letter")
                << "\n";
      if (e.previous) std::cout << "  grade " << ex->grade - 1 << " at this address: " << e.previous->school_id << "\n";
    }
  }
  int missing = 0;
  for (const auto& gd : e.guardians) missing += gd.document_missing ? 1 : 0;
  std::cout << "guardians with parental responsibility: " << e.guardians.size();
  if (missing) std::cout << " (" << missing << " without a register document in the extract)";
  std::cout << "\n";
  auto operator_queries = s.Operator();
  if (!operator_queries) return ReportError(operator_queries.error());
  auto changes = (*operator_queries)->ChangesOf(ex->person.key);
  if (changes && !changes->empty()) {
    std::cout << "register changes:";
    for (const auto& [imp, kind] : *changes) std::cout << " " << kind << "@import" << imp;
    std::cout << "\n";
  }
  return 0;
}

}  // namespace enrol::cli
