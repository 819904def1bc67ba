#pragma once
// Ports of the durable case engine: the store of cases, timers, jobs,
// incidents and audit, and the connectors that do work in other systems.

#include <cstdint>
#include <optional>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <functional>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "engine/core/result.h"

namespace enrol::app {

struct CaseRecord {
  int64_t id = 0;
  std::string key;          // "2027/1/P123"
  int64_t person_id = 0;
  int school_year = 0;
  int grade = 0;
  std::string school;
  std::string workflow;     // version (hash)
  std::string state;        // active atomic states, space-separated
  std::string status;       // active | completed | closed
  boost::json::object instance;
  int64_t seen_import = 0;
  std::string created_at;
  std::string updated_at;
  // Under a protected address (the workflow's protected role, as the engine
  // last set it): only the education office sees the case.
  bool protected_case = false;
  // Set when the stored instance could not be read (not JSON, not an
  // object): the case is damaged and must not be run with an empty one.
  std::string damage;
};

struct CaseFilter {
  std::string school;
  int grade = 0;
  std::string state;   // matches one of the active states
  std::string status;
  int school_year = 0;
  int limit = -1;
};

// A page of cases for the web app's lists: the cases in a scope (the
// schools a person may see, protected ones only when asked), filtered, with
// the child's name for display and search.
struct CaseListQuery {
  std::vector<std::string> schools;  // empty: every school
  bool with_protected = false;       // include protected-address cases
  int grade = 0;
  std::string phase;                 // the state of an active case, else its status
  std::string search;                // part of the child's name (ASCII case-insensitive)
  int school_year = 0;
  int limit = 50;
  int offset = 0;
};

struct CaseListRow {
  int64_t id = 0;
  std::string key;
  int grade = 0;
  std::string school;
  std::string phase;  // as CaseListQuery::phase
  std::string status;
  std::string child_name;
  std::string birth_date;
  bool protected_case = false;
  std::string updated_at;
};

struct CaseListPage {
  std::vector<CaseListRow> rows;
  int64_t total = 0;                        // matching every filter
  std::map<std::string, int64_t> by_phase;  // in the scope, grade and search, any phase
  std::map<int, int64_t> by_grade;          // in the scope, phase and search, any grade
};

struct TimerRecord {
  int64_t case_id = 0;
  std::string send_id;
  std::string event;
  boost::json::value data;
  int64_t due_ms = 0;
};

struct JobRecord {
  int64_t id = 0;
  int64_t case_id = 0;
  std::string invoke_id;
  std::string type;
  boost::json::object params;
  std::string key;          // idempotency key: a UUID made with the job, kept for every attempt
  std::string status;       // queued | done | incident | cancelled
  int attempts = 0;
  int64_t next_ms = 0;
  std::string last_error;
  boost::json::value result;
  std::string lease_owner;  // the worker that claimed it ('' : none)
  int64_t lease_until = 0;  // Unix ms when the claim lapses
};

struct IncidentRecord {
  int64_t id = 0;
  int64_t job_id = 0;       // 0: an incident of the case itself (kind case or timer)
  int64_t case_id = 0;
  std::string kind = "job"; // job | case | timer
  std::string error;
  std::string status;       // open | retried | skipped | cancelled
  std::string resolution;
  std::string created_at;
  // Joined for selection and display.
  std::string case_key, school, state, job_type;
  int grade = 0;
};

struct IncidentFilter {
  std::vector<int64_t> ids;  // empty: any
  std::string school;
  int grade = 0;
  std::string state;
  std::string error;         // substring
  bool open_only = true;
};

struct AuditEntry {
  int64_t case_id = 0;
  std::string actor;   // "person:<name>", "timer", "connector:<type>", "intake"
  std::string kind;    // event | transition | effect | action | migrate
  std::string detail;
};

struct AuditVerification {
  int64_t rows = 0;
  bool ok = true;
  std::string problem;  // the first broken row and how
  int64_t head_seq = 0;  // the last row
  std::string head_hash;
  int64_t keyed_rows = 0;  // rows chained with the HMAC key
};

// The head of the audit chain as kept outside the database (a checkpoint
// file, or anchored in another system).
struct AuditHead {
  int64_t seq = 0;
  std::string hash;
};

// A person's request, as recorded when its event was applied.
struct PersonRequest {
  int64_t case_id = 0;
  std::string request_id;
  bool given = false;       // the caller gave the id (else derived)
  std::string fingerprint;  // SHA-256 of actor, event and data
  std::string event;
  std::string actor;
  std::string applied_at;
};

// The person (child) of a case and whether the case is of a protected
// address, read without the case's instance.
struct CasePerson {
  int64_t person_id = 0;
  bool protected_case = false;
};

// The newest audit rows, with their seq and the case's key (RecentAudit).
struct AuditRow {
  int64_t seq = 0;
  std::string at, case_key;
  AuditEntry entry;
};

// What runs, for monitoring: cases by (status, state), jobs by (type,
// status), the jobs leased now, the open incidents.
struct OperationalCounts {
  std::map<std::pair<std::string, std::string>, int64_t> cases;
  std::map<std::pair<std::string, std::string>, int64_t> jobs;
  int64_t jobs_leased = 0;
  int64_t incidents_open = 0;
};

// The small ports a unit of work hands out (engine/app/unit_of_work.h). Each
// is implemented by engine/store in a file of its own; a PostgreSQL store
// implements the same ones. Writes happen only inside a unit of work.

// Cases, their applied events and person requests, deferrals, the workflow
// versions they run, and which imports' protection changes reached them.
class Cases {
 public:
  virtual ~Cases() = default;
  [[nodiscard]] virtual Status SaveWorkflow(const std::string& hash, const std::string& name,
                                            const std::string& source, const std::string& at) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> WorkflowSource(const std::string& hash) = 0;

  [[nodiscard]] virtual Result<int64_t> InsertCase(const CaseRecord& c) = 0;
  [[nodiscard]] virtual Status UpdateCase(const CaseRecord& c) = 0;
  [[nodiscard]] virtual Result<std::optional<CaseRecord>> FindCase(int64_t id) = 0;
  [[nodiscard]] virtual Result<std::optional<CaseRecord>> FindCaseByKey(const std::string& key) = 0;
  [[nodiscard]] virtual Result<std::optional<CasePerson>> PersonOfCase(int64_t case_id) = 0;
  // A number that changes whenever another connection (another process, or
  // the web server's thread) commits: two equal readings mean that nothing
  // changed in between but this connection's own writes.
  [[nodiscard]] virtual Result<int64_t> DataVersion() = 0;
  // An import whose protection changes have reached every open case: kept
  // in the transaction that applied them (see 0008_protection_checks.sql).
  [[nodiscard]] virtual Status MarkProtectionChecked(int64_t import_id, int cases_reached,
                                                     const std::string& at) = 0;
  [[nodiscard]] virtual Result<bool> ProtectionChecked(int64_t import_id) = 0;
  [[nodiscard]] virtual Result<std::vector<CaseRecord>> ListCases(const CaseFilter& f) = 0;
  // The ids only (no instance is read): for selecting cases to act on.
  [[nodiscard]] virtual Result<std::vector<int64_t>> ListCaseIds(const CaseFilter& f) = 0;

  // False when the event id was applied before.
  [[nodiscard]] virtual Result<bool> MarkEventApplied(const std::string& event_id, int64_t case_id,
                                                      const std::string& name, const std::string& at) = 0;

  [[nodiscard]] virtual Result<std::optional<PersonRequest>> FindPersonRequest(int64_t case_id,
                                                                             const std::string& request_id) = 0;
  [[nodiscard]] virtual Result<std::optional<PersonRequest>> LastPersonRequest(int64_t case_id) = 0;
  [[nodiscard]] virtual Status InsertPersonRequest(const PersonRequest& r) = 0;

  [[nodiscard]] virtual Status AddDeferral(int64_t person_id, int to_year, int64_t case_id) = 0;
  [[nodiscard]] virtual Result<std::vector<int64_t>> DeferredTo(int year) = 0;
};

// What the web app and monitoring read across many cases.
class CaseReports {
 public:
  virtual ~CaseReports() = default;
  [[nodiscard]] virtual Result<OperationalCounts> CountForMonitoring(int64_t now_ms) = 0;
  // Cases that reached their end (completed or closed), per hour of
  // updated_at ("YYYY-MM-DDTHH"), oldest first, at most the last `hours`.
  [[nodiscard]] virtual Result<std::vector<std::tuple<std::string, int64_t, int64_t>>> FinishedPerHour(int hours) = 0;
  // The web app's case lists (see CaseListQuery).
  [[nodiscard]] virtual Result<CaseListPage> ListPage(const CaseListQuery& q) = 0;
  // Counts by (school, status, state) for summaries.
  [[nodiscard]] virtual Result<std::vector<std::tuple<std::string, std::string, int>>> CountCases(
      int school_year) = 0;
};

// Timers a workflow set (SCXML <send delay>), due in Unix ms.
class Timers {
 public:
  virtual ~Timers() = default;
  [[nodiscard]] virtual Status PutTimer(const TimerRecord& t) = 0;
  // True when a timer was deleted. With `due_ms`, only the timer due then:
  // a firing of an earlier timer never deletes one set again since.
  [[nodiscard]] virtual Result<bool> DeleteTimer(int64_t case_id, const std::string& send_id,
                                                 std::optional<int64_t> due_ms = std::nullopt) = 0;
  [[nodiscard]] virtual Result<std::vector<TimerRecord>> DueTimers(int64_t now_ms, int limit) = 0;
  [[nodiscard]] virtual Result<std::optional<int64_t>> NextTimerDue() = 0;
  [[nodiscard]] virtual Result<std::vector<TimerRecord>> TimersOf(int64_t case_id) = 0;
};

// The jobs a workflow's <invoke>s made, claimed by workers under a lease.
class JobQueue {
 public:
  virtual ~JobQueue() = default;
  // Inserts a job (one per case and invoke id); returns the job id.
  [[nodiscard]] virtual Result<int64_t> InsertJob(const JobRecord& j, const std::string& at) = 0;
  // Writes status, attempts, next_ms, error, result and the lease.
  [[nodiscard]] virtual Status UpdateJob(const JobRecord& j, const std::string& at) = 0;
  // Claims up to `limit` due jobs for `owner` until `lease_until` (queued,
  // due, and unclaimed or with a lapsed claim), in one statement; call it
  // inside a unit of work. Returns the claimed jobs.
  [[nodiscard]] virtual Result<std::vector<JobRecord>> ClaimJobs(const std::string& owner, int64_t now_ms,
                                                               int64_t lease_until, int limit) = 0;
  [[nodiscard]] virtual Result<std::optional<JobRecord>> FindJob(int64_t id) = 0;
  // UpdateJob, only while the job is still queued and leased to `owner` (not
  // cancelled, not taken over by another worker after its lease lapsed):
  // false, and nothing written, when it is not.
  [[nodiscard]] virtual Result<bool> UpdateHeldJob(const JobRecord& j, const std::string& owner,
                                                   const std::string& at) = 0;
  // The person and protection of a job's case, read now, while the job is
  // still queued and leased to `owner`: nullopt once it was cancelled or
  // taken over (its call must not begin).
  [[nodiscard]] virtual Result<std::optional<CasePerson>> HeldJobCase(int64_t job_id, const std::string& owner) = 0;
  [[nodiscard]] virtual Result<std::optional<JobRecord>> FindJobByInvoke(int64_t case_id,
                                                                       const std::string& invoke_id) = 0;
  // The earliest time a queued job can be run (its due time, or when its
  // claim lapses).
  [[nodiscard]] virtual Result<std::optional<int64_t>> NextJobDue() = 0;
  [[nodiscard]] virtual Result<std::vector<JobRecord>> JobsOf(int64_t case_id) = 0;
};

// Jobs and cases that need a person: open until retried, skipped or
// cancelled.
class Incidents {
 public:
  virtual ~Incidents() = default;
  [[nodiscard]] virtual Result<int64_t> InsertIncident(const IncidentRecord& i) = 0;
  [[nodiscard]] virtual Status ResolveIncident(int64_t id, const std::string& status,
                                               const std::string& resolution, const std::string& at) = 0;
  [[nodiscard]] virtual Result<std::vector<IncidentRecord>> ListIncidents(const IncidentFilter& f) = 0;
};

// A print batch of letters digital post could not deliver: its cases and
// the letter version and copies of each, recorded before its file is
// written (schemas/migrations/0010_print_batches.sql).
struct PrintBatchCase {
  int64_t case_id = 0;
  int64_t letter_version = 0;
  std::vector<int> copies;
};
struct PrintBatch {
  int64_t id = 0;
  std::string school;
  std::string file;
  std::string status;  // open | done
  std::string sha256;
  std::string created_at, finished_at;
  std::vector<PrintBatchCase> cases;
};

class PrintBatches {
 public:
  virtual ~PrintBatches() = default;
  // The school's open batch (recorded, not yet marked printed).
  [[nodiscard]] virtual Result<std::optional<PrintBatch>> OpenBatch(const std::string& school) = 0;
  [[nodiscard]] virtual Result<std::optional<PrintBatch>> FindBatch(int64_t id) = 0;
  // Records an open batch with its cases; returns its id.
  [[nodiscard]] virtual Result<int64_t> InsertBatch(const PrintBatch& b) = 0;
  [[nodiscard]] virtual Status FinishBatch(int64_t id, const std::string& sha256, const std::string& at) = 0;
};

// The hash-chained audit log.
class AuditLog {
 public:
  virtual ~AuditLog() = default;
  [[nodiscard]] virtual Status AppendAudit(const AuditEntry& e, const std::string& at) = 0;
  [[nodiscard]] virtual Result<std::vector<std::pair<std::string, AuditEntry>>> AuditOf(int64_t case_id) = 0;
  // The newest audit rows before `before_seq` (0: the newest), newest first.
  [[nodiscard]] virtual Result<std::vector<AuditRow>> RecentAudit(int64_t before_seq, int limit) = 0;
  // Checks every row's link and hash; with `expected`, also that the log
  // still reaches that head and holds it unchanged (rows cut off the end).
  [[nodiscard]] virtual Result<AuditVerification> VerifyAudit(std::optional<AuditHead> expected = std::nullopt) = 0;
};

class UnitOfWork;

// The whole store: every port over one database, and its transactions
// (opened and closed only by UnitOfWork; savepoints nest inside).
class CaseStore : public Cases, public CaseReports, public Timers, public JobQueue, public Incidents,
                  public AuditLog, public PrintBatches {
 public:
  using CasePerson = app::CasePerson;
  using AuditRow = app::AuditRow;
  using OperationalCounts = app::OperationalCounts;

 protected:
  friend class UnitOfWork;
  [[nodiscard]] virtual Status Begin() = 0;
  [[nodiscard]] virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  [[nodiscard]] virtual Status Savepoint() = 0;
  [[nodiscard]] virtual Status Release() = 0;
  [[nodiscard]] virtual Status RollbackToSavepoint() = 0;
};

// A request to a connector. The key is the same for every attempt.
struct JobRequest {
  int64_t job_id = 0;
  std::string type;
  std::string idempotency_key;
  boost::json::object params;  // the same bytes on every attempt
  int attempt = 1;             // for a header, never for the body
  int64_t timeout_ms = 30000;
};

struct JobOutcome {
  bool ok = false;
  boost::json::value receipt;  // on success
  std::string error;           // on failure, without personal data
  bool retryable = true;
  int64_t retry_after_ms = 0;  // the system asked to wait this long (HTTP Retry-After)
  // The system has the request and its receipt is not there yet (a drop
  // folder's kvittering): the job is asked again after retry_after_ms, and
  // that is a poll, not an attempt.
  bool pending = false;
};

// One external system: letters renderer, dispatch, student system, archive.
class Connector {
 public:
  virtual ~Connector() = default;
  // Does the work once per idempotency key; a repeated key returns the first
  // receipt. Never throws.
  virtual JobOutcome Execute(const JobRequest& request) = 0;
  // True for a system that answers at once from inside this process (the
  // simulators): the worker makes several such calls before it commits their
  // outcomes. Any other system's outcome is committed before the next call.
  [[nodiscard]] virtual bool InProcess() const { return false; }

  // A system that takes many calls at once (the archive over HTTP): up to
  // MaxInFlight() of its calls run at the same time, each on a thread of its
  // own, and each outcome commits as it arrives. Begin runs on the worker's
  // thread and may read the stores; the call it returns must not touch them.
  using Call = std::function<JobOutcome()>;
  [[nodiscard]] virtual int MaxInFlight() const { return 1; }
  [[nodiscard]] virtual Call Begin(const JobRequest& request) {
    JobOutcome out = Execute(request);
    return [out] { return out; };
  }
};

}  // namespace enrol::app
