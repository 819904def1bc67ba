// The worker: one pass claims the due jobs (a lease for this worker),
// screens each family immediately before its call, calls the systems outside
// any transaction and has each outcome recorded as it arrives.
#include "engine/app/case_engine.h"

#include <algorithm>
#include <deque>
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

Status CaseEngine::RunJobs(int batch, WorkerStats& stats) {
  const int64_t now = NowMs();
  const int64_t pass_start = now;
  // The lease covers the slowest system's timeout twice over, or a job of
  // that system would never start inside it.
  int64_t lease_ms = PolicyFor("").lease_ms;
  for (const auto& [type, connector] : connectors_) {
    const RetryPolicy p = PolicyFor(type);
    lease_ms = std::max({lease_ms, p.lease_ms, 2 * p.timeout_ms});
  }
  // The jobs this pass holds, each with its case's person as of the claim
  // (a deque: outcomes on their way point into it while more are claimed).
  struct Claimed {
    JobRecord job;
    ClaimSnapshot snapshot;
  };
  std::deque<Claimed> claimed;
  // Commits of outcomes this pass has made (counted before each, so that a
  // claim riding on a commit carries that commit's number).
  int64_t own_commits = 0;
  // Claims the next due jobs inside the caller's transaction, at most one
  // in-process window of them, so that no outcome of this worker's commits
  // between a claim and the calls of the window it feeds.
  auto claim = [&](int64_t at, std::vector<Claimed>& into) -> Status {
    into.clear();
    ENROL_ASSIGN_OR_RETURN(std::vector<JobRecord> more,
                           cases_.ClaimJobs(worker_id_, at, at + lease_ms,
                                            std::min(batch, static_cast<int>(kInProcessWindow))));
    if (more.empty()) return {};
    ENROL_ASSIGN_OR_RETURN(int64_t version, cases_.DataVersion());
    ENROL_ASSIGN_OR_RETURN(int64_t latest, persons_.LatestImport());
    ENROL_RETURN_IF_ERROR(ProtectionAsOf(latest));
    for (JobRecord& j : more) {
      ENROL_ASSIGN_OR_RETURN(std::optional<CaseStore::CasePerson> person, cases_.PersonOfCase(j.case_id));
      into.push_back(Claimed{std::move(j), ClaimSnapshot{person, version, own_commits}});
    }
    return {};
  };
  auto claim_more = [&](int64_t at) -> Result<size_t> {
    std::vector<Claimed> more;
    ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
    ENROL_RETURN_IF_ERROR(claim(at, more));
    ENROL_RETURN_IF_ERROR(tx.Commit());
    for (Claimed& c : more) claimed.push_back(std::move(c));
    return more.size();
  };
  ENROL_ASSIGN_OR_RETURN(size_t first, claim_more(now));
  (void)first;
  size_t k = 0;
  auto release_rest = [&]() -> Status {
    if (k >= claimed.size()) return {};
    ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
    for (; k < claimed.size(); ++k) {
      ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> cur, cases_.FindJob(claimed[k].job.id));
      if (!cur || cur->lease_owner != worker_id_) continue;
      cur->lease_owner.clear();
      cur->lease_until = 0;
      ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*cur, NowText()));
    }
    return tx.Commit();
  };
  // A system in this process (the simulators) answers at once: up to
  // kInProcessWindow of its calls are made before their outcomes commit
  // together. Any other system's outcome commits before the next call.
  constexpr size_t kWindow = kInProcessWindow;
  std::vector<Arrived> arrived;
  // A system that takes many calls at once gets them on threads of their
  // own; each outcome commits alone, as it arrives.
  // Two calls to one system for one pupil never run at once: the archive
  // finds the pupil's case file by its key before it makes one, and two
  // searches at the same time would both make it. Calls to different
  // systems for one pupil do run at once.
  InFlightCalls flying;
  using PupilAt = std::pair<std::string, int64_t>;  // (system, pupil)
  std::map<size_t, PupilAt> person_of_call;
  std::multiset<PupilAt> persons_flying;
  // Records `first` and every other outcome that has arrived by now, in one
  // commit (none waits for another).
  auto record = [&](InFlightCalls::Done first) -> Status {
    std::vector<Arrived> ready;
    for (std::optional<InFlightCalls::Done> d = std::move(first); d; d = flying.Take(false)) {
      persons_flying.erase(persons_flying.find(person_of_call.at(d->index)));
      person_of_call.erase(d->index);
      ready.push_back(Arrived{&claimed[d->index].job, std::move(d->outcome), false});
    }
    ++own_commits;
    return RecordOutcomes(ready, stats);
  };
  auto record_flown = [&](bool wait) -> Status {
    while (auto d = flying.Take(wait)) {
      ENROL_RETURN_IF_ERROR(record(std::move(*d)));
      if (!wait) continue;
      if (flying.Running() == 0) break;
    }
    return {};
  };
  auto fail = [&](Status st) -> Status {
    auto released = release_rest();  // the lost outcomes' jobs run again after their lease
    (void)released;
    return st;
  };
  for (;;) {
  while (k < claimed.size()) {
    if (Status st = record_flown(false); !st) return fail(st);
    while (k < claimed.size() && arrived.size() < kWindow) {
      const JobRecord& j = claimed[k].job;
      const std::optional<CaseStore::CasePerson>& person = claimed[k].snapshot.person;
      const RetryPolicy p = PolicyFor(j.type);
      auto it = connectors_.find(j.type);
      const int most = it == connectors_.end() ? 1 : it->second->MaxInFlight();
      const int64_t pupil = person ? person->person_id : -j.case_id;
      if (most > 1) {
        // The in-process outcomes made so far commit first: a crash during
        // the calls that take their time does not lose them.
        if (!arrived.empty()) break;
        // A free place, and no call for this pupil running; the lease is
        // checked after the wait, when the call would start.
        while (flying.Running(j.type) >= most || persons_flying.count(PupilAt(j.type, pupil))) {
          auto d = flying.Take(true);
          if (!d) break;
          if (Status st = record(std::move(*d)); !st) return fail(st);
        }
      }
      // A call must end inside the lease, or another worker may start it too.
      if ((stop_ && *stop_) || NowMs() + p.timeout_ms > j.lease_until) break;
      ++k;
      // The family is screened now, immediately before the call begins, as
      // the register and the case stand (not as they stood at the claim).
      auto screened = ScreenBeforeEffect(j, claimed[k - 1].snapshot, own_commits);
      if (!screened) return fail(tl::unexpected(screened.error()));
      if (!*screened) continue;  // cancelled or taken over since the claim: not called
      bool prot = **screened;
      // The effects the education office may order for a protected case:
      // filing its letter with the stricter screening, and entering the
      // pupil in the student system (neither carries an address).
      const json::value* ordered = j.params.if_contains("protected_order");
      if (prot && (j.type == "archive" || j.type == "student_system") && ordered && ordered->is_bool() &&
          ordered->get_bool()) {
        prot = false;
      }
      if (prot) {  // not called: RecordOutcome hands the case to the education office
        arrived.push_back(Arrived{&j, JobOutcome{}, true});
        continue;
      }
      if (it == connectors_.end()) {
        arrived.push_back(Arrived{&j, JobOutcome{false, nullptr, "no connector is configured for invoke type '" +
                                                                     j.type + "'", false},
                                  false});
        continue;
      }
      JobRequest req;
      req.job_id = j.id;
      req.type = j.type;
      req.idempotency_key = j.key;
      req.params = j.params;
      req.attempt = j.attempts + 1;
      req.timeout_ms = p.timeout_ms;
      if (most > 1) {
        person_of_call[k - 1] = PupilAt(j.type, pupil);
        persons_flying.insert(PupilAt(j.type, pupil));
        flying.Start(k - 1, j.type, it->second->Begin(req));
        continue;
      }
      arrived.push_back(Arrived{&j, it->second->Execute(req), false});
      KillPoint("after_call");
      if (!it->second->InProcess()) break;  // commit it before the next call
    }
    if (arrived.empty()) break;  // stopping, or the lease is too short for the next call
    // The last outcomes of those claimed: the next jobs are claimed in the
    // same commit, up to `batch` in this pass.
    std::vector<Claimed> next;
    std::function<Status()> claim_next;
    if (k == claimed.size() && flying.Running() == 0 && !(stop_ && *stop_) &&
        claimed.size() < static_cast<size_t>(batch) && NowMs() - pass_start < kPassBudgetMs) {
      claim_next = [&] { return claim(NowMs(), next); };
    }
    ++own_commits;
    Status st = RecordOutcomes(arrived, stats, claim_next);
    arrived.clear();
    // Held even if a later step failed, so that `fail` releases them (one
    // rolled back is not this worker's, and release_rest leaves it).
    for (Claimed& c : next) claimed.push_back(std::move(c));
    if (!st) return fail(st);
  }
  if (k < claimed.size() || flying.Running() == 0 || (stop_ && *stop_)) break;
  // A pass ends within its budget (the calls in flight still answer), so
  // that timers and the next claims are not held back behind a busy system.
  if (NowMs() - pass_start >= kPassBudgetMs) break;
  // Calls are in flight: claim the next due jobs, so that the systems stay
  // busy while those answer (a busy database just ends this pass).
  auto more = claim_more(NowMs());
  if (!more || *more == 0) break;
  }
  if (Status st = record_flown(true); !st) return fail(st);
  return release_rest();
}

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
