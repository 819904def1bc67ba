#include "engine/app/operator_queries.h"

#include <algorithm>

#include "engine/app/protection.h"

namespace enrol::app {

Result<CaseRecord> OperatorQueries::FindCase(const std::string& ref) {
  // Control characters are not echoed back to the terminal.
  std::string shown;
  for (unsigned char ch : ref.substr(0, 60)) shown += ch < 0x20 || ch == 0x7f ? '?' : static_cast<char>(ch);
  const std::string hint = " (give a case number or a key such as 2027/1/P12)";
  std::optional<CaseRecord> c;
  if (!ref.empty() && ref.find_first_not_of("0123456789") == std::string::npos) {
    // More digits than any case number has cannot name a case.
    if (ref.size() > 18) return NotFound("no case " + shown + hint);
    ENROL_ASSIGN_OR_RETURN(c, cases_.FindCase(std::stoll(ref)));
  } else if (!ref.empty() && ref.size() <= 64) {
    ENROL_ASSIGN_OR_RETURN(c, cases_.FindCaseByKey(ref));
  }
  if (!c) return NotFound("no case " + shown + hint);
  return std::move(*c);
}

Result<std::vector<int64_t>> OperatorQueries::SelectCases(const std::string& ref, const CaseFilter& f) {
  std::vector<int64_t> ids;
  if (!ref.empty()) {
    ENROL_ASSIGN_OR_RETURN(CaseRecord c, FindCase(ref));
    ids.push_back(c.id);
    return ids;
  }
  if (f.school.empty() && !f.grade && f.state.empty()) {
    return InvalidArgument("say which cases: a case number or key, or --school, --grade and/or --state");
  }
  return cases_.ListCaseIds(f);
}

Result<std::vector<CaseRecord>> OperatorQueries::ListCases(const CaseFilter& f) { return cases_.ListCases(f); }

Result<bool> OperatorQueries::AnyCase(const CaseFilter& f) {
  CaseFilter one = f;
  one.limit = 1;
  ENROL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, cases_.ListCaseIds(one));
  return !ids.empty();
}

Result<CaseDetail> OperatorQueries::Detail(const std::string& ref) {
  CaseDetail d;
  ENROL_ASSIGN_OR_RETURN(d.record, FindCase(ref));
  ENROL_ASSIGN_OR_RETURN(d.jobs, cases_.JobsOf(d.record.id));
  ENROL_ASSIGN_OR_RETURN(d.timers, cases_.TimersOf(d.record.id));
  ENROL_ASSIGN_OR_RETURN(d.history, cases_.AuditOf(d.record.id));
  return d;
}

Result<std::vector<StoredLetter>> OperatorQueries::Letters(int64_t case_id, bool every_version) {
  ENROL_ASSIGN_OR_RETURN(std::vector<StoredLetter> all, letters_.OfCase(case_id, every_version));
  if (all.empty()) return all;
  // A protected case's letter that still holds the address is not handed out.
  ENROL_ASSIGN_OR_RETURN(std::optional<CasePerson> p, cases_.PersonOfCase(case_id));
  ENROL_ASSIGN_OR_RETURN(bool now_protected, p ? ChildOrGuardianProtected(persons_, p->person_id) : Result<bool>(false));
  if ((p && p->protected_case) || now_protected) {
    for (const StoredLetter& l : all) {
      if (!IsScreened(l)) {
        return FailedPrecondition("case " + std::to_string(case_id) + " has a protected address and its letter still "
                                  "holds the address it was sent to: it is rendered again without any address when "
                                  "the office opens it in the web app or files it (archive.protected)");
      }
    }
  }
  return all;
}

Result<std::vector<IncidentRecord>> OperatorQueries::Incidents(const IncidentFilter& f) {
  return cases_.ListIncidents(f);
}

Status OperatorQueries::OpenIncidents(const std::vector<int64_t>& ids) {
  IncidentFilter any;
  any.ids = ids;
  any.open_only = false;
  ENROL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> known, cases_.ListIncidents(any));
  for (int64_t id : ids) {
    auto it = std::find_if(known.begin(), known.end(), [&](const IncidentRecord& i) { return i.id == id; });
    if (it == known.end()) return NotFound("no incident " + std::to_string(id));
    if (it->status != "open") {
      return InvalidArgument("incident " + std::to_string(id) + " is " + it->status + ", not open");
    }
  }
  return {};
}

Result<AuditVerification> OperatorQueries::VerifyAudit(std::optional<AuditHead> expected) {
  return cases_.VerifyAudit(std::move(expected));
}

Result<std::vector<ImportInfo>> OperatorQueries::Imports() { return persons_.Imports(); }

Result<std::vector<std::pair<int64_t, std::string>>> OperatorQueries::ChangesOf(int64_t person_key) {
  return persons_.ChangesOf(person_key);
}

}  // namespace enrol::app
