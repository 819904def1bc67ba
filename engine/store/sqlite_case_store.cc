#include "engine/store/sqlite_case_store.h"

#include <algorithm>


#include <boost/json.hpp>
#include <sqlite3.h>

#include "engine/core/sha256.h"

namespace enrol::store {
namespace json = boost::json;
namespace {

// The case's protection (CaseRecord::protected_case, which the engine sets
// from the workflow's protected role), kept in a column so that lists can
// leave protected cases out without reading instances.
int64_t ProtectedFlag(const app::CaseRecord& c) { return c.protected_case ? 1 : 0; }

constexpr const char* kCaseColumns =
    "id, case_key, person_id, school_year, grade, school, workflow, state, status, instance, "
    "seen_import, created_at, updated_at, protected";
constexpr const char* kJobColumns =
    "id, case_id, invoke_id, type, params, idempotency_key, status, attempts, next_ms, last_error, result, "
    "lease_owner, lease_until";
constexpr const char* kKeyedPrefix = "hmac:";

json::value Parse(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value() : v;
}

}  // namespace

std::string AuditHash(const std::string& prev, int64_t seq, const std::string& at,
                      const app::AuditEntry& e, const std::string& key) {
  // Fields are length-prefixed so that no two rows serialise alike.
  std::string buf;
  for (const std::string& f : {prev, std::to_string(seq), at, std::to_string(e.case_id), e.actor,
                               e.kind, e.detail}) {
    buf += std::to_string(f.size()) + ":" + f + ";";
  }
  // Keyed rows say so, so that a chain rewritten without the key (plain
  // SHA-256) cannot pass for a keyed one.
  return key.empty() ? core::Sha256Hex(buf) : kKeyedPrefix + core::HmacSha256Hex(key, buf);
}

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

Status SqliteCaseStore::SaveWorkflow(const std::string& hash, const std::string& name,
                                     const std::string& source, const std::string& at) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT OR IGNORE INTO workflow_versions(hash, name, source, loaded_at) VALUES(?,?,?,?)"));
  return q.Bind(1, hash).Bind(2, name).Bind(3, source).Bind(4, at).Run();
}

Result<std::optional<std::string>> SqliteCaseStore::WorkflowSource(const std::string& hash) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare("SELECT source FROM workflow_versions WHERE hash=?"));
  q.Bind(1, hash);
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(q.ColumnText(0));
}

Result<int64_t> SqliteCaseStore::InsertCase(const app::CaseRecord& c) {
  ENROL_RETURN_IF_ERROR(insert_case_->Bind(1, c.key).Bind(2, c.person_id).Bind(3, c.school_year)
                            .Bind(4, c.grade).Bind(5, c.school).Bind(6, c.workflow).Bind(7, c.state)
                            .Bind(8, c.status).Bind(9, json::serialize(c.instance))
                            .Bind(10, c.seen_import).Bind(11, c.created_at).Bind(12, c.updated_at)
                            .Bind(13, ProtectedFlag(c)).Run());
  return db_.LastInsertRowId();
}

Status SqliteCaseStore::UpdateCase(const app::CaseRecord& c) {
  return update_case_->Bind(1, c.school).Bind(2, c.workflow).Bind(3, c.state).Bind(4, c.status)
      .Bind(5, json::serialize(c.instance)).Bind(6, c.seen_import).Bind(7, c.updated_at)
      .Bind(8, ProtectedFlag(c)).Bind(9, c.id).Run();
}

Result<std::vector<app::CaseRecord>> SqliteCaseStore::Cases(sql::Statement& q) {
  auto out = sql::CollectRows<app::CaseRecord>(q, [](sql::Statement& r) {
    app::CaseRecord c;
    c.id = r.ColumnInt(0);
    c.key = r.ColumnText(1);
    c.person_id = r.ColumnInt(2);
    c.school_year = static_cast<int>(r.ColumnInt(3));
    c.grade = static_cast<int>(r.ColumnInt(4));
    c.school = r.ColumnText(5);
    c.workflow = r.ColumnText(6);
    c.state = r.ColumnText(7);
    c.status = r.ColumnText(8);
    json::value inst = Parse(r.ColumnView(9));
    if (inst.is_object()) {
      c.instance = std::move(inst.get_object());
    } else {
      c.damage = "its stored instance is not a JSON object";
    }
    c.seen_import = r.ColumnInt(10);
    c.created_at = r.ColumnText(11);
    c.updated_at = r.ColumnText(12);
    c.protected_case = r.ColumnInt(13) != 0;
    return c;
  });
  q.Reset();
  return out;
}

Result<std::optional<app::CaseRecord>> SqliteCaseStore::FindCase(int64_t id) {
  find_case_->Bind(1, id);
  ENROL_ASSIGN_OR_RETURN(auto list, Cases(*find_case_));
  if (list.empty()) return std::optional<app::CaseRecord>();
  return std::optional<app::CaseRecord>(std::move(list.front()));
}

Result<std::optional<app::CaseRecord>> SqliteCaseStore::FindCaseByKey(const std::string& key) {
  static const std::string kSql = std::string("SELECT ") + kCaseColumns + " FROM cases WHERE case_key=?";
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(find_case_key_, kSql.c_str()));
  q->Bind(1, key);
  ENROL_ASSIGN_OR_RETURN(auto list, Cases(*q));
  if (list.empty()) return std::optional<app::CaseRecord>();
  return std::optional<app::CaseRecord>(std::move(list.front()));
}

Result<std::optional<app::CaseStore::CasePerson>> SqliteCaseStore::PersonOfCase(int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(person_of_case_, "SELECT person_id, protected FROM cases WHERE id=?"));
  q->Bind(1, case_id);
  ENROL_ASSIGN_OR_RETURN(bool row, q->Step());
  std::optional<CasePerson> out;
  if (row) out = CasePerson{q->ColumnInt(0), q->ColumnInt(1) != 0};
  q->Reset();
  return out;
}

Result<int64_t> SqliteCaseStore::DataVersion() {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(data_version_, "PRAGMA data_version"));
  ENROL_ASSIGN_OR_RETURN(bool row, q->Step());
  const int64_t v = row ? q->ColumnInt(0) : -1;
  q->Reset();
  return v;
}

Result<std::optional<app::CaseStore::CasePerson>> SqliteCaseStore::HeldJobCase(int64_t job_id,
                                                                             const std::string& owner) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(held_job_case_,
      "SELECT c.person_id, c.protected FROM jobs j JOIN cases c ON c.id = j.case_id "
      "WHERE j.id=? AND j.status='queued' AND j.lease_owner=?"));
  q->Bind(1, job_id).Bind(2, owner);
  ENROL_ASSIGN_OR_RETURN(bool row, q->Step());
  std::optional<CasePerson> out;
  if (row) out = CasePerson{q->ColumnInt(0), q->ColumnInt(1) != 0};
  q->Reset();
  return out;
}

Status SqliteCaseStore::MarkProtectionChecked(int64_t import_id, int cases_reached, const std::string& at) {
  if (!tx_) return FailedPrecondition("a protection check is marked inside the transaction that applied it");
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT OR REPLACE INTO protection_checks(import_id, cases_reached, checked_at) VALUES(?,?,?)"));
  return q.Bind(1, import_id).Bind(2, cases_reached).Bind(3, at).Run();
}

Result<bool> SqliteCaseStore::ProtectionChecked(int64_t import_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare("SELECT 1 FROM protection_checks WHERE import_id=?"));
  q.Bind(1, import_id);
  return q.Step();
}

Result<sql::Statement> SqliteCaseStore::FilterQuery(const std::string& columns, const app::CaseFilter& f) {
  std::string sql = "SELECT " + columns + " FROM cases WHERE 1=1";
  if (!f.school.empty()) sql += " AND school=?1";
  if (f.grade) sql += " AND grade=?2";
  if (!f.state.empty()) sql += " AND (' ' || state || ' ') LIKE ('% ' || ?3 || ' %')";
  if (!f.status.empty()) sql += " AND status=?4";
  if (f.school_year) sql += " AND school_year=?5";
  sql += " ORDER BY id";
  if (f.limit >= 0) sql += " LIMIT " + std::to_string(f.limit);
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(sql));
  if (!f.school.empty()) q.Bind(1, f.school);
  if (f.grade) q.Bind(2, f.grade);
  if (!f.state.empty()) q.Bind(3, f.state);
  if (!f.status.empty()) q.Bind(4, f.status);
  if (f.school_year) q.Bind(5, f.school_year);
  return q;
}

Result<std::vector<app::CaseRecord>> SqliteCaseStore::ListCases(const app::CaseFilter& f) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, FilterQuery(kCaseColumns, f));
  return Cases(q);
}

Result<std::vector<int64_t>> SqliteCaseStore::ListCaseIds(const app::CaseFilter& f) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, FilterQuery("id", f));
  std::vector<int64_t> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(q.ColumnInt(0));
  }
  return out;
}

Result<std::vector<std::tuple<std::string, std::string, int>>> SqliteCaseStore::CountCases(int year) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT school, CASE WHEN status='active' THEN state ELSE status END, COUNT(*) FROM cases "
      "WHERE school_year=? GROUP BY 1, 2 ORDER BY 1, 2"));
  q.Bind(1, year);
  std::vector<std::tuple<std::string, std::string, int>> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.emplace_back(q.ColumnText(0), q.ColumnText(1), static_cast<int>(q.ColumnInt(2)));
  }
  return out;
}

Result<app::CaseStore::OperationalCounts> SqliteCaseStore::CountForMonitoring(int64_t now_ms) {
  OperationalCounts out;
  ENROL_ASSIGN_OR_RETURN(sql::Statement c, db_.Prepare(
      "SELECT status, CASE WHEN status='active' THEN state ELSE '' END, COUNT(*) FROM cases GROUP BY 1, 2"));
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, c.Step());
    if (!row) break;
    out.cases[{c.ColumnText(0), c.ColumnText(1)}] = c.ColumnInt(2);
  }
  ENROL_ASSIGN_OR_RETURN(sql::Statement j, db_.Prepare("SELECT type, status, COUNT(*) FROM jobs GROUP BY 1, 2"));
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, j.Step());
    if (!row) break;
    out.jobs[{j.ColumnText(0), j.ColumnText(1)}] = j.ColumnInt(2);
  }
  ENROL_ASSIGN_OR_RETURN(sql::Statement l, db_.Prepare(
      "SELECT (SELECT COUNT(*) FROM jobs WHERE status='queued' AND lease_owner != '' AND lease_until > ?),"
      " (SELECT COUNT(*) FROM incidents WHERE status='open')"));
  l.Bind(1, now_ms);
  ENROL_ASSIGN_OR_RETURN(bool row, l.Step());
  if (row) {
    out.jobs_leased = l.ColumnInt(0);
    out.incidents_open = l.ColumnInt(1);
  }
  return out;
}

Result<std::vector<std::tuple<std::string, int64_t, int64_t>>> SqliteCaseStore::FinishedPerHour(int hours) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT * FROM (SELECT substr(updated_at, 1, 13) AS hour, SUM(status = 'completed'), SUM(status = 'closed') "
      "FROM cases WHERE status IN ('completed', 'closed') GROUP BY hour ORDER BY hour DESC LIMIT ?) ORDER BY hour"));
  q.Bind(1, std::clamp(hours, 1, 24 * 366));
  std::vector<std::tuple<std::string, int64_t, int64_t>> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.emplace_back(q.ColumnText(0), q.ColumnInt(1), q.ColumnInt(2));
  }
  return out;
}

Result<uint64_t> SqliteCaseStore::ListVersion() {
  ENROL_ASSIGN_OR_RETURN(int64_t other, DataVersion());
  return (static_cast<uint64_t>(other) << 40) ^ static_cast<uint64_t>(sqlite3_total_changes64(db_.handle()));
}

Result<app::CaseListPage> SqliteCaseStore::ListPage(const app::CaseListQuery& q) {
  // Secretaries read their inbox far more often than it changes.
  ENROL_ASSIGN_OR_RETURN(uint64_t version, ListVersion());
  if (version != list_version_ || list_cache_.size() > 512) {
    list_cache_.clear();
    list_version_ = version;
  }
  json::array schools;
  for (const auto& school : q.schools) schools.emplace_back(school);
  const std::string key = json::serialize(json::array{schools, q.with_protected, q.grade, q.phase, q.search,
                                                      q.school_year, q.limit, q.offset});
  if (auto it = list_cache_.find(key); it != list_cache_.end()) return it->second;
  ENROL_ASSIGN_OR_RETURN(app::CaseListPage page, ReadListPage(q));
  list_cache_[key] = page;
  return page;
}

Result<app::CaseListPage> SqliteCaseStore::ReadListPage(const app::CaseListQuery& q) {
  // ?1 schools (JSON array), ?2 grade, ?3 phase, ?4 search pattern, ?5 year.
  const std::string phase = "CASE WHEN c.status='active' THEN c.state ELSE c.status END";
  // The persons table is joined for a search (and for the rows' names) only:
  // the counts of a school's cases are read from the index alone.
  // One school's list: from its index, which holds every column the filters
  // and counts read (SQLite without statistics would walk the state index).
  const std::string from = q.schools.size() == 1 ? " FROM cases c INDEXED BY cases_school_status" : " FROM cases c";
  std::string scope = q.search.empty() ? from + " WHERE 1=1" : from + " JOIN persons p ON p.id = c.person_id WHERE 1=1";
  if (q.schools.size() == 1) scope += " AND c.school = ?1";
  if (q.schools.size() > 1) scope += " AND c.school IN (SELECT value FROM json_each(?1))";
  if (!q.with_protected) scope += " AND c.protected = 0";
  if (q.school_year) scope += " AND c.school_year = ?5";
  if (!q.search.empty()) {
    scope += " AND (coalesce(json_extract(p.record,'$.n.f'),'') || ' ' || coalesce(json_extract(p.record,'$.n.m'),'')"
             " || ' ' || coalesce(json_extract(p.record,'$.n.e'),'')) LIKE ?4 ESCAPE '\\'";
  }
  const std::string grade = q.grade ? " AND c.grade = ?2" : "";
  // Written so that the index (school, status, state, grade, protected) answers it.
  const bool final_phase = q.phase == "completed" || q.phase == "closed";
  const std::string in_phase = q.phase.empty() ? ""
                               : final_phase    ? " AND c.status = ?3"
                                                : " AND c.status = 'active' AND c.state = ?3";
  std::string pattern = "%";
  for (char ch : q.search) {
    if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
    pattern += ch;
  }
  pattern += '%';
  json::array schools;
  for (const auto& s : q.schools) schools.emplace_back(s);
  const std::string schools_json = json::serialize(schools);
  auto bind = [&](sql::Statement& st) {
    if (q.schools.size() == 1) st.Bind(1, q.schools.front());
    if (q.schools.size() > 1) st.Bind(1, schools_json);
    if (q.grade) st.Bind(2, q.grade);
    if (!q.phase.empty()) st.Bind(3, q.phase);
    if (!q.search.empty()) st.Bind(4, pattern);
    if (q.school_year) st.Bind(5, q.school_year);
  };
  app::CaseListPage page;
  // The page's ids first (from the index), then the rows and names of those only.
  ENROL_ASSIGN_OR_RETURN(sql::Statement rows, db_.Prepare(
      "SELECT c.id, c.case_key, c.grade, c.school, " + phase + ", c.status, "
      "trim(coalesce(json_extract(p.record,'$.n.f'),'') || ' ' || coalesce(json_extract(p.record,'$.n.m'),'')) "
      "|| ' ' || coalesce(json_extract(p.record,'$.n.e'),''), coalesce(json_extract(p.record,'$.bd'),''), "
      "c.protected, c.updated_at FROM (SELECT c.id AS id" + scope + grade + in_phase + " ORDER BY c.id LIMIT " +
      std::to_string(std::clamp(q.limit, 0, 1000)) + " OFFSET " + std::to_string(std::max(q.offset, 0)) +
      ") page JOIN cases c ON c.id = page.id JOIN persons p ON p.id = c.person_id ORDER BY c.id"));
  bind(rows);
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, rows.Step());
    if (!row) break;
    app::CaseListRow r;
    r.id = rows.ColumnInt(0);
    r.key = rows.ColumnText(1);
    r.grade = static_cast<int>(rows.ColumnInt(2));
    r.school = rows.ColumnText(3);
    r.phase = rows.ColumnText(4);
    r.status = rows.ColumnText(5);
    r.child_name = rows.ColumnText(6);
    r.birth_date = rows.ColumnText(7);
    r.protected_case = rows.ColumnInt(8) != 0;
    r.updated_at = rows.ColumnText(9);
    page.rows.push_back(std::move(r));
  }
  ENROL_ASSIGN_OR_RETURN(sql::Statement phases, db_.Prepare("SELECT " + phase + ", COUNT(*)" + scope + grade + " GROUP BY 1"));
  bind(phases);
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, phases.Step());
    if (!row) break;
    page.by_phase[phases.ColumnText(0)] = phases.ColumnInt(1);
    if (q.phase.empty() || phases.ColumnText(0) == q.phase) page.total += phases.ColumnInt(1);
  }
  ENROL_ASSIGN_OR_RETURN(sql::Statement grades, db_.Prepare("SELECT c.grade, COUNT(*)" + scope + in_phase + " GROUP BY 1"));
  bind(grades);
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, grades.Step());
    if (!row) break;
    page.by_grade[static_cast<int>(grades.ColumnInt(0))] = grades.ColumnInt(1);
  }
  return page;
}

Result<bool> SqliteCaseStore::MarkEventApplied(const std::string& event_id, int64_t case_id,
                                               const std::string& name, const std::string& at) {
  ENROL_RETURN_IF_ERROR(mark_event_->Bind(1, event_id).Bind(2, case_id).Bind(3, name).Bind(4, at).Run());
  return db_.Changes() == 1;
}

Status SqliteCaseStore::PutTimer(const app::TimerRecord& t) {
  return put_timer_->Bind(1, t.case_id).Bind(2, t.send_id).Bind(3, t.event)
      .Bind(4, json::serialize(t.data)).Bind(5, t.due_ms).Run();
}

Result<bool> SqliteCaseStore::DeleteTimer(int64_t case_id, const std::string& send_id,
                                          std::optional<int64_t> due_ms) {
  if (due_ms) {
    ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(delete_timer_due_,
        "DELETE FROM timers WHERE case_id=? AND send_id=? AND due_ms=?"));
    ENROL_RETURN_IF_ERROR(q->Bind(1, case_id).Bind(2, send_id).Bind(3, *due_ms).Run());
    return db_.Changes() == 1;
  }
  ENROL_RETURN_IF_ERROR(delete_timer_->Bind(1, case_id).Bind(2, send_id).Run());
  return db_.Changes() == 1;
}

Result<std::vector<app::TimerRecord>> SqliteCaseStore::Timers(sql::Statement& q) {
  return sql::CollectRows<app::TimerRecord>(q, [](sql::Statement& r) {
    return app::TimerRecord{r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), Parse(r.ColumnView(3)), r.ColumnInt(4)};
  });
}

Result<std::vector<app::TimerRecord>> SqliteCaseStore::DueTimers(int64_t now_ms, int limit) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(due_timers_,
      "SELECT case_id, send_id, event, data, due_ms FROM timers WHERE due_ms<=? "
      "ORDER BY due_ms, case_id LIMIT ?"));
  q->Bind(1, now_ms).Bind(2, limit);
  auto out = Timers(*q);
  q->Reset();
  return out;
}

Result<std::optional<int64_t>> SqliteCaseStore::NullableInt(const char* sql) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(sql));
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row || q.ColumnIsNull(0)) return std::optional<int64_t>();
  return std::optional<int64_t>(q.ColumnInt(0));
}

Result<std::optional<int64_t>> SqliteCaseStore::NextTimerDue() {
  return NullableInt("SELECT MIN(due_ms) FROM timers");
}

Result<std::vector<app::TimerRecord>> SqliteCaseStore::TimersOf(int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT case_id, send_id, event, data, due_ms FROM timers WHERE case_id=? ORDER BY due_ms"));
  q.Bind(1, case_id);
  return Timers(q);
}

Result<int64_t> SqliteCaseStore::InsertJob(const app::JobRecord& j, const std::string& at) {
  ENROL_RETURN_IF_ERROR(insert_job_->Bind(1, j.case_id).Bind(2, j.invoke_id).Bind(3, j.type)
                            .Bind(4, json::serialize(j.params)).Bind(5, j.key).Bind(6, j.status)
                            .Bind(7, j.attempts).Bind(8, j.next_ms).Bind(9, j.last_error)
                            .Bind(10, json::serialize(j.result)).Bind(11, at).Bind(12, at).Run());
  return db_.LastInsertRowId();
}

Status SqliteCaseStore::UpdateJob(const app::JobRecord& j, const std::string& at) {
  return update_job_->Bind(1, j.status).Bind(2, j.attempts).Bind(3, j.next_ms).Bind(4, j.last_error)
      .Bind(5, json::serialize(j.result)).Bind(6, at).Bind(7, j.lease_owner).Bind(8, j.lease_until)
      .Bind(9, j.id).Run();
}

Result<std::vector<app::JobRecord>> SqliteCaseStore::ClaimJobs(const std::string& owner, int64_t now_ms,
                                                              int64_t lease_until, int limit) {
  if (!tx_) return FailedPrecondition("jobs are claimed inside a transaction");
  static const std::string kSql = std::string(
      "UPDATE jobs SET lease_owner=?1, lease_until=?2 WHERE id IN (SELECT id FROM jobs WHERE status='queued' "
      "AND next_ms<=?3 AND lease_until<=?3 ORDER BY next_ms, id LIMIT ?4) RETURNING ") + kJobColumns;
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(claim_jobs_, kSql.c_str()));
  q->Bind(1, owner).Bind(2, lease_until).Bind(3, now_ms).Bind(4, limit);
  auto out = Jobs(*q);
  q->Reset();
  if (out) {
    std::sort(out->begin(), out->end(), [](const app::JobRecord& a, const app::JobRecord& b) {
      return a.next_ms != b.next_ms ? a.next_ms < b.next_ms : a.id < b.id;
    });
  }
  return out;
}

Result<std::vector<app::JobRecord>> SqliteCaseStore::Jobs(sql::Statement& q) {
  return sql::CollectRows<app::JobRecord>(q, [](sql::Statement& r) {
    app::JobRecord j;
    j.id = r.ColumnInt(0);
    j.case_id = r.ColumnInt(1);
    j.invoke_id = r.ColumnText(2);
    j.type = r.ColumnText(3);
    json::value p = Parse(r.ColumnView(4));
    if (p.is_object()) j.params = std::move(p.get_object());
    j.key = r.ColumnText(5);
    j.status = r.ColumnText(6);
    j.attempts = static_cast<int>(r.ColumnInt(7));
    j.next_ms = r.ColumnInt(8);
    j.last_error = r.ColumnText(9);
    j.result = Parse(r.ColumnView(10));
    j.lease_owner = r.ColumnText(11);
    j.lease_until = r.ColumnInt(12);
    return j;
  });
}

Result<std::optional<app::JobRecord>> SqliteCaseStore::FindJob(int64_t id) {
  static const std::string kSql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE id=?";
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(find_job_, kSql.c_str()));
  q->Bind(1, id);
  auto jobs = Jobs(*q);
  q->Reset();
  ENROL_ASSIGN_OR_RETURN(auto list, std::move(jobs));
  if (list.empty()) return std::optional<app::JobRecord>();
  return std::optional<app::JobRecord>(std::move(list.front()));
}

Result<bool> SqliteCaseStore::UpdateHeldJob(const app::JobRecord& j, const std::string& owner,
                                            const std::string& at) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(job_held_,
      "UPDATE jobs SET status=?, attempts=?, next_ms=?, last_error=?, result=?, updated_at=?, lease_owner=?, "
      "lease_until=? WHERE id=? AND status='queued' AND lease_owner=?"));
  ENROL_RETURN_IF_ERROR(q->Bind(1, j.status).Bind(2, j.attempts).Bind(3, j.next_ms).Bind(4, j.last_error)
                            .Bind(5, json::serialize(j.result)).Bind(6, at).Bind(7, j.lease_owner)
                            .Bind(8, j.lease_until).Bind(9, j.id).Bind(10, owner).Run());
  return db_.Changes() == 1;
}

Result<std::optional<app::JobRecord>> SqliteCaseStore::FindJobByInvoke(int64_t case_id,
                                                                     const std::string& invoke_id) {
  static const std::string kSql = std::string("SELECT ") + kJobColumns + " FROM jobs WHERE case_id=? AND invoke_id=?";
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(find_job_invoke_, kSql.c_str()));
  q->Bind(1, case_id).Bind(2, invoke_id);
  auto jobs = Jobs(*q);
  q->Reset();
  ENROL_ASSIGN_OR_RETURN(auto list, std::move(jobs));
  if (list.empty()) return std::optional<app::JobRecord>();
  return std::optional<app::JobRecord>(std::move(list.front()));
}

Result<std::optional<int64_t>> SqliteCaseStore::NextJobDue() {
  return NullableInt("SELECT MIN(MAX(next_ms, lease_until)) FROM jobs WHERE status='queued'");
}

Result<std::vector<app::JobRecord>> SqliteCaseStore::JobsOf(int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(std::string("SELECT ") + kJobColumns +
                                                  " FROM jobs WHERE case_id=? ORDER BY id"));
  q.Bind(1, case_id);
  return Jobs(q);
}

Result<int64_t> SqliteCaseStore::InsertIncident(const app::IncidentRecord& i) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT INTO incidents(job_id, case_id, kind, error, status, resolution, created_at, resolved_at) "
      "VALUES(?,?,?,?,'open','',?,'')"));
  if (i.job_id) {
    q.Bind(1, i.job_id);
  } else {
    q.BindNull(1);
  }
  ENROL_RETURN_IF_ERROR(q.Bind(2, i.case_id).Bind(3, i.kind).Bind(4, i.error).Bind(5, i.created_at).Run());
  return db_.LastInsertRowId();
}

Status SqliteCaseStore::ResolveIncident(int64_t id, const std::string& status,
                                        const std::string& resolution, const std::string& at) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "UPDATE incidents SET status=?, resolution=?, resolved_at=? WHERE id=? AND status='open'"));
  return q.Bind(1, status).Bind(2, resolution).Bind(3, at).Bind(4, id).Run();
}

Result<std::vector<app::IncidentRecord>> SqliteCaseStore::ListIncidents(const app::IncidentFilter& f) {
  std::string sql =
      "SELECT i.id, COALESCE(i.job_id, 0), i.case_id, i.error, i.status, i.resolution, i.created_at, c.case_key, "
      "c.school, c.state, COALESCE(j.type, i.kind), c.grade, i.kind FROM incidents i JOIN cases c ON c.id=i.case_id "
      "LEFT JOIN jobs j ON j.id=i.job_id WHERE 1=1";
  if (f.open_only) sql += " AND i.status='open'";
  if (!f.school.empty()) sql += " AND c.school=?1";
  if (f.grade) sql += " AND c.grade=?2";
  if (!f.state.empty()) sql += " AND (' ' || c.state || ' ') LIKE ('% ' || ?3 || ' %')";
  if (!f.error.empty()) sql += " AND instr(i.error, ?4) > 0";
  if (!f.ids.empty()) {
    sql += " AND i.id IN (";
    for (size_t k = 0; k < f.ids.size(); ++k) sql += (k ? "," : "") + std::to_string(f.ids[k]);
    sql += ")";
  }
  sql += " ORDER BY i.id";
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(sql));
  if (!f.school.empty()) q.Bind(1, f.school);
  if (f.grade) q.Bind(2, f.grade);
  if (!f.state.empty()) q.Bind(3, f.state);
  if (!f.error.empty()) q.Bind(4, f.error);
  return sql::CollectRows<app::IncidentRecord>(q, [](sql::Statement& r) {
    app::IncidentRecord i;
    i.id = r.ColumnInt(0);
    i.job_id = r.ColumnInt(1);
    i.case_id = r.ColumnInt(2);
    i.error = r.ColumnText(3);
    i.status = r.ColumnText(4);
    i.resolution = r.ColumnText(5);
    i.created_at = r.ColumnText(6);
    i.case_key = r.ColumnText(7);
    i.school = r.ColumnText(8);
    i.state = r.ColumnText(9);
    i.job_type = r.ColumnText(10);
    i.grade = static_cast<int>(r.ColumnInt(11));
    i.kind = r.ColumnText(12);
    return i;
  });
}

Result<std::optional<app::PersonRequest>> SqliteCaseStore::PersonRequests(sql::Statement& q) {
  ENROL_ASSIGN_OR_RETURN(auto rows, sql::CollectRows<app::PersonRequest>(q, [](sql::Statement& r) {
    return app::PersonRequest{r.ColumnInt(0), r.ColumnText(1), r.ColumnInt(2) != 0, r.ColumnText(3),
                              r.ColumnText(4), r.ColumnText(5), r.ColumnText(6)};
  }));
  q.Reset();
  if (rows.empty()) return std::optional<app::PersonRequest>();
  return std::optional<app::PersonRequest>(std::move(rows.front()));
}

Result<std::optional<app::PersonRequest>> SqliteCaseStore::FindPersonRequest(int64_t case_id,
                                                                             const std::string& request_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(find_request_,
      "SELECT case_id, request_id, given, fingerprint, event, actor, applied_at FROM person_requests "
      "WHERE case_id=? AND request_id=?"));
  q->Bind(1, case_id).Bind(2, request_id);
  return PersonRequests(*q);
}

Result<std::optional<app::PersonRequest>> SqliteCaseStore::LastPersonRequest(int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(last_request_,
      "SELECT case_id, request_id, given, fingerprint, event, actor, applied_at FROM person_requests "
      "WHERE case_id=? ORDER BY id DESC LIMIT 1"));
  q->Bind(1, case_id);
  return PersonRequests(*q);
}

Status SqliteCaseStore::InsertPersonRequest(const app::PersonRequest& r) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(insert_request_,
      "INSERT INTO person_requests(case_id, request_id, given, fingerprint, event, actor, applied_at) "
      "VALUES(?,?,?,?,?,?,?)"));
  return q->Bind(1, r.case_id).Bind(2, r.request_id).Bind(3, r.given ? 1 : 0).Bind(4, r.fingerprint)
      .Bind(5, r.event).Bind(6, r.actor).Bind(7, r.applied_at).Run();
}

Status SqliteCaseStore::AppendAudit(const app::AuditEntry& e, const std::string& at) {
  if (!tx_) return FailedPrecondition("audit rows are written inside a transaction");
  if (audit_key_.empty() && audit_hash_.rfind(kKeyedPrefix, 0) == 0) {
    return FailedPrecondition("the audit log is chained with a key and this process has none: set ENROL_AUDIT_KEY_FILE "
                              "(or ENROL_AUDIT_KEY) as for the other processes on this database; nothing was written");
  }
  const int64_t seq = audit_seq_ + 1;
  const std::string hash = AuditHash(audit_hash_, seq, at, e, audit_key_);
  ENROL_RETURN_IF_ERROR(insert_audit_->Bind(1, seq).Bind(2, at).Bind(3, e.case_id).Bind(4, e.actor)
                            .Bind(5, e.kind).Bind(6, e.detail).Bind(7, audit_hash_).Bind(8, hash).Run());
  audit_seq_ = seq;
  audit_hash_ = hash;
  return {};
}

Result<std::vector<std::pair<std::string, app::AuditEntry>>> SqliteCaseStore::AuditOf(int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT at, case_id, actor, kind, detail FROM audit WHERE case_id=? ORDER BY seq"));
  q.Bind(1, case_id);
  return sql::CollectRows<std::pair<std::string, app::AuditEntry>>(q, [](sql::Statement& r) {
    return std::make_pair(r.ColumnText(0),
                          app::AuditEntry{r.ColumnInt(1), r.ColumnText(2), r.ColumnText(3), r.ColumnText(4)});
  });
}

Result<std::vector<app::CaseStore::AuditRow>> SqliteCaseStore::RecentAudit(int64_t before_seq, int limit) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT a.seq, a.at, coalesce(c.case_key, ''), a.case_id, a.actor, a.kind, a.detail FROM audit a "
      "LEFT JOIN cases c ON c.id = a.case_id WHERE (?1 = 0 OR a.seq < ?1) ORDER BY a.seq DESC LIMIT ?2"));
  q.Bind(1, before_seq).Bind(2, std::clamp(limit, 1, 500));
  return sql::CollectRows<AuditRow>(q, [](sql::Statement& r) {
    return AuditRow{r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2),
                    app::AuditEntry{r.ColumnInt(3), r.ColumnText(4), r.ColumnText(5), r.ColumnText(6)}};
  });
}

Result<app::AuditVerification> SqliteCaseStore::VerifyAudit(std::optional<app::AuditHead> expected) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT seq, at, case_id, actor, kind, detail, prev_hash, hash FROM audit ORDER BY seq"));
  app::AuditVerification v;
  auto broken = [&](std::string problem) {
    v.ok = false;
    v.problem = std::move(problem);
    return v;
  };
  std::string prev(64, '0');
  int64_t expected_seq = 1;
  bool head_seen = false;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ++v.rows;
    const int64_t seq = q.ColumnInt(0);
    const app::AuditEntry e{q.ColumnInt(2), q.ColumnText(3), q.ColumnText(4), q.ColumnText(5)};
    if (seq != expected_seq) {
      return broken("row " + std::to_string(expected_seq) + " is missing (next row is " + std::to_string(seq) + ")");
    }
    if (q.ColumnText(6) != prev) return broken("row " + std::to_string(seq) + " does not link to the row before it");
    const std::string stored = q.ColumnText(7);
    const bool keyed = stored.rfind(kKeyedPrefix, 0) == 0;
    if (keyed && audit_key_.empty()) {
      return broken("row " + std::to_string(seq) +
                    " is chained with a key, and no key is set: set ENROL_AUDIT_KEY or ENROL_AUDIT_KEY_FILE");
    }
    if (!keyed && !audit_key_.empty() && v.keyed_rows > 0) {
      return broken("row " + std::to_string(seq) + " is not chained with the key, though rows before it are: "
                    "the log was rewritten without the key");
    }
    const std::string hash = AuditHash(prev, seq, q.ColumnText(1), e, keyed ? audit_key_ : std::string());
    if (hash != stored) {
      return broken("row " + std::to_string(seq) + " was changed after it was written (" +
                    (keyed ? "HMAC mismatch: changed, or a different key" : "hash mismatch") + ")");
    }
    v.keyed_rows += keyed ? 1 : 0;
    if (expected && seq == expected->seq) {
      head_seen = true;
      if (hash != expected->hash) {
        return broken("row " + std::to_string(seq) + " differs from the checkpointed head: the log was rewritten");
      }
    }
    prev = hash;
    ++expected_seq;
  }
  v.head_seq = expected_seq - 1;
  v.head_hash = v.rows ? prev : "";
  if (!audit_key_.empty() && v.rows > 0 && v.keyed_rows == 0) {
    return broken("no row is chained with the configured key: the log was written or rewritten without it");
  }
  if (expected && expected->seq > 0 && !head_seen) {
    return broken("the log ends at row " + std::to_string(v.head_seq) + " but the checkpoint holds row " +
                  std::to_string(expected->seq) + ": rows were removed from the end");
  }
  return v;
}

Status SqliteCaseStore::AddDeferral(int64_t person_id, int to_year, int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT OR IGNORE INTO deferrals(person_id, to_year, case_id) VALUES(?,?,?)"));
  return q.Bind(1, person_id).Bind(2, to_year).Bind(3, case_id).Run();
}

Result<std::vector<int64_t>> SqliteCaseStore::DeferredTo(int year) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare("SELECT person_id FROM deferrals WHERE to_year=?"));
  q.Bind(1, year);
  std::vector<int64_t> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(q.ColumnInt(0));
  }
  return out;
}

}  // namespace enrol::store
