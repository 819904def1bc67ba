// The JobQueue port on SQLite: jobs, their claims and leases.
#include "engine/store/sqlite_case_store.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/store/sqlite_case_store_parts.h"

namespace enrol::store {
namespace json = boost::json;
using namespace detail;

Result<std::optional<app::CasePerson>> SqliteCaseStore::HeldJobCase(int64_t job_id,
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
  auto out = ReadJobs(*q);
  q->Reset();
  if (out) {
    std::sort(out->begin(), out->end(), [](const app::JobRecord& a, const app::JobRecord& b) {
      return a.next_ms != b.next_ms ? a.next_ms < b.next_ms : a.id < b.id;
    });
  }
  return out;
}

Result<std::vector<app::JobRecord>> SqliteCaseStore::ReadJobs(sql::Statement& q) {
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
  auto jobs = ReadJobs(*q);
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
  auto jobs = ReadJobs(*q);
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
  return ReadJobs(q);
}

}  // namespace enrol::store
