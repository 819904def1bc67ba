// The case engine: protection (adressebeskyttelse) reaching the cases, and
// the screening of a family immediately before each effect.
#include "engine/app/case_engine.h"

#include <boost/json.hpp>

#include "engine/app/kill_point.h"
#include "engine/app/protection.h"
#include "engine/app/unit_of_work.h"

namespace enrol::app {
namespace json = boost::json;

Status CaseEngine::ProtectionAsOf(int64_t latest) {
  // Protection changes only with an import: what is known holds until the next.
  if (latest != protection_import_) {
    protection_cache_.clear();
    protection_import_ = latest;
    protection_checked_ = false;
  }
  if (!protection_checked_ && latest > 0) {
    ENROL_ASSIGN_OR_RETURN(protection_checked_, cases_.ProtectionChecked(latest));
  }
  return {};
}

Result<bool> CaseEngine::ProtectedNow(const CasePerson& p) {
  // Once the newest import's changes have reached every open case, a case's
  // own flag is its current protection; before, only the register knows.
  if (protection_checked_) return p.protected_case;
  return CaseIsProtected(p.person_id);
}

sc::Event CaseEngine::ProtectionStop(const sc::Chart& chart) {
  sc::Event ev;
  ev.name = chart.roles.protection_stop;
  ev.data = json::object{{"protected", true}, {"needs_manual", true}, {"manual_reasons", "protected_address"}};
  return ev;
}

Result<std::optional<bool>> CaseEngine::ScreenBeforeEffect(const JobRecord& j, const ClaimSnapshot& claim,
                                                            int64_t own_commits) {
  // Nothing committed since the claim, by this worker or anyone else: the
  // claim's reading (inside its transaction) is the reading now.
  ENROL_ASSIGN_OR_RETURN(int64_t version, cases_.DataVersion());
  if (version == claim.data_version && own_commits == claim.own_commits && claim.person) {
    ENROL_ASSIGN_OR_RETURN(bool prot, ProtectedNow(*claim.person));
    return std::optional<bool>(prot);
  }
  ENROL_ASSIGN_OR_RETURN(int64_t latest, persons_.LatestImport());
  ENROL_RETURN_IF_ERROR(ProtectionAsOf(latest));
  ENROL_ASSIGN_OR_RETURN(std::optional<CasePerson> person, cases_.HeldJobCase(j.id, worker_id_));
  if (!person) return std::optional<bool>();
  ENROL_ASSIGN_OR_RETURN(bool prot, ProtectedNow(*person));
  return std::optional<bool>(prot);
}

Result<bool> CaseEngine::CaseIsProtected(int64_t person_id) {
  if (auto it = protection_cache_.find(person_id); it != protection_cache_.end()) return it->second;
  ENROL_ASSIGN_OR_RETURN(bool prot, ChildOrGuardianProtected(persons_, person_id));
  protection_cache_[person_id] = prot;
  return prot;
}

Result<int> CaseEngine::ApplyProtectionChanges(int64_t import_id) {
  protection_cache_.clear();
  int reached = 0;
  bool all_reached = true;
  // Listed inside the transaction that marks the import checked: no case
  // can be created in between and missed.
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  CaseFilter f;
  f.status = "active";
  ENROL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, tx.cases().ListCaseIds(f));
  TestPoint("protection_changes.listed");
  for (int64_t id : ids) {
    ENROL_ASSIGN_OR_RETURN(std::optional<CasePerson> person, tx.cases().PersonOfCase(id));
    if (!person) continue;
    ENROL_ASSIGN_OR_RETURN(bool now_protected, CaseIsProtected(person->person_id));
    if (!now_protected) continue;
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, tx.cases().FindCase(id));
    if (c && !c->damage.empty()) all_reached = false;  // its flag cannot be set: the worker asks the register
    if (!c || c->status != "active" || !c->damage.empty()) continue;
    ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, Chart(c->workflow));
    const bool in_manual = (" " + c->state + " ").find(" " + chart->roles.manual + " ") != std::string::npos;
    if (c->protected_case && in_manual) continue;  // already handled by hand as protected
    ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(tx, *c, "import/" + std::to_string(import_id) + "/" + c->key +
                                                        "/protection_changed",
                                                ProtectionStop(*chart), "register", false));
    if (r.duplicate) continue;
    ENROL_RETURN_IF_ERROR(tx.cases().UpdateCase(*c));
    ++reached;
  }
  if (all_reached) ENROL_RETURN_IF_ERROR(tx.cases().MarkProtectionChecked(import_id, reached, NowText()));
  ENROL_RETURN_IF_ERROR(tx.Commit());
  protection_cache_.clear();
  protection_import_ = -1;  // read again, with this check
  return reached;
}

}  // namespace enrol::app
