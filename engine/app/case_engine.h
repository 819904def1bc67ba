#pragma once
// The durable case engine: every enrolment is a case, one running statechart
// stored in SQLite. Each event is applied in one transaction together with
// its audit rows, the timers it sets or cancels and the connector jobs its
// invokes start (the outbox); an event id is applied once however often it
// is delivered. Connector work runs outside transactions and is recorded
// after; a crash in between re-runs the job, and the connector's idempotency
// key makes its effect happen once.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/app/case_ports.h"
#include "engine/app/cohort_report.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"
#include "engine/statechart/interpreter.h"

namespace enrol::app {

struct RetryPolicy {
  int attempts = 5;
  int64_t backoff_ms = 10000;      // first wait; doubles each attempt
  int64_t max_backoff_ms = 600000;
  double jitter = 0.2;             // +- this share of the wait
  int64_t timeout_ms = 30000;
};

struct ApplyResult {
  bool duplicate = false;  // the event id was applied before
  bool handled = false;    // a transition was taken
  std::string from, to;    // active states before and after
};

struct WorkerStats {
  int timers_fired = 0;
  int jobs_done = 0;
  int jobs_retried = 0;
  int incidents = 0;
  int events = 0;
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
  CaseEngine(CaseStore& cases, PersonStore& persons, Clock& clock, const Settings& settings,
             std::map<std::string, Connector*> connectors);

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

  // Applies an event from a person (actor) to one case, in its own
  // transaction. kFailedPrecondition for a finished case; kInvalidArgument
  // when the event does not apply in the case's state (nothing is written).
  [[nodiscard]] Result<ApplyResult> ApplyPersonEvent(int64_t case_id, const std::string& event_id,
                                                     const sc::Event& event, const std::string& actor);

  // Applies the same person event to many cases: groups of cases share a
  // transaction, each case has its own savepoint, so a case the event does
  // not apply to is refused alone. One result per id, in order.
  [[nodiscard]] Result<std::vector<Result<ApplyResult>>> ApplyPersonEventToMany(
      const std::vector<int64_t>& case_ids, const std::string& event_id_prefix, const sc::Event& event,
      const std::string& actor);

  // Fires due timers and runs due connector jobs, a batch at a time, each
  // batch recorded in one transaction. Returns what it did.
  [[nodiscard]] Result<WorkerStats> RunDue(int batch = 256);
  // RunDue until nothing is due now.
  [[nodiscard]] Result<WorkerStats> RunUntilIdle();
  // Milliseconds until the next timer or job is due (nullopt: nothing waits).
  [[nodiscard]] Result<std::optional<int64_t>> NextDueIn();

  // Incidents: retry re-queues the job; skip completes it without the
  // connector (done.invoke with {skipped, reason}); cancel fails the invoke
  // (error.communication to the case).
  [[nodiscard]] Result<int> RetryIncidents(const IncidentFilter& f, const std::string& actor);
  [[nodiscard]] Result<int> SkipIncidents(const IncidentFilter& f, const std::string& actor,
                                          const std::string& reason);
  [[nodiscard]] Result<int> CancelIncidents(const IncidentFilter& f, const std::string& actor,
                                            const std::string& reason);

  // Moves active cases to the current workflow version where all their
  // states exist in it; refuses (nothing moved) with the list otherwise.
  [[nodiscard]] Result<int> MigrateCases(const std::string& actor);

  [[nodiscard]] Result<std::shared_ptr<const sc::Chart>> Chart(const std::string& hash);
  [[nodiscard]] int64_t NowMs();
  [[nodiscard]] std::string NowText();

 private:
  // Applies an event to `c` (in memory) and writes its audit row, timers
  // and jobs; the caller writes the case row (UpdateCase) before commit.
  Result<ApplyResult> Apply(CaseRecord& c, const std::string& event_id, const sc::Event& event,
                            const std::string& actor, bool must_apply);
  Status CarryOut(CaseRecord& c, const sc::StepOutcome& out, const std::string& actor);
  Result<int64_t> CreateCase(const CohortReport& report, const core::CohortEntry& entry,
                             int64_t person_key, int64_t seen_import);
  boost::json::object CaseData(const CohortReport& report, const core::CohortEntry& entry,
                               int64_t person_key) const;
  // Skips (the job counts as done) or cancels (the invoke fails) one incident.
  Status EndIncident(const IncidentRecord& i, const std::string& actor, const std::string& reason, bool skip);
  RetryPolicy PolicyFor(const std::string& type) const;
  int64_t Backoff(const RetryPolicy& p, int64_t job_id, int attempt) const;

  CaseStore& cases_;
  PersonStore& persons_;
  Clock& clock_;
  const Settings& settings_;
  std::map<std::string, Connector*> connectors_;
  std::map<std::string, std::shared_ptr<const sc::Chart>> charts_;
  std::string current_;
};

}  // namespace enrol::app
