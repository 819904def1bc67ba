// SqliteCaseStore: its construction, the prepared statements it shares and
// its transactions (opened by app::UnitOfWork only).
#include "engine/store/sqlite_case_store.h"

#include <boost/json.hpp>

#include "engine/store/sqlite_case_store_parts.h"

namespace enrol::store {
namespace json = boost::json;
using namespace detail;

Result<std::unique_ptr<SqliteCaseStore>> SqliteCaseStore::Create(sql::Database& db, std::string audit_key) {
  if (!audit_key.empty() && audit_key.size() < kMinAuditKeyBytes) {
    return InvalidArgument("the audit key (ENROL_AUDIT_KEY or ENROL_AUDIT_KEY_FILE) is " +
                           std::to_string(audit_key.size()) + " bytes; it must be at least " +
                           std::to_string(kMinAuditKeyBytes) + " (for example: head -c 32 /dev/urandom | base64)");
  }
  std::unique_ptr<SqliteCaseStore> s(new SqliteCaseStore(db));
  s->audit_key_ = std::move(audit_key);
  ENROL_ASSIGN_OR_RETURN(s->insert_case_, db.Prepare(
      "INSERT INTO cases(case_key, person_id, school_year, grade, school, workflow, state, status, "
      "instance, seen_import, created_at, updated_at, protected) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  ENROL_ASSIGN_OR_RETURN(s->update_case_, db.Prepare(
      "UPDATE cases SET school=?, workflow=?, state=?, status=?, instance=?, seen_import=?, "
      "updated_at=?, protected=? WHERE id=?"));
  ENROL_ASSIGN_OR_RETURN(s->find_case_, db.Prepare(
      std::string("SELECT ") + kCaseColumns + " FROM cases WHERE id=?"));
  ENROL_ASSIGN_OR_RETURN(s->mark_event_, db.Prepare(
      "INSERT OR IGNORE INTO case_events(event_id, case_id, name, applied_at) VALUES(?,?,?,?)"));
  ENROL_ASSIGN_OR_RETURN(s->put_timer_, db.Prepare(
      "INSERT OR REPLACE INTO timers(case_id, send_id, event, data, due_ms) VALUES(?,?,?,?,?)"));
  ENROL_ASSIGN_OR_RETURN(s->delete_timer_, db.Prepare("DELETE FROM timers WHERE case_id=? AND send_id=?"));
  ENROL_ASSIGN_OR_RETURN(s->insert_job_, db.Prepare(
      "INSERT INTO jobs(case_id, invoke_id, type, params, idempotency_key, status, attempts, next_ms, "
      "last_error, result, created_at, updated_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)"));
  ENROL_ASSIGN_OR_RETURN(s->update_job_, db.Prepare(
      "UPDATE jobs SET status=?, attempts=?, next_ms=?, last_error=?, result=?, updated_at=?, lease_owner=?, "
      "lease_until=? WHERE id=?"));
  ENROL_ASSIGN_OR_RETURN(s->insert_audit_, db.Prepare(
      "INSERT INTO audit(seq, at, case_id, actor, kind, detail, prev_hash, hash) VALUES(?,?,?,?,?,?,?,?)"));
  return s;
}

Result<sql::Statement*> SqliteCaseStore::Cached(std::optional<sql::Statement>& slot, const char* sql) {
  if (!slot) {
    ENROL_ASSIGN_OR_RETURN(sql::Statement st, db_.Prepare(sql));
    slot.emplace(std::move(st));
  }
  slot->Reset();
  return &*slot;
}

Status SqliteCaseStore::Begin() {
  if (tx_) return FailedPrecondition("a transaction is already open");
  ENROL_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db_));
  tx_.emplace(std::move(tx));
  savepoints_ = 0;
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(audit_head_, "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
  ENROL_ASSIGN_OR_RETURN(bool row, q->Step());
  audit_seq_ = row ? q->ColumnInt(0) : 0;
  audit_hash_ = row ? q->ColumnText(1) : std::string(64, '0');
  q->Reset();
  return {};
}

Status SqliteCaseStore::Commit() {
  if (!tx_) return FailedPrecondition("no transaction is open");
  auto st = tx_->Commit();
  tx_.reset();
  return st;
}

void SqliteCaseStore::Rollback() { tx_.reset(); }

Status SqliteCaseStore::Savepoint() {
  ++savepoints_;
  return db_.Exec("SAVEPOINT case_event");
}

Status SqliteCaseStore::Release() {
  --savepoints_;
  return db_.Exec("RELEASE case_event");
}

Status SqliteCaseStore::RollbackToSavepoint() {
  --savepoints_;
  ENROL_RETURN_IF_ERROR(db_.Exec("ROLLBACK TO case_event; RELEASE case_event"));
  // The audit rows written since the savepoint are gone: re-read the head.
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1"));
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  audit_seq_ = row ? q.ColumnInt(0) : 0;
  audit_hash_ = row ? q.ColumnText(1) : std::string(64, '0');
  return {};
}

Result<std::optional<int64_t>> SqliteCaseStore::NullableInt(const char* sql) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(sql));
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row || q.ColumnIsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(q.ColumnInt(0));
}

}  // namespace enrol::store
