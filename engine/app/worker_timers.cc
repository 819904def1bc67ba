// The worker: timers that fell due, fired as events in one unit of work.
#include "engine/app/case_engine.h"

#include <boost/json.hpp>

#include "engine/app/unit_of_work.h"

namespace enrol::app {
namespace json = boost::json;

Status CaseEngine::FireTimers(int batch, WorkerStats& stats) {
  ENROL_ASSIGN_OR_RETURN(std::vector<TimerRecord> timers, cases_.DueTimers(NowMs(), batch));
  if (timers.empty()) return {};
  ENROL_ASSIGN_OR_RETURN(auto fired, AllOrEachAlone<int>(cases_, timers.size(), [&](UnitOfWork& tx, size_t i, bool) -> Result<int> {
    const TimerRecord& t = timers[i];
    // Only the timer that fell due: one set again since stays.
    ENROL_ASSIGN_OR_RETURN(bool deleted, tx.timers().DeleteTimer(t.case_id, t.send_id, t.due_ms));
    if (!deleted) return 0;
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, tx.cases().FindCase(t.case_id));
    if (!c) return 0;
    sc::Event ev{t.event, t.data, "", t.send_id};
    ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(tx, *c, "timer/" + std::to_string(t.case_id) + "/" + t.send_id + "/" +
                                                    std::to_string(t.due_ms),
                                                ev, "timer", false));
    if (r.duplicate) return 0;
    ENROL_RETURN_IF_ERROR(tx.cases().UpdateCase(*c));
    return 1;
  }));
  for (size_t i = 0; i < timers.size(); ++i) {
    if (fired[i]) {
      stats.timers_fired += *fired[i];
      stats.events += *fired[i];
      continue;
    }
    // This case cannot take its timer: an incident for it, the timer gone
    // (it would fail again), and the other timers go on.
    const TimerRecord& t = timers[i];
    ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
    ENROL_ASSIGN_OR_RETURN(bool deleted, tx.timers().DeleteTimer(t.case_id, t.send_id, t.due_ms));
    if (!deleted) continue;  // gone meanwhile: nothing to report
    IncidentRecord inc;
    inc.case_id = t.case_id;
    inc.kind = "timer";
    inc.error = "timer " + t.send_id + " (" + t.event + "): " + fired[i].error().message;
    inc.created_at = NowText();
    ENROL_ASSIGN_OR_RETURN(int64_t id, tx.incidents().InsertIncident(inc));
    ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(
        AuditEntry{t.case_id, "timer", "effect", "incident " + std::to_string(id) + ": " + inc.error}, inc.created_at));
    ENROL_RETURN_IF_ERROR(tx.Commit());
    stats.incidents += 1;
  }
  return {};
}

}  // namespace enrol::app
