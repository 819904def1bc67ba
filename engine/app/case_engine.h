#pragma once
// The durable case engine: every enrolment is a case, one running statechart
// stored in SQLite. Each event is applied in one transaction together with
// its audit rows, the timers it sets or cancels and the connector jobs its
// invokes start (the outbox); an event id is applied once however often it
// is delivered. Connector work runs outside transactions and is recorded
// after; a crash in between re-runs the job, and the connector's idempotency
// key makes its effect happen once.

#include <atomic>
#include <ctime>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/app/case_ports.h"
#include "engine/app/cohort_report.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"
#include "engine/app/users.h"
#include "engine/statechart/interpreter.h"

namespace enrol::app {

class CaseBatch;
class JobPass;

struct RetryPolicy {
  int attempts = 5;
  int64_t backoff_ms = 10000;      // first wait; doubles each attempt
  int64_t max_backoff_ms = 600000;
  double jitter = 0.2;             // +- this share of the wait
  int64_t timeout_ms = 30000;
  int64_t lease_ms = 120000;  // a claimed job is another worker's to take after this
};

struct ApplyResult {
  bool duplicate = false;  // the event id (or the person's request) was applied before
  bool handled = false;    // a transition was taken
  std::string from, to;    // active states before and after
  std::string note;        // for a duplicate: when it was applied, and what to do
};

// An event from a person, as a command or the web app sends it.
struct PersonCommand {
  std::string event;
  boost::json::value data;   // an object, or null
  std::string actor;         // "person:<name>"
  // Given by the caller (one per click or command): the same id is applied
  // once. Without one, the same event and data as the case's last person
  // event counts as a repeat and is not applied again.
  std::string request_id;
  // The web app's user, checked inside the transaction that applies the
  // event, against the case as it is then: a case the user may not see is
  // kNotFound (as one that does not exist), an event the user may not send
  // kPermissionDenied. Unset: the operator at the command line, who may
  // send every person event.
  std::optional<User> user;
};

// Why an active case cannot move on by itself.
struct StuckCase {
  int64_t case_id = 0;
  std::string key, state, school;
  std::string reason;
};

struct WorkerStats {
  int timers_fired = 0;
  int jobs_done = 0;
  int jobs_retried = 0;
  int jobs_pending = 0;     // asked again later for a receipt not there yet (not an attempt)
  int incidents = 0;
  int events = 0;
  int protected_stops = 0;  // jobs not run: the case's address became protected
  bool busy = false;        // the database was locked by another process: try again
  [[nodiscard]] int Work() const { return timers_fired + jobs_done + jobs_retried + jobs_pending + incidents + protected_stops;
  }
  void Add(const WorkerStats& o);
};

// What a bulk incident action did: how many it carried out, and why each
// of the others was refused.
struct IncidentActions {
  int done = 0;
  std::vector<std::string> refused;
};

struct IntakeSummary {
  int created = 0;
  int existing = 0;
  int register_events = 0;
  int closed_as_excluded = 0;
  WorkerStats worker;
  std::vector<std::tuple<std::string, std::string, int>> by_school_state;
};


class CaseEngine {
 public:
  CaseEngine(CaseStore& cases, PersonStore& persons, Clock& clock, IdGenerator& ids, const Settings& settings,
             std::map<std::string, Connector*> connectors);
  ~CaseEngine();

  // Checked between jobs and while waiting: when it becomes true, RunDue
  // returns after the job in flight, releasing the jobs it claimed.
  void SetStopFlag(const std::atomic<bool>* stop) { stop_ = stop; }
  // The worker's identity in job leases.
  [[nodiscard]] const std::string& worker_id() const { return worker_id_; }

  // Parses and registers the workflow new cases start with.
  [[nodiscard]] Status LoadWorkflow(const std::string& source);
  [[nodiscard]] const std::string& current_workflow() const { return current_; }
  [[nodiscard]] std::vector<std::string> InvokeTypes() const;

  // Creates the cases for a school year's cohorts (grades 1, 5, 8 by
  // default), turns register changes since a case's last look into events,
  // then runs until every case waits for a person or an external system.
  // Running it again creates no duplicates.
  [[nodiscard]] Result<IntakeSummary> Intake(int school_year, const std::vector<int>& grades,
                                             const std::function<void(int, int)>& progress = {});

  // Applies an event from a person to one case, in its own transaction.
  // Only events the workflow declares for people, in the states that accept
  // them, with the data the declaration asks for (engine events such as
  // done.* are refused). kFailedPrecondition for a finished case;
  // kInvalidArgument for an event the case does not accept now, naming the
  // ones it does (nothing is written). A repeated request is a duplicate.
  [[nodiscard]] Result<ApplyResult> ApplyPersonEvent(int64_t case_id, const PersonCommand& command);

  // Applies the same person event to many cases: groups of cases share a
  // transaction, each case has its own savepoint, so a case the event does
  // not apply to is refused alone. One result per id, in order.
  [[nodiscard]] Result<std::vector<Result<ApplyResult>>> ApplyPersonEventToMany(
      const std::vector<int64_t>& case_ids, const PersonCommand& command);

  // The print batch's receipt: the case's letter (that version) was printed
  // in `batch`. Applied once per case and letter version, in its own
  // transaction, and only to a case waiting for its print
  // (kFailedPrecondition or kInvalidArgument otherwise); never a person's.
  [[nodiscard]] Result<ApplyResult> RecordPrinted(int64_t case_id, int64_t letter_version, const std::string& batch,
                                                  const std::string& actor);
  // Marks every case of the open print batch printed and closes the batch
  // (its file's SHA-256), all in one unit of work: either every case is
  // marked or none is. A case marked before counts once. Returns the cases
  // marked now.
  [[nodiscard]] Result<int> MarkBatchPrinted(int64_t batch_id, const std::string& sha256, const std::string& actor);

  // Person events the case accepts now, described for a message.
  [[nodiscard]] Result<std::string> AcceptedEvents(int64_t case_id);

  // Active cases that cannot move on: no queued job, no open incident, no
  // timer, and no person event they accept (or a stored instance that does
  // not read).
  [[nodiscard]] Result<std::vector<StuckCase>> StuckCases();

  // After an import: a change of protection (adressebeskyttelse) of a child
  // or of a guardian reaches every open case of the child now, as
  // register.protection_changed. Returns the number of cases it reached.
  [[nodiscard]] Result<int> ApplyProtectionChanges(int64_t import_id);

  // Fires due timers (one transaction for a batch), then claims due jobs
  // (a lease for this worker), calls their systems outside any transaction
  // and commits each outcome as it arrives. A case that fails in an
  // unexpected way becomes an incident and the others go on. A locked
  // database is reported as stats.busy, not as an error.
  // Calls to a system in this process (the simulators, which answer in
  // microseconds) made before their outcomes commit together: a crash loses
  // at most this many, and their jobs run again with the same keys after
  // their lease. 16 cost the intake bench about 8% more than 32 (a commit
  // writes every page it touched to the WAL, 30 to 40 pages, whatever the
  // number of outcomes). A system over the network commits each outcome as
  // it arrives, together only with the ones that arrived with it.
  static constexpr size_t kInProcessWindow = 32;
  // How long a pass goes on claiming while calls are in flight.
  static constexpr int64_t kPassBudgetMs = 2000;
  [[nodiscard]] Result<WorkerStats> RunDue(int batch = 256);
  // RunDue until nothing is due now.
  [[nodiscard]] Result<WorkerStats> RunUntilIdle();
  // Milliseconds until the next timer or job is due (nullopt: nothing waits).
  [[nodiscard]] Result<std::optional<int64_t>> NextDueIn();

  // Incidents: retry re-queues the job; skip completes it without the
  // connector (done.invoke with {skipped, reason}); cancel fails the invoke
  // (error.communication to the case).
  // Each incident is read again in the transaction that acts on it: one no
  // longer open, or whose work is no longer waiting on it, is refused alone
  // and reported in `refused`; the others go on.
  [[nodiscard]] Result<IncidentActions> RetryIncidents(const IncidentFilter& f, const std::string& actor);
  [[nodiscard]] Result<IncidentActions> SkipIncidents(const IncidentFilter& f, const std::string& actor,
                                                      const std::string& reason);
  [[nodiscard]] Result<IncidentActions> CancelIncidents(const IncidentFilter& f, const std::string& actor,
                                                        const std::string& reason);

  // Moves active cases to the current workflow version where all their
  // states exist in it; refuses (nothing moved) with the list otherwise.
  [[nodiscard]] Result<int> MigrateCases(const std::string& actor);

  // Writes what a person did outside the workflow to the audit log, in its
  // own transaction: kind "view" (saw a case's personal data), "access"
  // (signed in, or was refused), "action" (an import, an intake run; case 0
  // when no case). `what` names no person.
  [[nodiscard]] Status RecordAudit(int64_t case_id, const std::string& actor, const std::string& kind,
                                   const std::string& what);

  [[nodiscard]] Result<std::shared_ptr<const sc::Chart>> Chart(const std::string& hash);
  [[nodiscard]] int64_t NowMs();
  [[nodiscard]] std::string NowText();

 private:
  friend class JobPass;  // the worker's pass over the due jobs (worker_jobs.cc)
  // Applies an event to `c` (in memory) and writes its audit row, timers
  // and jobs; the caller writes the case row (UpdateCase) before commit.
  Result<ApplyResult> Apply(UnitOfWork& tx, CaseRecord& c, const std::string& event_id, const sc::Event& event,
                            const std::string& actor, bool must_apply, bool show_data = false);
  Result<ApplyResult> ApplyPerson(UnitOfWork& tx, CaseRecord& c, const PersonCommand& command);
  // post.printed to one case; kFailedPrecondition when it does not wait
  // for its print (kInvalidArgument too, with `must_apply`).
  Result<ApplyResult> ApplyPrinted(UnitOfWork& tx, int64_t case_id, int64_t letter_version, const std::string& batch,
                                   const std::string& actor, bool must_apply);
  // A request applied before (the same request id, or without one the same
  // event and data as the last one applied): its answer, applying nothing.
  Result<std::optional<ApplyResult>> RepeatedRequest(UnitOfWork& tx, const CaseRecord& c, const PersonCommand& command);
  // The command's user may see the case and send its event (see PersonCommand::user).
  Status Authorize(const CaseRecord& c, const PersonCommand& command);
  Status FireTimers(int batch, WorkerStats& stats);
  Status RunJobs(int batch, WorkerStats& stats);
  // An outcome that has arrived, waiting for its commit.
  struct Arrived {
    const JobRecord* job;
    JobOutcome outcome;
    bool protected_case;
  };
  // Records outcomes in one transaction, for the jobs this worker still
  // holds; an outcome that fails becomes an incident alone. `also` runs in
  // that transaction, after them.
  Status RecordOutcomes(const std::vector<Arrived>& arrived, WorkerStats& stats,
                        const std::function<Status(UnitOfWork&)>& also = {});
  // Records one job's outcome inside the caller's transaction.
  Status RecordOutcome(UnitOfWork& tx, const JobRecord& job, const JobOutcome& outcome, bool protected_case, CaseBatch& cases,
                       WorkerStats& stats);
  // A call that failed: retried after its backoff, or an incident once its
  // attempts are spent. `write_held` writes the job while this worker holds
  // it and returns its case (null: no longer held).
  Status RecordFailedAttempt(UnitOfWork& tx, JobRecord& job, const JobOutcome& outcome,
                             const std::function<Result<CaseRecord*>()>& write_held, WorkerStats& stats);
  // The job (or timer) could not be applied to its case: an incident.
  Status RecordFailure(int64_t case_id, const JobRecord* job, const std::string& what, const Error& error,
                       WorkerStats& stats);
  // The register's answer for a child and its guardians, cached per import.
  Result<bool> CaseIsProtected(int64_t person_id);
  // Knows the newest import, and whether its protection check has been made.
  Status ProtectionAsOf(int64_t latest_import);
  // A case's protection now, before an effect.
  Result<bool> ProtectedNow(const CasePerson& p);
  // The workflow's protection-stop event (its role), with the data that
  // hands the case to the education office.
  static sc::Event ProtectionStop(const sc::Chart& chart);
  // Immediately before a job's call begins: whether its case is protected
  // now (the newest import, its check, the case's flag or the register),
  // or nullopt when the job is no longer this worker's to run.
  // What a claim read, inside its transaction: the case's person and flag,
  // the database's data version and how many commits this worker had made.
  struct ClaimSnapshot {
    std::optional<CasePerson> person;
    int64_t data_version = -1;
    int64_t own_commits = -1;
  };
  Result<std::optional<bool>> ScreenBeforeEffect(const JobRecord& j, const ClaimSnapshot& claim, int64_t own_commits);
  Status CarryOut(UnitOfWork& tx, CaseRecord& c, const sc::StepOutcome& out, const std::string& actor);
  Result<int64_t> CreateCase(UnitOfWork& tx, const CohortReport& report, const core::CohortEntry& entry,
                             int64_t person_key, int64_t seen_import, bool register_newer);
  // Intake: last year's deferred children joining a grade 1 cohort; one
  // batch of a cohort's cases in its unit of work; an existing case's
  // register changes since it last looked, as events.
  Status AddDeferredChildren(CohortReport& report, int year);
  Status IntakeBatch(const CohortReport& report, size_t start, size_t end, int64_t latest, IntakeSummary& summary);
  Status ApplyRegisterChanges(UnitOfWork& tx, CaseRecord& existing, const CohortReport& report, const core::CohortEntry& entry,
                              int64_t person_key, int64_t latest, IntakeSummary& summary);
  boost::json::object CaseData(const CohortReport& report, const core::CohortEntry& entry,
                               int64_t person_key) const;
  // Skips (the job counts as done) or cancels (the invoke fails) one incident.
  Status EndIncident(UnitOfWork& tx, const IncidentRecord& i, const std::string& actor, const std::string& reason, bool skip);
  RetryPolicy PolicyFor(const std::string& type) const;
  int64_t Backoff(const RetryPolicy& p, int64_t job_id, int attempt) const;

  CaseStore& cases_;
  PersonStore& persons_;
  Clock& clock_;
  IdGenerator& ids_;
  const Settings& settings_;
  std::map<std::string, Connector*> connectors_;
  std::string worker_id_;
  const std::atomic<bool>* stop_ = nullptr;
  std::map<int64_t, bool> protection_cache_;  // person -> protected, as of import protection_import_
  int64_t protection_import_ = -1;
  bool protection_checked_ = false;
  std::string now_text_;  // NowText() of second now_text_second_
  std::time_t now_text_second_ = -1;  // protection_import_'s changes reached every open case
  std::map<std::string, std::shared_ptr<const sc::Chart>> charts_;
  std::string current_;
};

}  // namespace enrol::app
