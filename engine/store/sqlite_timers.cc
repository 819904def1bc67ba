// The Timers port on SQLite (table timers).
#include "engine/store/sqlite_case_store.h"

#include <boost/json.hpp>

#include "engine/store/sqlite_case_store_parts.h"

namespace enrol::store {
namespace json = boost::json;
using namespace detail;

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

Result<std::vector<app::TimerRecord>> SqliteCaseStore::ReadTimers(sql::Statement& q) {
  return sql::CollectRows<app::TimerRecord>(q, [](sql::Statement& r) {
    return app::TimerRecord{r.ColumnInt(0), r.ColumnText(1), r.ColumnText(2), Parse(r.ColumnView(3)), r.ColumnInt(4)};
  });
}

Result<std::vector<app::TimerRecord>> SqliteCaseStore::DueTimers(int64_t now_ms, int limit) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement* q, Cached(due_timers_,
      "SELECT case_id, send_id, event, data, due_ms FROM timers WHERE due_ms<=? "
      "ORDER BY due_ms, case_id LIMIT ?"));
  q->Bind(1, now_ms).Bind(2, limit);
  auto out = ReadTimers(*q);
  q->Reset();
  return out;
}

Result<std::optional<int64_t>> SqliteCaseStore::NextTimerDue() {
  return NullableInt("SELECT MIN(due_ms) FROM timers");
}

Result<std::vector<app::TimerRecord>> SqliteCaseStore::TimersOf(int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT case_id, send_id, event, data, due_ms FROM timers WHERE case_id=? ORDER BY due_ms"));
  q.Bind(1, case_id);
  return ReadTimers(q);
}

}  // namespace enrol::store
