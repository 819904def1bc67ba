// The Cases port on SQLite: cases, applied events, person requests,
// deferrals, workflow versions and protection checks.
#include "engine/store/sqlite_case_store.h"

#include <boost/json.hpp>

#include "engine/store/sqlite_case_store_parts.h"

namespace enrol::store {
namespace json = boost::json;
using namespace detail;

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

Result<std::vector<app::CaseRecord>> SqliteCaseStore::ReadCases(sql::Statement& q) {
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
  ENROL_ASSIGN_OR_RETURN(auto list, ReadCases(*find_case_));
  if (list.empty()) return std::optional<app::CaseRecord>();
  return std::optional<app::CaseRecord>(std::move(list.front()));
}

Result<std::optional<app::CaseRecord>> SqliteCaseStore::FindCaseByKey(const std::string& key) {
  static const std::string kSql = std::string("SELECT ") + kCaseColumns + " FROM cases WHERE case_key=?";
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(find_case_key_, kSql.c_str()));
  q->Bind(1, key);
  ENROL_ASSIGN_OR_RETURN(auto list, ReadCases(*q));
  if (list.empty()) return std::optional<app::CaseRecord>();
  return std::optional<app::CaseRecord>(std::move(list.front()));
}

Result<std::optional<app::CasePerson>> SqliteCaseStore::PersonOfCase(int64_t case_id) {
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
  return ReadCases(q);
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

Result<bool> SqliteCaseStore::MarkEventApplied(const std::string& event_id, int64_t case_id,
                                               const std::string& name, const std::string& at) {
  ENROL_RETURN_IF_ERROR(mark_event_->Bind(1, event_id).Bind(2, case_id).Bind(3, name).Bind(4, at).Run());
  return db_.Changes() == 1;
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
