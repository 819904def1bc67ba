// The worker: the outcomes of calls recorded, for the jobs this worker
// still holds, each case read once and written once per unit of work.
#include "engine/app/case_engine.h"

#include <algorithm>
#include <map>
#include <set>

#include <boost/json.hpp>

#include "engine/app/unit_of_work.h"

namespace enrol::app {
namespace json = boost::json;

// The cases a group of outcomes touches, each read once and, when `keep`,
// written once at the end (the three dispatch jobs of a case usually arrive
// together); otherwise each change is written at once.
class CaseBatch {
 public:
  CaseBatch(Cases& store, bool keep) : store_(store), keep_(keep) {}
  Result<CaseRecord*> Get(int64_t id) {
    if (auto it = cases_.find(id); it != cases_.end()) return &it->second;
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, store_.FindCase(id));
    if (!c) return static_cast<CaseRecord*>(nullptr);
    CaseRecord* out = &cases_.emplace(id, std::move(*c)).first->second;
    return out;
  }
  Status Changed(CaseRecord& c) {
    if (keep_) {
      dirty_.insert(c.id);
      return {};
    }
    ENROL_RETURN_IF_ERROR(store_.UpdateCase(c));
    cases_.erase(c.id);  // read afresh: a savepoint may roll this back
    return {};
  }
  void Forget(int64_t id) {
    if (!keep_) cases_.erase(id);
  }
  Status Flush() {
    for (int64_t id : dirty_) ENROL_RETURN_IF_ERROR(store_.UpdateCase(cases_.at(id)));
    dirty_.clear();
    return {};
  }

 private:
  Cases& store_;
  bool keep_;
  std::map<int64_t, CaseRecord> cases_;
  std::set<int64_t> dirty_;
};

Status CaseEngine::RecordOutcomes(const std::vector<Arrived>& arrived, WorkerStats& stats,
                                  const std::function<Status(UnitOfWork&)>& also) {
  for (int attempt = 0;; ++attempt) {  // the outcomes are not lost to a busy database
    std::optional<CaseBatch> batch;
    auto recorded = AllOrEachAlone<WorkerStats>(
        cases_, arrived.size(),
        [&](UnitOfWork& tx, size_t i, bool alone) -> Result<WorkerStats> {
          if (i == 0) batch.emplace(tx.cases(), !alone);
          WorkerStats one;
          const Arrived& a = arrived[i];
          Status st = RecordOutcome(tx, *a.job, a.outcome, a.protected_case, *batch, one);
          if (!st) {
            batch->Forget(a.job->case_id);
            return tl::unexpected(st.error());
          }
          return one;
        },
        [&](UnitOfWork& tx, bool) -> Status {
          if (batch) ENROL_RETURN_IF_ERROR(batch->Flush());
          return also ? also(tx) : Status{};
        });
    if (!recorded && IsBusy(recorded.error()) && attempt < 2) continue;
    if (!recorded) return tl::unexpected(recorded.error());
    for (size_t i = 0; i < arrived.size(); ++i) {
      const Result<WorkerStats>& r = (*recorded)[i];
      if (r) {
        stats.Add(*r);
      } else {
        const JobRecord& job = *arrived[i].job;
        ENROL_RETURN_IF_ERROR(RecordFailure(job.case_id, &job, job.invoke_id, r.error(), stats));
      }
    }
    return {};
  }
}

Status CaseEngine::RecordOutcome(UnitOfWork& tx, const JobRecord& job, const JobOutcome& o, bool protected_case, CaseBatch& cases,
                                 WorkerStats& stats) {
  const std::string at = NowText();
  const int64_t now = NowMs();
  std::optional<JobRecord> cur = job;
  // The job's row is written first, and only while this worker holds it:
  // cancelled meanwhile, or taken by another worker after the lease lapsed,
  // the outcome is dropped with nothing written (and its case not read).
  auto write_held = [&]() -> Result<CaseRecord*> {
    ENROL_ASSIGN_OR_RETURN(bool held, tx.jobs().UpdateHeldJob(*cur, worker_id_, at));
    if (!held) return static_cast<CaseRecord*>(nullptr);
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, cases.Get(cur->case_id));
    if (!c) return Internal("job " + std::to_string(cur->id) + " has no case");
    return c;
  };
  cur->lease_owner.clear();
  cur->lease_until = 0;
  if (protected_case) {
    // No automatic effect for a protected address: the education office
    // takes the case over.
    cur->status = "cancelled";
    cur->last_error = "not run: the child or a guardian has a protected address";
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
    ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(
        AuditEntry{c->id, "engine", "effect", cur->invoke_id + " not run: the case has a protected address"}, at));
    ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, Chart(c->workflow));
    ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(tx, *c, "job/" + std::to_string(cur->id) + "/protected",
                                                ProtectionStop(*chart), "engine", false));
    if (!r.duplicate) ENROL_RETURN_IF_ERROR(cases.Changed(*c));
    stats.protected_stops += 1;
    return {};
  }
  if (!o.ok && o.pending) {
    cur->next_ms = now + std::clamp<int64_t>(o.retry_after_ms, 100, 86400000);
    cur->last_error = o.error;
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
    stats.jobs_pending += 1;
    return {};
  }
  cur->attempts += 1;
  if (o.ok) {
    cur->status = "done";
    cur->result = o.receipt;
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
    sc::Event ev{"done.invoke." + cur->invoke_id, o.receipt, cur->invoke_id, ""};
    ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(tx, *c, "job/" + std::to_string(cur->id) + "/done", ev,
                                                "connector:" + cur->type, false));
    if (!r.duplicate) ENROL_RETURN_IF_ERROR(cases.Changed(*c));
    stats.jobs_done += 1;
    stats.events += r.duplicate ? 0 : 1;
    return {};
  }
  return RecordFailedAttempt(tx, *cur, o, write_held, stats);
}

Status CaseEngine::RecordFailedAttempt(UnitOfWork& tx, JobRecord& job, const JobOutcome& o,
                                       const std::function<Result<CaseRecord*>()>& write_held, WorkerStats& stats) {
  const std::string at = NowText();
  const int64_t now = NowMs();
  job.last_error = o.error;
  const RetryPolicy p = PolicyFor(job.type);
  if (o.retryable && job.attempts < p.attempts) {
    // Not before the system asked (Retry-After), nor later than a day.
    job.next_ms = now + std::max(Backoff(p, job.id, job.attempts), std::min<int64_t>(o.retry_after_ms, 86400000));
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
    ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(
        AuditEntry{c->id, "connector:" + job.type, "effect",
                   "attempt " + std::to_string(job.attempts) + " of " + job.invoke_id + " failed: " + o.error +
                       "; retry in " + std::to_string((job.next_ms - now) / 1000) + "s"},
        at));
    stats.jobs_retried += 1;
    return {};
  }
  job.status = "incident";
  ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
  if (!c) return {};
  IncidentRecord inc;
  inc.job_id = job.id;
  inc.case_id = c->id;
  inc.error = o.error;
  inc.created_at = at;
  ENROL_ASSIGN_OR_RETURN(int64_t id, tx.incidents().InsertIncident(inc));
  ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(
      AuditEntry{c->id, "connector:" + job.type, "effect",
                 "incident " + std::to_string(id) + ": " + job.invoke_id + " failed after " +
                     std::to_string(job.attempts) + " attempt(s): " + o.error},
      at));
  stats.incidents += 1;
  return {};
}

Status CaseEngine::RecordFailure(int64_t case_id, const JobRecord* job, const std::string& what, const Error& error,
                                 WorkerStats& stats) {
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  const std::string at = NowText();
  IncidentRecord inc;
  inc.case_id = case_id;
  inc.kind = job ? "job" : "case";
  inc.error = "internal error in " + what + ": " + error.message;
  inc.created_at = at;
  if (job) {
    ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> cur, tx.jobs().FindJob(job->id));
    if (cur) {
      if (cur->status != "queued") return tx.Commit();
      cur->status = "incident";
      cur->lease_owner.clear();
      cur->lease_until = 0;
      cur->last_error = inc.error;
      ENROL_RETURN_IF_ERROR(tx.jobs().UpdateJob(*cur, at));
      inc.job_id = cur->id;
    }
  }
  ENROL_ASSIGN_OR_RETURN(int64_t id, tx.incidents().InsertIncident(inc));
  ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(
      AuditEntry{case_id, "engine", "effect", "incident " + std::to_string(id) + ": " + inc.error}, at));
  stats.incidents += 1;
  return tx.Commit();
}

}  // namespace enrol::app
