// The case engine: the intake, which makes a school year's cases from the
// cohorts and turns register changes into events.
#include "engine/app/case_engine.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/app/case_engine_parts.h"
#include "engine/app/kill_point.h"
#include "engine/app/protection.h"
#include "engine/app/unit_of_work.h"

namespace enrol::app {
namespace json = boost::json;

json::object CaseEngine::CaseData(const CohortReport& report, const core::CohortEntry& e,
                                  int64_t person_key) const {
  std::string reasons;
  for (core::ManualReason r : e.reasons) {
    if (!reasons.empty()) reasons += ',';
    reasons += core::ManualReasonCode(r);
  }
  json::object d;
  d["case_ref"] = std::to_string(report.school_year) + "/" + std::to_string(report.grade) + "/" + PersonRef(person_key);
  d["person"] = PersonRef(person_key);
  d["school_year"] = report.school_year;
  d["grade"] = report.grade;
  d["school"] = e.placement && e.placement->rule != core::PlacementRule::kManual ? e.placement->school_id : "";
  d["rule"] = e.placement ? std::string(core::PlacementRuleCode(e.placement->rule)) : "manual";
  d["needs_manual"] = e.outcome == core::Outcome::kManual;
  d["manual_reasons"] = reasons;
  // The one rule (protection.h): the child or any guardian.
  d["protected"] = ChildOrGuardianProtected(*e.child, [&report](std::string_view id) -> const core::Person* {
    auto it = report.guardians.find(std::string(id));
    return it == report.guardians.end() ? nullptr : &it->second.person;
  });
  return d;
}

Result<int64_t> CaseEngine::CreateCase(UnitOfWork& tx, const CohortReport& report, const core::CohortEntry& e,
                                       int64_t person_key, int64_t seen_import, bool register_newer) {
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, Chart(current_));
  json::object data = CaseData(report, e, person_key);
  if (register_newer) {
    // Imported since the cohort was read: the register as it is now decides.
    ENROL_ASSIGN_OR_RETURN(bool now_protected, ChildOrGuardianProtected(persons_, person_key));
    data["protected"] = now_protected;
  }
  // The intake's own names (documented in workflows/enrolment.scxml), and
  // the workflow's fields for the school and the protection by their roles.
  data[chart->roles.protected_flag] = data.at("protected");
  data[chart->roles.school] = data.at("school");
  sc::Interpreter interp(chart);
  sc::Instance inst;
  sc::StepOutcome out = interp.Start(inst, data, &settings_.workflow_config);
  out.handled = true;  // creation is not an event that could fail to apply
  CaseRecord c;
  c.key = std::string(data.at("case_ref").as_string());
  c.person_id = person_key;
  c.school_year = report.school_year;
  c.grade = report.grade;
  c.workflow = current_;
  detail::TakeRoles(c, inst.data, chart->roles);
  c.instance = inst.ToJson(*chart);
  c.state = detail::JoinStates(inst.AtomicStateIds(*chart));
  c.status = detail::FinalStatus(inst, *chart);
  c.seen_import = seen_import;
  c.created_at = c.updated_at = NowText();
  ENROL_ASSIGN_OR_RETURN(c.id, tx.cases().InsertCase(c));
  ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(
      AuditEntry{c.id, "intake", "event",
                 detail::DescribeStep("created (workflow " + current_.substr(0, 12) + ")", "", c.state, out)},
      c.created_at));
  ENROL_RETURN_IF_ERROR(CarryOut(tx, c, out, "intake"));
  return c.id;
}

Status CaseEngine::AddDeferredChildren(CohortReport& r, int year) {
  ENROL_ASSIGN_OR_RETURN(std::vector<int64_t> deferred, cases_.DeferredTo(year));
  if (deferred.empty()) return {};
  for (int64_t key : deferred) {
    ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> p, persons_.FindByKey(key));
    if (p) r.children.push_back(std::move(*p));
  }
  for (size_t i = r.entries.size(); i < r.children.size(); ++i) {
    for (const auto& resp : r.children[i].person.responsibility) {
      if (resp.guardian_id.empty() || r.guardians.count(resp.guardian_id)) continue;
      ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> g, persons_.FindByNin(resp.guardian_id));
      if (g) r.guardians.emplace(resp.guardian_id, std::move(*g));
    }
  }
  // Appending moved the children, so the entries' pointers are stale:
  // evaluate them all again.
  auto lookup = [&r](std::string_view id) -> const core::Person* {
    auto it = r.guardians.find(std::string(id));
    return it == r.guardians.end() ? nullptr : &it->second.person;
  };
  r.entries.clear();
  for (const StoredPerson& child : r.children) {
    r.entries.push_back(core::EvaluateChild(child.person, year, 1, settings_.municipality, lookup));
  }
  return {};
}

Status CaseEngine::ApplyRegisterChanges(UnitOfWork& tx, CaseRecord& existing, const CohortReport& report, const core::CohortEntry& e,
                                        int64_t person_key, int64_t latest, IntakeSummary& summary) {
  ENROL_ASSIGN_OR_RETURN(auto changes, persons_.ChangesOf(person_key));
  const json::object fresh = CaseData(report, e, person_key);
  bool closed = false;
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    const auto& [import_id, kind] = *it;
    if (import_id <= existing.seen_import || kind == "new" || kind == "other_changed" || kind == "status_changed") {
      continue;
    }
    sc::Event ev;
    ev.name = "register." + kind;
    json::object d;
    for (const char* k : {"school", "needs_manual", "manual_reasons", "protected"}) d[k] = fresh.at(k);
    ev.data = std::move(d);
    ENROL_ASSIGN_OR_RETURN(ApplyResult ar, Apply(tx, existing, "import/" + std::to_string(import_id) + "/" +
                                                               existing.key + "/" + kind,
                                                 ev, "register", false));
    summary.register_events += ar.duplicate ? 0 : 1;
    closed = closed || existing.status != "active";
  }
  if (!closed && e.outcome == core::Outcome::kExcluded && existing.status == "active") {
    sc::Event ev;
    ev.name = e.exclusion == core::Exclusion::kDied ? "register.died" : "register.left_municipality";
    ENROL_ASSIGN_OR_RETURN(ApplyResult ar, Apply(tx, existing, "import/" + std::to_string(latest) + "/" + existing.key +
                                                               "/excluded",
                                                 ev, "register", false));
    summary.closed_as_excluded += ar.handled ? 1 : 0;
  }
  existing.seen_import = latest;
  return tx.cases().UpdateCase(existing);
}

Status CaseEngine::IntakeBatch(const CohortReport& report, size_t start, size_t end, int64_t latest,
                               IntakeSummary& summary) {
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  // Read in this unit of work: a newer import since the cohorts were read
  // (another process's) decides each new case's protection.
  ENROL_ASSIGN_OR_RETURN(int64_t newest, persons_.LatestImport());
  const bool register_newer = newest != latest;
  for (size_t i = start; i < end; ++i) {
    const core::CohortEntry& e = report.entries[i];
    const int64_t person_key = report.children[i].key;
    const std::string key =
        std::to_string(report.school_year) + "/" + std::to_string(report.grade) + "/" + PersonRef(person_key);
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> existing, tx.cases().FindCaseByKey(key));
    if (!existing) {
      if (e.outcome == core::Outcome::kLetter || e.outcome == core::Outcome::kManual) {
        ENROL_ASSIGN_OR_RETURN(int64_t id, CreateCase(tx, report, e, person_key, latest, register_newer));
        (void)id;
        ++summary.created;
      }
      continue;
    }
    ++summary.existing;
    if (existing->status != "active" || existing->seen_import >= latest) continue;
    // Register changes since this case last looked become events.
    ENROL_RETURN_IF_ERROR(ApplyRegisterChanges(tx, *existing, report, e, person_key, latest, summary));
  }
  return tx.Commit();
}

Result<IntakeSummary> CaseEngine::Intake(int year, const std::vector<int>& grades,
                                         const std::function<void(int, int)>& progress) {
  if (current_.empty()) return FailedPrecondition("no workflow is loaded");
  ENROL_ASSIGN_OR_RETURN(std::vector<ImportInfo> imports, persons_.Imports());
  if (imports.empty()) return FailedPrecondition("the register has not been imported yet: run `enrol import` first");
  const int64_t latest = imports.back().id;
  IntakeSummary summary;

  std::vector<std::unique_ptr<CohortReport>> reports;
  size_t total = 0;
  for (int grade : grades) {
    ENROL_ASSIGN_OR_RETURN(std::unique_ptr<CohortReport> r, BuildCohort(persons_, settings_, year, grade));
    // Children whose start was deferred from last year join this intake.
    if (grade == 1) ENROL_RETURN_IF_ERROR(AddDeferredChildren(*r, year));
    total += r->entries.size();
    reports.push_back(std::move(r));
  }

  // The worker below checks each job's case for a protected address; the
  // cohorts have read every child and guardian of this import already.
  ENROL_RETURN_IF_ERROR(ProtectionAsOf(latest));
  for (const auto& report : reports) {
    auto guardian = [&](std::string_view id) -> const core::Person* {
      auto it = report->guardians.find(std::string(id));
      return it == report->guardians.end() ? nullptr : &it->second.person;
    };
    for (const StoredPerson& child : report->children) {
      protection_cache_[child.key] = ChildOrGuardianProtected(child.person, guardian);
    }
  }

  TestPoint("intake.cohorts_built");
  int done = 0;
  constexpr size_t kBatch = 500;
  for (const auto& report : reports) {
    for (size_t start = 0; start < report->entries.size(); start += kBatch) {
      const size_t end = std::min(report->entries.size(), start + kBatch);
      ENROL_RETURN_IF_ERROR(IntakeBatch(*report, start, end, latest, summary));
      done += static_cast<int>(end - start);
      if (progress) progress(done, static_cast<int>(total));
    }
  }
  ENROL_ASSIGN_OR_RETURN(summary.worker, RunUntilIdle());
  ENROL_ASSIGN_OR_RETURN(summary.by_school_state, cases_.CountCases(year));
  return summary;
}

}  // namespace enrol::app
