#pragma once
// CaseStore on SQLite (schemas/migrations/0002_cases.sql, 0004_integrity.sql):
// one class over one connection, each port it implements in a file of its own.

#include <memory>
#include <optional>

#include <map>

#include "engine/app/case_ports.h"
#include "engine/sql/sqlite.h"

namespace enrol::store {

class SqliteCaseStore final : public app::CaseStore {
 public:
  // `db` must be migrated and outlive the store. With `audit_key`, audit
  // rows are chained with HMAC-SHA-256 under it (the key comes from the
  // environment, never from the configuration or the database).
  // A key shorter than kMinAuditKeyBytes is refused, wherever it came from.
  // A store without a key refuses to append to a chain that is keyed.
  static constexpr size_t kMinAuditKeyBytes = 32;
  [[nodiscard]] static Result<std::unique_ptr<SqliteCaseStore>> Create(sql::Database& db, std::string audit_key = "");

  // Transactions, for app::UnitOfWork (sqlite_case_store.cc).
  Status Begin() override;
  Status Commit() override;
  void Rollback() override;
  Status Savepoint() override;
  Status Release() override;
  Status RollbackToSavepoint() override;

  // app::Cases (sqlite_cases.cc).
  Status SaveWorkflow(const std::string& hash, const std::string& name, const std::string& source,
                      const std::string& at) override;
  Result<std::optional<std::string>> WorkflowSource(const std::string& hash) override;
  Result<int64_t> InsertCase(const app::CaseRecord& c) override;
  Status UpdateCase(const app::CaseRecord& c) override;
  Result<std::optional<app::CaseRecord>> FindCase(int64_t id) override;
  Result<std::optional<app::CaseRecord>> FindCaseByKey(const std::string& key) override;
  Result<std::optional<app::CasePerson>> PersonOfCase(int64_t case_id) override;
  Result<int64_t> DataVersion() override;
  Status MarkProtectionChecked(int64_t import_id, int cases_reached, const std::string& at) override;
  Result<bool> ProtectionChecked(int64_t import_id) override;
  Result<std::vector<app::CaseRecord>> ListCases(const app::CaseFilter& f) override;
  Result<std::vector<int64_t>> ListCaseIds(const app::CaseFilter& f) override;
  Result<bool> MarkEventApplied(const std::string& event_id, int64_t case_id, const std::string& name,
                                const std::string& at) override;
  Result<std::optional<app::PersonRequest>> FindPersonRequest(int64_t case_id, const std::string& request_id) override;
  Result<std::optional<app::PersonRequest>> LastPersonRequest(int64_t case_id) override;
  Status InsertPersonRequest(const app::PersonRequest& r) override;
  Status AddDeferral(int64_t person_id, int to_year, int64_t case_id) override;
  Result<std::vector<int64_t>> DeferredTo(int year) override;

  // app::CaseReports (sqlite_case_reports.cc).
  Result<std::vector<std::tuple<std::string, std::string, int>>> CountCases(int school_year) override;
  Result<app::OperationalCounts> CountForMonitoring(int64_t now_ms) override;
  Result<app::CaseListPage> ListPage(const app::CaseListQuery& q) override;
  Result<std::vector<std::tuple<std::string, int64_t, int64_t>>> FinishedPerHour(int hours) override;

  // app::Timers (sqlite_timers.cc).
  Status PutTimer(const app::TimerRecord& t) override;
  Result<bool> DeleteTimer(int64_t case_id, const std::string& send_id, std::optional<int64_t> due_ms = std::nullopt) override;
  Result<std::vector<app::TimerRecord>> DueTimers(int64_t now_ms, int limit) override;
  Result<std::optional<int64_t>> NextTimerDue() override;
  Result<std::vector<app::TimerRecord>> TimersOf(int64_t case_id) override;

  // app::JobQueue (sqlite_job_queue.cc).
  Result<int64_t> InsertJob(const app::JobRecord& j, const std::string& at) override;
  Status UpdateJob(const app::JobRecord& j, const std::string& at) override;
  Result<std::optional<app::JobRecord>> FindJob(int64_t id) override;
  Result<std::optional<app::CasePerson>> HeldJobCase(int64_t job_id, const std::string& owner) override;
  Result<bool> UpdateHeldJob(const app::JobRecord& j, const std::string& owner, const std::string& at) override;
  Result<std::optional<app::JobRecord>> FindJobByInvoke(int64_t case_id, const std::string& invoke_id) override;
  Result<std::vector<app::JobRecord>> ClaimJobs(const std::string& owner, int64_t now_ms, int64_t lease_until,
                                                int limit) override;
  Result<std::optional<int64_t>> NextJobDue() override;
  Result<std::vector<app::JobRecord>> JobsOf(int64_t case_id) override;

  // app::Incidents (sqlite_incidents.cc).
  Result<int64_t> InsertIncident(const app::IncidentRecord& i) override;
  Status ResolveIncident(int64_t id, const std::string& status, const std::string& resolution,
                         const std::string& at) override;
  Result<std::vector<app::IncidentRecord>> ListIncidents(const app::IncidentFilter& f) override;

  // app::PrintBatches (sqlite_print_batches.cc).
  Result<std::optional<app::PrintBatch>> OpenBatch(const std::string& school) override;
  Result<std::optional<app::PrintBatch>> FindBatch(int64_t id) override;
  Result<int64_t> InsertBatch(const app::PrintBatch& b) override;
  Status FinishBatch(int64_t id, const std::string& sha256, const std::string& at) override;

  // app::AuditLog (sqlite_audit_log.cc).
  Status AppendAudit(const app::AuditEntry& e, const std::string& at) override;
  Result<std::vector<std::pair<std::string, app::AuditEntry>>> AuditOf(int64_t case_id) override;
  Result<std::vector<app::AuditRow>> RecentAudit(int64_t before_seq, int limit) override;
  Result<app::AuditVerification> VerifyAudit(std::optional<app::AuditHead> expected = std::nullopt) override;

 private:
  explicit SqliteCaseStore(sql::Database& db) : db_(db) {}
  Result<sql::Statement> FilterQuery(const std::string& columns, const app::CaseFilter& f);
  Result<std::vector<app::CaseRecord>> ReadCases(sql::Statement& q);
  // The single integer a query returns, or nullopt for NULL / no row.
  Result<std::optional<int64_t>> NullableInt(const char* sql);
  Result<std::vector<app::JobRecord>> ReadJobs(sql::Statement& q);
  Result<std::vector<app::TimerRecord>> ReadTimers(sql::Statement& q);
  Result<std::optional<app::PersonRequest>> PersonRequests(sql::Statement& q);
  Result<std::optional<app::PrintBatch>> ReadBatch(sql::Statement& q);

  sql::Database& db_;
  std::string audit_key_;
  std::optional<sql::Transaction> tx_;
  int savepoints_ = 0;
  // Chain head, read at Begin(): the last row's seq and hash.
  int64_t audit_seq_ = 0;
  std::string audit_hash_;
  // Prepared once: the hot paths of intake and the worker.
  Result<sql::Statement*> Cached(std::optional<sql::Statement>& slot, const char* sql);
  std::optional<sql::Statement> find_case_key_, find_job_, due_timers_, audit_head_, jobs_of_,
      find_job_invoke_, claim_jobs_, person_of_case_, held_job_case_, delete_timer_due_, find_request_, last_request_, insert_request_,
      job_held_;
  std::optional<sql::Statement> insert_case_, update_case_, find_case_, mark_event_, put_timer_,
      delete_timer_, insert_job_, update_job_, insert_audit_, data_version_;
  // The web app's lists, as last read, while the database is unchanged (by
  // this connection or another: PRAGMA data_version and the change count).
  Result<uint64_t> ListVersion();
  uint64_t list_version_ = 0;
  std::map<std::string, app::CaseListPage> list_cache_;
  Result<app::CaseListPage> ReadListPage(const app::CaseListQuery& q);
};

// The hash of one audit row given the previous row's hash: SHA-256, or with
// a key "hmac:" and HMAC-SHA-256.
std::string AuditHash(const std::string& prev_hash, int64_t seq, const std::string& at,
                      const app::AuditEntry& e, const std::string& key = "");

}  // namespace enrol::store
