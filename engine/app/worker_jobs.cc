// The worker: one pass claims the due jobs (a lease for this worker),
// screens each family immediately before its call, calls the systems outside
// any transaction and has each outcome recorded as it arrives.
#include "engine/app/case_engine.h"

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <set>

#include <boost/json.hpp>

#include "engine/app/kill_point.h"
#include "engine/app/unit_of_work.h"
#include "engine/app/worker_in_flight.h"

namespace enrol::app {
namespace json = boost::json;

Result<WorkerStats> CaseEngine::RunDue(int batch) {
  WorkerStats stats;
  ENROL_ASSIGN_OR_RETURN(int64_t latest, persons_.LatestImport());
  ENROL_RETURN_IF_ERROR(ProtectionAsOf(latest));
  auto st = FireTimers(batch, stats);
  if (st) st = RunJobs(batch, stats);
  if (!st) {
    if (!IsBusy(st.error())) return tl::unexpected(st.error());
    stats.busy = true;
  }
  return stats;
}

// One pass over the due jobs: it claims them (a lease for this worker, at
// most one in-process window per claim), screens each family immediately
// before its call, makes the calls (in-process ones a window at a time,
// network ones one by one, those of a system that takes many at once on
// threads of their own) and has the outcomes recorded; on an error it
// releases the jobs it still holds.
class JobPass {
 public:
  JobPass(CaseEngine& engine, int batch, WorkerStats& stats)
      : e_(engine), batch_(batch), stats_(stats), start_ms_(engine.NowMs()), lease_ms_(LeaseMs()) {}

  Status Run() {
    if (auto first = ClaimMore(start_ms_); !first) return Fail(tl::unexpected(first.error()));
    for (;;) {
      while (k_ < claimed_.size()) {
        if (Status st = RecordFlown(false); !st) return Fail(st);
        bool go_on = true;
        while (go_on && k_ < claimed_.size() && arrived_.size() < CaseEngine::kInProcessWindow) {
          auto next = CallNext();
          if (!next) return Fail(tl::unexpected(next.error()));
          go_on = *next;
        }
        if (arrived_.empty()) break;  // stopping, or the lease is too short for the next call
        if (Status st = CommitWindow(); !st) return Fail(st);
      }
      if (k_ < claimed_.size() || flying_.Running() == 0 || Stopping()) break;
      // A pass ends within its budget (the calls in flight still answer), so
      // that timers and the next claims are not held back behind a busy system.
      if (OverBudget()) break;
      // Calls are in flight: claim the next due jobs, so that the systems stay
      // busy while those answer (a busy database just ends this pass).
      auto more = ClaimMore(e_.NowMs());
      if (!more || *more == 0) break;
    }
    if (Status st = RecordFlown(true); !st) return Fail(st);
    return ReleaseRest();
  }

 private:
  // A job this pass holds, with what its claim read (a deque: outcomes on
  // their way point into it while more are claimed).
  struct Claimed {
    JobRecord job;
    CaseEngine::ClaimSnapshot snapshot;
  };
  using PupilAt = std::pair<std::string, int64_t>;  // (system, pupil)

  // The lease covers the slowest system's timeout twice over, or a job of
  // that system would never start inside it.
  int64_t LeaseMs() const {
    int64_t ms = e_.PolicyFor("").lease_ms;
    for (const auto& [type, connector] : e_.connectors_) {
      const RetryPolicy p = e_.PolicyFor(type);
      ms = std::max({ms, p.lease_ms, 2 * p.timeout_ms});
    }
    return ms;
  }
  bool Stopping() const { return e_.stop_ && *e_.stop_; }
  bool OverBudget() { return e_.NowMs() - start_ms_ >= CaseEngine::kPassBudgetMs; }

  // Claims the next due jobs inside the caller's transaction, at most one
  // in-process window of them, so that no outcome of this worker's commits
  // between a claim and the calls of the window it feeds.
  Status Claim(UnitOfWork& tx, int64_t at, std::vector<Claimed>& into) {
    into.clear();
    ENROL_ASSIGN_OR_RETURN(std::vector<JobRecord> more,
                           tx.jobs().ClaimJobs(e_.worker_id_, at, at + lease_ms_,
                                               std::min(batch_, static_cast<int>(CaseEngine::kInProcessWindow))));
    if (more.empty()) return {};
    ENROL_ASSIGN_OR_RETURN(int64_t version, tx.cases().DataVersion());
    ENROL_ASSIGN_OR_RETURN(int64_t latest, e_.persons_.LatestImport());
    ENROL_RETURN_IF_ERROR(e_.ProtectionAsOf(latest));
    for (JobRecord& j : more) {
      ENROL_ASSIGN_OR_RETURN(std::optional<CasePerson> person, tx.cases().PersonOfCase(j.case_id));
      into.push_back(Claimed{std::move(j), CaseEngine::ClaimSnapshot{person, version, own_commits_}});
    }
    return {};
  }
  Result<size_t> ClaimMore(int64_t at) {
    std::vector<Claimed> more;
    ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(e_.cases_));
    ENROL_RETURN_IF_ERROR(Claim(tx, at, more));
    ENROL_RETURN_IF_ERROR(tx.Commit());
    for (Claimed& c : more) claimed_.push_back(std::move(c));
    return more.size();
  }
  // Gives back every claim of this pass whose outcome was not recorded:
  // the calls not begun (a stop, the pass's budget, a short lease) and, on
  // an error, those whose outcome was lost. Their jobs run again at once
  // (with the same keys) instead of after their lease.
  Status ReleaseRest(bool begun_too = false) {
    const size_t from = begun_too ? 0 : k_;
    if (from >= claimed_.size()) return {};
    ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(e_.cases_));
    for (size_t i = from; i < claimed_.size(); ++i) {
      ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> cur, tx.jobs().FindJob(claimed_[i].job.id));
      if (!cur || cur->status != "queued" || cur->lease_owner != e_.worker_id_) continue;
      cur->lease_owner.clear();
      cur->lease_until = 0;
      ENROL_RETURN_IF_ERROR(tx.jobs().UpdateJob(*cur, e_.NowText()));
    }
    k_ = claimed_.size();
    return tx.Commit();
  }
  Status Fail(Status st) {
    // The calls still running end first (a stop ends them early), so that
    // no claim is given back while its call may still reach the system.
    while (flying_.Running() > 0 && flying_.Take(true)) {
    }
    auto released = ReleaseRest(/*begun_too=*/true);
    if (!released) {
      // The database refused even this (a full disk): the leases lapse by
      // themselves, and `enrol case stuck` shows the cases they hold.
      return tl::unexpected(st.error().WithContext("(the claims of this worker could not be given back: " +
                                                   released.error().message + ")"));
    }
    return st;
  }

  // Records `first` and every other outcome that has arrived by now, in one
  // commit (none waits for another).
  Status Record(InFlightCalls::Done first) {
    std::vector<CaseEngine::Arrived> ready;
    for (std::optional<InFlightCalls::Done> d = std::move(first); d; d = flying_.Take(false)) {
      persons_flying_.erase(persons_flying_.find(person_of_call_.at(d->index)));
      person_of_call_.erase(d->index);
      ready.push_back(CaseEngine::Arrived{&claimed_[d->index].job, std::move(d->outcome), false});
    }
    ++own_commits_;
    return e_.RecordOutcomes(ready, stats_);
  }
  Status RecordFlown(bool wait) {
    while (auto d = flying_.Take(wait)) {
      ENROL_RETURN_IF_ERROR(Record(std::move(*d)));
      if (!wait) continue;
      if (flying_.Running() == 0) break;
    }
    return {};
  }

  // The last outcomes of those claimed commit, and the next jobs are claimed
  // in the same commit, up to `batch` in this pass.
  Status CommitWindow() {
    std::vector<Claimed> next;
    std::function<Status(UnitOfWork&)> claim_next;
    if (k_ == claimed_.size() && flying_.Running() == 0 && !Stopping() &&
        claimed_.size() < static_cast<size_t>(batch_) && !OverBudget()) {
      claim_next = [&](UnitOfWork& tx) { return Claim(tx, e_.NowMs(), next); };
    }
    ++own_commits_;
    Status st = e_.RecordOutcomes(arrived_, stats_, claim_next);
    arrived_.clear();
    // Held even if a later step failed, so that Fail releases them (one
    // rolled back is not this worker's, and ReleaseRest leaves it).
    for (Claimed& c : next) claimed_.push_back(std::move(c));
    return st;
  }

  // Takes the next claimed job to its call, or not (protected, cancelled,
  // no connector). False: commit what arrived before another call.
  Result<bool> CallNext() {
    const JobRecord& j = claimed_[k_].job;
    const std::optional<CasePerson>& person = claimed_[k_].snapshot.person;
    const RetryPolicy p = e_.PolicyFor(j.type);
    auto it = e_.connectors_.find(j.type);
    const int most = it == e_.connectors_.end() ? 1 : it->second->MaxInFlight();
    const int64_t pupil = person ? person->person_id : -j.case_id;
    if (most > 1) {
      // The in-process outcomes made so far commit first: a crash during
      // the calls that take their time does not lose them.
      if (!arrived_.empty()) return false;
      // A free place, and no call for this pupil running (two calls to one
      // system for one pupil never run at once: the archive finds the
      // pupil's case file by its key before it makes one); the lease is
      // checked after the wait, when the call would start.
      while (flying_.Running(j.type) >= most || persons_flying_.count(PupilAt(j.type, pupil))) {
        auto d = flying_.Take(true);
        if (!d) break;
        ENROL_RETURN_IF_ERROR(Record(std::move(*d)));
      }
    }
    // A call must end inside the lease, or another worker may start it too.
    if (Stopping() || e_.NowMs() + p.timeout_ms > j.lease_until) return false;
    const size_t index = k_++;
    // The family is screened now, immediately before the call begins, as
    // the register and the case stand (not as they stood at the claim).
    ENROL_ASSIGN_OR_RETURN(std::optional<bool> screened,
                           e_.ScreenBeforeEffect(j, claimed_[index].snapshot, own_commits_));
    if (!screened) return true;  // cancelled or taken over since the claim: not called
    bool prot = *screened;
    // The effects the education office may order for a protected case:
    // filing its letter with the stricter screening, and entering the
    // pupil in the student system (neither carries an address).
    const json::value* ordered = j.params.if_contains("protected_order");
    if (prot && (j.type == "archive" || j.type == "student_system") && ordered && ordered->is_bool() &&
        ordered->get_bool()) {
      prot = false;
    }
    if (prot) {  // not called: RecordOutcome hands the case to the education office
      arrived_.push_back(CaseEngine::Arrived{&j, JobOutcome{}, true});
      return true;
    }
    if (it == e_.connectors_.end()) {
      arrived_.push_back(CaseEngine::Arrived{
          &j, JobOutcome{false, nullptr, "no connector is configured for invoke type '" + j.type + "'", false},
          false});
      return true;
    }
    JobRequest req;
    req.job_id = j.id;
    req.type = j.type;
    req.idempotency_key = j.key;
    req.params = j.params;
    req.attempt = j.attempts + 1;
    req.timeout_ms = p.timeout_ms;
    if (most > 1) {
      person_of_call_[index] = PupilAt(j.type, pupil);
      persons_flying_.insert(PupilAt(j.type, pupil));
      flying_.Start(index, j.type, it->second->Begin(req));
      return true;
    }
    arrived_.push_back(CaseEngine::Arrived{&j, it->second->Execute(req), false});
    KillPoint("after_call");
    return it->second->InProcess();  // any other system's outcome commits before the next call
  }

  CaseEngine& e_;
  const int batch_;
  WorkerStats& stats_;
  const int64_t start_ms_;
  const int64_t lease_ms_;
  std::deque<Claimed> claimed_;
  size_t k_ = 0;  // the next claimed job to call
  // Commits of outcomes this pass has made (counted before each, so that a
  // claim riding on a commit carries that commit's number).
  int64_t own_commits_ = 0;
  std::vector<CaseEngine::Arrived> arrived_;  // in-process outcomes waiting for their commit
  InFlightCalls flying_;
  std::map<size_t, PupilAt> person_of_call_;
  std::multiset<PupilAt> persons_flying_;
};

Status CaseEngine::RunJobs(int batch, WorkerStats& stats) { return JobPass(*this, batch, stats).Run(); }

Result<WorkerStats> CaseEngine::RunUntilIdle() {
  WorkerStats total;
  for (int busy_rounds = 0;;) {
    if (stop_ && *stop_) break;
    ENROL_ASSIGN_OR_RETURN(WorkerStats s, RunDue());
    if (s.busy) {
      // Another process holds the database: wait it out, but not forever.
      if (++busy_rounds > 60) return Aborted("the database stayed locked by another process");
      continue;
    }
    busy_rounds = 0;
    if (s.Work() == 0) break;
    total.Add(s);
  }
  return total;
}

Result<std::optional<int64_t>> CaseEngine::NextDueIn() {
  ENROL_ASSIGN_OR_RETURN(std::optional<int64_t> t, cases_.NextTimerDue());
  ENROL_ASSIGN_OR_RETURN(std::optional<int64_t> j, cases_.NextJobDue());
  std::optional<int64_t> next;
  if (t) next = *t;
  if (j && (!next || *j < *next)) next = *j;
  if (!next) return next;
  return std::optional<int64_t>(std::max<int64_t>(0, *next - NowMs()));
}

}  // namespace enrol::app
