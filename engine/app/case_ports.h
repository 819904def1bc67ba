#pragma once
// Ports of the durable case engine: the store of cases, timers, jobs,
// incidents and audit, and the connectors that do work in other systems.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

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
};

struct CaseFilter {
  std::string school;
  int grade = 0;
  std::string state;   // matches one of the active states
  std::string status;
  int school_year = 0;
  int limit = -1;
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
  std::string key;          // idempotency key
  std::string status;       // queued | done | incident | cancelled
  int attempts = 0;
  int64_t next_ms = 0;
  std::string last_error;
  boost::json::value result;
};

struct IncidentRecord {
  int64_t id = 0;
  int64_t job_id = 0;
  int64_t case_id = 0;
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
};

// Everything in one SQLite database. Writes happen inside Begin()..Commit();
// Savepoint/Release/RollbackTo nest inside it.
class CaseStore {
 public:
  virtual ~CaseStore() = default;
  [[nodiscard]] virtual Status Begin() = 0;
  [[nodiscard]] virtual Status Commit() = 0;
  virtual void Rollback() = 0;
  [[nodiscard]] virtual Status Savepoint() = 0;
  [[nodiscard]] virtual Status Release() = 0;
  [[nodiscard]] virtual Status RollbackToSavepoint() = 0;

  [[nodiscard]] virtual Status SaveWorkflow(const std::string& hash, const std::string& name,
                                            const std::string& source, const std::string& at) = 0;
  [[nodiscard]] virtual Result<std::optional<std::string>> WorkflowSource(const std::string& hash) = 0;

  [[nodiscard]] virtual Result<int64_t> InsertCase(const CaseRecord& c) = 0;
  [[nodiscard]] virtual Status UpdateCase(const CaseRecord& c) = 0;
  [[nodiscard]] virtual Result<std::optional<CaseRecord>> FindCase(int64_t id) = 0;
  [[nodiscard]] virtual Result<std::optional<CaseRecord>> FindCaseByKey(const std::string& key) = 0;
  [[nodiscard]] virtual Result<std::vector<CaseRecord>> ListCases(const CaseFilter& f) = 0;
  // The ids only (no instance is read): for selecting cases to act on.
  [[nodiscard]] virtual Result<std::vector<int64_t>> ListCaseIds(const CaseFilter& f) = 0;
  // Counts by (school, status, state) for summaries.
  [[nodiscard]] virtual Result<std::vector<std::tuple<std::string, std::string, int>>> CountCases(
      int school_year) = 0;

  // False when the event id was applied before.
  [[nodiscard]] virtual Result<bool> MarkEventApplied(const std::string& event_id, int64_t case_id,
                                                      const std::string& name, const std::string& at) = 0;

  [[nodiscard]] virtual Status PutTimer(const TimerRecord& t) = 0;
  // True when a timer was deleted.
  [[nodiscard]] virtual Result<bool> DeleteTimer(int64_t case_id, const std::string& send_id) = 0;
  [[nodiscard]] virtual Result<std::vector<TimerRecord>> DueTimers(int64_t now_ms, int limit) = 0;
  [[nodiscard]] virtual Result<std::optional<int64_t>> NextTimerDue() = 0;
  [[nodiscard]] virtual Result<std::vector<TimerRecord>> TimersOf(int64_t case_id) = 0;

  // Inserts a job unless its idempotency key exists; returns the job id.
  [[nodiscard]] virtual Result<int64_t> InsertJob(const JobRecord& j, const std::string& at) = 0;
  [[nodiscard]] virtual Status UpdateJob(const JobRecord& j, const std::string& at) = 0;
  [[nodiscard]] virtual Result<std::optional<JobRecord>> FindJob(int64_t id) = 0;
  [[nodiscard]] virtual Result<std::optional<JobRecord>> FindJobByInvoke(int64_t case_id,
                                                                       const std::string& invoke_id) = 0;
  [[nodiscard]] virtual Result<std::vector<JobRecord>> DueJobs(int64_t now_ms, int limit) = 0;
  [[nodiscard]] virtual Result<std::optional<int64_t>> NextJobDue() = 0;
  [[nodiscard]] virtual Result<std::vector<JobRecord>> JobsOf(int64_t case_id) = 0;

  [[nodiscard]] virtual Result<int64_t> InsertIncident(const IncidentRecord& i) = 0;
  [[nodiscard]] virtual Status ResolveIncident(int64_t id, const std::string& status,
                                               const std::string& resolution, const std::string& at) = 0;
  [[nodiscard]] virtual Result<std::vector<IncidentRecord>> ListIncidents(const IncidentFilter& f) = 0;

  [[nodiscard]] virtual Status AppendAudit(const AuditEntry& e, const std::string& at) = 0;
  [[nodiscard]] virtual Result<std::vector<std::pair<std::string, AuditEntry>>> AuditOf(int64_t case_id) = 0;
  [[nodiscard]] virtual Result<AuditVerification> VerifyAudit() = 0;

  [[nodiscard]] virtual Status AddDeferral(int64_t person_id, int to_year, int64_t case_id) = 0;
  [[nodiscard]] virtual Result<std::vector<int64_t>> DeferredTo(int year) = 0;
};

// A request to a connector. The key is the same for every attempt.
struct JobRequest {
  int64_t job_id = 0;
  std::string type;
  std::string idempotency_key;
  boost::json::object params;
  int attempt = 1;
  int64_t timeout_ms = 30000;
};

struct JobOutcome {
  bool ok = false;
  boost::json::value receipt;  // on success
  std::string error;           // on failure, without personal data
  bool retryable = true;
};

// One external system: letters renderer, dispatch, student system, archive.
class Connector {
 public:
  virtual ~Connector() = default;
  // Does the work once per idempotency key; a repeated key returns the first
  // receipt. Never throws.
  virtual JobOutcome Execute(const JobRequest& request) = 0;
};

}  // namespace enrol::app
