// The case engine: events from people (the web app, the command line) and
// the print batch's receipt, each checked and applied in its unit of work.
#include "engine/app/case_engine.h"

#include <boost/json.hpp>

#include "engine/app/access.h"
#include "engine/app/person_events.h"
#include "engine/app/unit_of_work.h"
#include "engine/core/sha256.h"

namespace enrol::app {
namespace json = boost::json;

namespace {

// What identifies a person's request: who sent which event with which data.
std::string Fingerprint(const PersonCommand& cmd, const json::object& data) {
  return core::Sha256Hex(cmd.actor + "\n" + cmd.event + "\n" + json::serialize(data));
}

}  // namespace

Status CaseEngine::Authorize(const CaseRecord& c, const PersonCommand& cmd) {
  if (!cmd.user) return {};
  // A damaged case's flag cannot be read: the office's alone.
  const bool visible = c.damage.empty() ? MaySeeCase(*cmd.user, c.school, c.protected_case) : IsOffice(*cmd.user);
  if (!visible) return NotFound("no case " + std::to_string(c.id));
  auto chart = Chart(c.workflow);
  if (!chart) return Internal("case " + c.key + ": " + chart.error().message);
  const sc::PersonEventSpec* spec = (*chart)->PersonEvent(cmd.event);
  if (spec && !MaySend(*cmd.user, *spec)) {
    return PermissionDenied("only the education office may send '" + cmd.event + "'");
  }
  return {};
}

Result<ApplyResult> CaseEngine::ApplyPerson(UnitOfWork& tx, CaseRecord& c, const PersonCommand& cmd) {
  // Who may act is checked here, inside the transaction, against the case
  // as it is now (reassigned or protected a moment ago included).
  ENROL_RETURN_IF_ERROR(Authorize(c, cmd));
  if (!c.damage.empty()) return Internal("case " + c.key + " is damaged: " + c.damage);
  ApplyResult dup;
  dup.duplicate = true;
  dup.from = dup.to = c.state;
  // A request applied before is a repeat whatever the case did since (a
  // retry after a lost answer may come when the case has moved on).
  if (!cmd.request_id.empty()) {
    ENROL_ASSIGN_OR_RETURN(std::optional<PersonRequest> seen, tx.cases().FindPersonRequest(c.id, cmd.request_id));
    if (seen) {
      auto chart = Chart(c.workflow);
      if (!chart) return Internal("case " + c.key + ": " + chart.error().message);
      const sc::PersonEventSpec* spec = (*chart)->PersonEvent(cmd.event);
      auto data = spec ? CheckPersonEventData(*spec, cmd.data, settings_.municipality, c.grade)
                       : Result<json::object>(InvalidArgument("not a person event"));
      if (!data || seen->fingerprint != Fingerprint(cmd, *data)) {
        return InvalidArgument("request id '" + cmd.request_id + "' was used for another request on case " + c.key +
                               " (" + seen->event + " at " + seen->applied_at + "); give a new one");
      }
      dup.note = "request '" + cmd.request_id + "' was applied at " + seen->applied_at + "; not applied again";
      return dup;
    }
  }
  if (c.status != "active") {
    return FailedPrecondition("case " + c.key + " is " + c.status + "; it takes no more events");
  }
  auto loaded = Chart(c.workflow);
  if (!loaded) return Internal("case " + c.key + ": " + loaded.error().message);
  const sc::Chart& chart = **loaded;
  // Without a request id, the same event with the same data as the last one
  // applied is a repeat (a double click, a command run twice), whatever
  // state that event moved the case to.
  if (cmd.request_id.empty()) {
    if (const sc::PersonEventSpec* declared = chart.PersonEvent(cmd.event)) {
      auto data = CheckPersonEventData(*declared, cmd.data, settings_.municipality, c.grade);
      if (data) {
        const std::string fp = Fingerprint(cmd, *data);
        ENROL_ASSIGN_OR_RETURN(std::optional<PersonRequest> last, tx.cases().LastPersonRequest(c.id));
        if (last && last->fingerprint == fp) {
          dup.note = "the same " + cmd.event + " with the same data was the last event applied to case " + c.key +
                     " (at " + last->applied_at + "); not applied again. To send it again on purpose, give a new " +
                     "--request-id";
          return dup;
        }
      }
    }
  }
  // From the stored states: the instance is read once, by Apply.
  const std::vector<const sc::PersonEventSpec*> accepted = AcceptedPersonEvents(chart, c.state);
  const sc::PersonEventSpec* spec = nullptr;
  for (const sc::PersonEventSpec* e : accepted) {
    if (e->name == cmd.event) spec = e;
  }
  const std::string accepts = "; in state '" + c.state + "' it accepts: " + DescribePersonEvents(accepted);
  if (!spec) {
    if (IsEngineEvent(cmd.event)) {
      return InvalidArgument("'" + cmd.event + "' comes only from the engine (done.*, error.*, register.*, the " +
                             "print batch's post.* and timers are never a person's); case " + c.key + accepts);
    }
    if (!chart.PersonEvent(cmd.event)) {
      return InvalidArgument("'" + cmd.event + "' is not an event a person may send; case " + c.key + accepts);
    }
    return InvalidArgument("case " + c.key + " does not accept '" + cmd.event + "' now" + accepts);
  }
  auto data = CheckPersonEventData(*spec, cmd.data, settings_.municipality, c.grade);
  if (!data) return tl::unexpected(data.error().WithContext("case " + c.key));
  const std::string fingerprint = Fingerprint(cmd, *data);
  const std::string request_id = cmd.request_id.empty() ? "auto-" + ids_.NewUuid() : cmd.request_id;
  sc::Event ev;
  ev.name = cmd.event;
  ev.data = std::move(*data);
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(tx, c, "person/" + std::to_string(c.id) + "/" + request_id, ev,
                                              cmd.actor, true, /*show_data=*/true));
  if (!r.handled) return r;
  ENROL_RETURN_IF_ERROR(tx.cases().InsertPersonRequest(
      PersonRequest{c.id, request_id, !cmd.request_id.empty(), fingerprint, cmd.event, cmd.actor, NowText()}));
  ENROL_RETURN_IF_ERROR(tx.cases().UpdateCase(c));
  return r;
}

Result<ApplyResult> CaseEngine::ApplyPersonEvent(int64_t case_id, const PersonCommand& cmd) {
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, tx.cases().FindCase(case_id));
  if (!c) return NotFound("no case " + std::to_string(case_id));
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, ApplyPerson(tx, *c, cmd));
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return r;
}

Result<std::vector<Result<ApplyResult>>> CaseEngine::ApplyPersonEventToMany(const std::vector<int64_t>& ids,
                                                                           const PersonCommand& cmd) {
  std::vector<Result<ApplyResult>> out;
  out.reserve(ids.size());
  constexpr size_t kGroup = 256;
  for (size_t start = 0; start < ids.size(); start += kGroup) {
    const size_t n = std::min(ids.size() - start, kGroup);
    ENROL_ASSIGN_OR_RETURN(auto group, AllOrEachAlone<ApplyResult>(cases_, n, [&](UnitOfWork& tx, size_t i, bool) -> Result<ApplyResult> {
      ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, tx.cases().FindCase(ids[start + i]));
      if (!c) return NotFound("no case " + std::to_string(ids[start + i]));
      return ApplyPerson(tx, *c, cmd);
    }));
    for (auto& r : group) out.push_back(std::move(r));
  }
  return out;
}

Result<ApplyResult> CaseEngine::RecordPrinted(int64_t case_id, int64_t letter_version, const std::string& batch,
                                              const std::string& actor) {
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, tx.cases().FindCase(case_id));
  if (!c) return NotFound("no case " + std::to_string(case_id));
  sc::Event ev;
  ev.name = "post.printed";
  ev.data = json::object{{"batch", batch}};
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(tx, *c, "print-batch/" + std::to_string(case_id) + "/v" +
                                                      std::to_string(letter_version),
                                              ev, actor, /*must_apply=*/true, /*show_data=*/true));
  if (!r.duplicate) ENROL_RETURN_IF_ERROR(tx.cases().UpdateCase(*c));
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return r;
}

}  // namespace enrol::app
