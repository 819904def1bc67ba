// The Incidents port on SQLite (table incidents).
#include "engine/store/sqlite_case_store.h"

#include <boost/json.hpp>

#include "engine/store/sqlite_case_store_parts.h"

namespace enrol::store {
namespace json = boost::json;
using namespace detail;

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

}  // namespace enrol::store
