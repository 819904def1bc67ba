// The case engine: the education office's incident actions (retry, skip,
// cancel), each incident read again in the unit of work that acts on it.
#include "engine/app/case_engine.h"

#include <boost/json.hpp>

#include "engine/app/kill_point.h"
#include "engine/app/unit_of_work.h"

namespace enrol::app {
namespace json = boost::json;

namespace {

// Acts on each listed incident in a transaction of its own, having read it
// again inside that transaction: one resolved meanwhile (by another person,
// or by an event that cancelled its work) is left alone, and one that the
// action does not fit is reported without stopping the others.
template <typename Fn>
Result<IncidentActions> EachIncident(CaseStore& cases, const IncidentFilter& f, Fn fn) {
  ENROL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> list, cases.ListIncidents(f));
  TestPoint("incidents.listed");
  IncidentActions out;
  for (const IncidentRecord& listed : list) {
    ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases));
    IncidentFilter one;
    one.ids = {listed.id};
    one.open_only = true;
    ENROL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> now, tx.incidents().ListIncidents(one));
    if (now.empty()) {
      out.refused.push_back("incident " + std::to_string(listed.id) + " is no longer open; nothing was done");
      continue;
    }
    Status st = fn(tx, now.front());
    if (!st) {
      const ErrorCode code = st.error().code;
      if (code != ErrorCode::kFailedPrecondition && code != ErrorCode::kInvalidArgument) {
        return tl::unexpected(st.error());
      }
      out.refused.push_back(st.error().message);
      continue;  // rolled back: this one alone
    }
    ENROL_RETURN_IF_ERROR(tx.Commit());
    ++out.done;
  }
  return out;
}

// The incident's job, which must still wait on the incident.
Result<JobRecord> IncidentJob(UnitOfWork& tx, const IncidentRecord& i) {
  ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> j, tx.jobs().FindJob(i.job_id));
  if (!j) return Internal("incident " + std::to_string(i.id) + " has no job");
  if (j->status != "incident") {
    return FailedPrecondition("incident " + std::to_string(i.id) + ": its work is " + j->status +
                              " now; nothing was done");
  }
  return *j;
}

}  // namespace

Result<IncidentActions> CaseEngine::RetryIncidents(const IncidentFilter& f, const std::string& actor) {
  return EachIncident(cases_, f, [&](UnitOfWork& tx, const IncidentRecord& i) -> Status {
    const std::string at = NowText();
    if (!i.job_id) {
      return FailedPrecondition("incident " + std::to_string(i.id) + " is the case's own (" + i.kind +
                                "), not a job's: there is nothing to run again; repair the case, then skip or "
                                "cancel the incident");
    }
    ENROL_ASSIGN_OR_RETURN(JobRecord j, IncidentJob(tx, i));
    j.status = "queued";
    j.attempts = 0;
    j.next_ms = NowMs();
    j.lease_owner.clear();
    j.lease_until = 0;
    ENROL_RETURN_IF_ERROR(tx.jobs().UpdateJob(j, at));
    ENROL_RETURN_IF_ERROR(tx.incidents().ResolveIncident(i.id, "retried", actor, at));
    return tx.audit().AppendAudit(AuditEntry{i.case_id, actor, "action", "incident " + std::to_string(i.id) + " retried"}, at);
  });
}

Status CaseEngine::EndIncident(UnitOfWork& tx, const IncidentRecord& i, const std::string& actor, const std::string& reason,
                               bool skip) {
  const std::string at = NowText();
  const std::string how = skip ? "skipped" : "cancelled";
  std::optional<JobRecord> job;
  if (i.job_id) {
    ENROL_ASSIGN_OR_RETURN(job, IncidentJob(tx, i));
  }
  ENROL_RETURN_IF_ERROR(tx.incidents().ResolveIncident(i.id, how, actor + ": " + reason, at));
  ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(
      AuditEntry{i.case_id, actor, "action", "incident " + std::to_string(i.id) + " " + how + ": " + reason}, at));
  if (!job) return {};  // the case's own incident: closing it is all
  JobRecord& j = *job;
  j.status = skip ? "done" : "cancelled";
  j.lease_owner.clear();
  j.lease_until = 0;
  if (skip) j.result = json::object{{"skipped", true}, {"reason", reason}};
  ENROL_RETURN_IF_ERROR(tx.jobs().UpdateJob(j, at));
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, tx.cases().FindCase(i.case_id));
  if (!c) return {};
  // Skipped work counts as done; cancelled work fails the invoke. What each
  // means for the case is the workflow's to say (workflows/enrolment.scxml).
  const sc::Event ev = skip ? sc::Event{"done.invoke." + j.invoke_id, j.result, j.invoke_id, ""}
                            : sc::Event{"error.communication", json::object{{"reason", reason}, {"error", i.error},
                                                                            {"invoke", j.invoke_id}},
                                        j.invoke_id, ""};
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(tx, *c, "incident/" + std::to_string(i.id) + "/" + how, ev, actor, false));
  if (!r.duplicate) ENROL_RETURN_IF_ERROR(tx.cases().UpdateCase(*c));
  return {};
}

Result<IncidentActions> CaseEngine::SkipIncidents(const IncidentFilter& f, const std::string& actor,
                                                  const std::string& reason) {
  return EachIncident(cases_, f, [&](UnitOfWork& tx, const IncidentRecord& i) { return EndIncident(tx, i, actor, reason, true); });
}

Result<IncidentActions> CaseEngine::CancelIncidents(const IncidentFilter& f, const std::string& actor,
                                                    const std::string& reason) {
  return EachIncident(cases_, f, [&](UnitOfWork& tx, const IncidentRecord& i) { return EndIncident(tx, i, actor, reason, false); });
}

}  // namespace enrol::app
