#include "engine/app/case_queries.h"

#include "engine/app/access.h"
#include "engine/app/person_events.h"
#include "engine/app/protection.h"

namespace enrol::app {

Result<CaseRecord> CaseQueries::Visible(const User& viewer, int64_t id) {
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(id));
  // A damaged case's flag cannot be trusted to hide it: the office's alone.
  const bool visible = c && (c->damage.empty() ? MaySeeCase(viewer, c->school, c->protected_case) : IsOffice(viewer));
  if (!visible) return NotFound("no case " + std::to_string(id));
  return std::move(*c);
}

Result<CaseView> CaseQueries::Case(const User& viewer, int64_t id) {
  CaseView v;
  ENROL_ASSIGN_OR_RETURN(v.record, Visible(viewer, id));
  const CaseRecord& k = v.record;
  if (MaySeePersonalData(viewer)) {
    ENROL_ASSIGN_OR_RETURN(Family family, LoadFamily(persons_, k.person_id));
    const core::Person& child = family.child.person;
    v.personal = true;
    v.child_name = child.name.Full();
    v.birth_date = child.birth_date ? child.birth_date->ToString() : "";
    // An address only where it is not protected (a secretary never sees a protected case).
    if (!family.protected_address && child.home) {
      v.address = child.home->StreetLine() + ", " + child.home->postnummer + " " + child.home->poststed;
    }
    for (const auto& [nin, g] : family.guardians) v.guardian_names.push_back(g.person.name.Full());
    ENROL_ASSIGN_OR_RETURN(v.letters, letters_.OfCase(k.id, true));
    for (StoredLetter& l : v.letters) {
      l.pdf.clear();
      l.pdfa.clear();
      l.data.clear();
    }
    ENROL_RETURN_IF_ERROR(engine_.RecordAudit(k.id, "person:" + viewer.name, "view", "viewed the case's personal data"));
  }
  ENROL_ASSIGN_OR_RETURN(v.jobs, cases_.JobsOf(k.id));
  ENROL_ASSIGN_OR_RETURN(v.history, cases_.AuditOf(k.id));
  if (k.status == "active" && k.damage.empty()) {
    if (auto chart = engine_.Chart(k.workflow)) {
      for (const auto* e : AcceptedPersonEvents(**chart, k.state)) {
        if (MaySend(viewer, *e)) v.events.push_back(e);
      }
    }
  }
  return v;
}

Result<StoredLetter> CaseQueries::Letter(const User& viewer, int64_t id, int copy, int version) {
  ENROL_ASSIGN_OR_RETURN(CaseRecord k, Visible(viewer, id));
  if (!MaySeePersonalData(viewer)) return NotFound("no case " + std::to_string(id));
  // A protected case's letters are shown only without any address.
  ENROL_ASSIGN_OR_RETURN(bool now_protected, ChildOrGuardianProtected(persons_, k.person_id));
  if (k.protected_case || now_protected) {
    if (!screener_) {
      return FailedPrecondition("the letter of case " + std::to_string(id) + " holds a protected address and "
                                "cannot be shown without the letter renderer to screen it");
    }
    ENROL_ASSIGN_OR_RETURN(int screened, screener_->ScreenCase(k));
    if (screened) {
      ENROL_RETURN_IF_ERROR(engine_.RecordAudit(k.id, "engine", "action",
                                                std::to_string(screened) + " letter copies rendered again without "
                                                "addresses (protected address)"));
    }
  }
  ENROL_ASSIGN_OR_RETURN(std::vector<StoredLetter> letters, letters_.OfCase(k.id, version != 0));
  for (StoredLetter& l : letters) {
    if (l.copy != copy || (version != 0 && l.version != version)) continue;
    ENROL_RETURN_IF_ERROR(engine_.RecordAudit(k.id, "person:" + viewer.name, "view",
                                              "viewed letter version " + std::to_string(l.version) + " copy " +
                                                  std::to_string(l.copy)));
    return std::move(l);
  }
  return NotFound("case " + std::to_string(id) + " has no such letter (yet)");
}

Result<CaseListPage> CaseQueries::Inbox(const User& viewer, CaseListQuery query) {
  ENROL_ASSIGN_OR_RETURN(CaseListQuery scoped, ScopeFor(viewer, std::move(query)));
  ENROL_ASSIGN_OR_RETURN(CaseListPage page, cases_.ListPage(scoped));
  if (!MaySeePersonalData(viewer)) {
    for (CaseListRow& row : page.rows) {
      row.child_name.clear();
      row.birth_date.clear();
    }
  }
  return page;
}

Result<std::vector<IncidentRecord>> CaseQueries::Incidents(const User& viewer, const IncidentFilter& filter) {
  if (!IsOffice(viewer)) return PermissionDenied("incidents are the education office's");
  return cases_.ListIncidents(filter);
}

Result<std::vector<AuditRow>> CaseQueries::Audit(const User& viewer, int64_t before_seq, int limit) {
  if (!MayReadAudit(viewer)) return PermissionDenied("the audit log is the office's and the auditor's");
  return cases_.RecentAudit(before_seq, limit);
}

Result<OfficeFigures> CaseQueries::Office(const User& viewer, const std::vector<std::string>& schools,
                                         int64_t now_ms) {
  if (!IsOffice(viewer)) return PermissionDenied("the dashboard and the workflow view are the education office's");
  OfficeFigures f;
  ENROL_ASSIGN_OR_RETURN(f.running, cases_.CountForMonitoring(now_ms));
  CaseListQuery all;
  all.with_protected = true;
  all.limit = 0;
  for (const std::string& school : schools) {
    CaseListQuery q = all;
    q.schools = {school};
    ENROL_ASSIGN_OR_RETURN(CaseListPage page, cases_.ListPage(q));
    f.by_school[school] = page.by_phase;
  }
  ENROL_ASSIGN_OR_RETURN(CaseListPage everything, cases_.ListPage(all));
  f.totals = everything.by_phase;
  ENROL_ASSIGN_OR_RETURN(f.finished_per_hour, cases_.FinishedPerHour(24 * 60));
  return f;
}

Result<std::vector<ImportInfo>> CaseQueries::Imports(const User& viewer) {
  if (!IsOffice(viewer)) return PermissionDenied("imports are the education office's");
  return persons_.Imports();
}

Result<OperationalCounts> CaseQueries::Running(int64_t now_ms) { return cases_.CountForMonitoring(now_ms); }

}  // namespace enrol::app
