// The CaseReports port on SQLite: the web app's lists and the counts for
// monitoring and summaries.
#include "engine/store/sqlite_case_store.h"

#include <algorithm>

#include <boost/json.hpp>
#include <sqlite3.h>

#include "engine/store/sqlite_case_store_parts.h"

namespace enrol::store {
namespace json = boost::json;
using namespace detail;

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

Result<app::OperationalCounts> SqliteCaseStore::CountForMonitoring(int64_t now_ms) {
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

}  // namespace enrol::store
