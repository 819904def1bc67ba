// The case engine: events from people (the web app, the command line) and
// the print batch's receipt, each checked and applied in its unit of work.
#include "engine/app/case_engine.h"

#include <algorithm>

#include <boost/json.hpp>

#include "engine/app/access.h"
#include "engine/app/person_events.h"
#include "engine/app/protection.h"
#include "engine/app/kill_point.h"
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

namespace {

// The declared person event the case accepts in its state now, or why not.
Result<const sc::PersonEventSpec*> AcceptedSpec(const sc::Chart& chart, const CaseRecord& c, const std::string& event) {
  // From the stored states: the instance is read once, by Apply.
  const std::vector<const sc::PersonEventSpec*> accepted = AcceptedPersonEvents(chart, c.state);
  for (const sc::PersonEventSpec* e : accepted) {
    if (e->name == event) return e;
  }
  const std::string accepts = "; in state '" + c.state + "' it accepts: " + DescribePersonEvents(accepted);
  if (IsEngineEvent(event)) {
    return InvalidArgument("'" + event + "' comes only from the engine (done.*, error.*, register.*, the " +
                           "print batch's post.* and timers are never a person's); case " + c.key + accepts);
  }
  if (!chart.PersonEvent(event)) {
    return InvalidArgument("'" + event + "' is not an event a person may send; case " + c.key + accepts);
  }
  return InvalidArgument("case " + c.key + " does not accept '" + event + "' now" + accepts);
}

}  // namespace

Result<std::optional<ApplyResult>> CaseEngine::RepeatedRequest(UnitOfWork& tx, const CaseRecord& c,
                                                               const PersonCommand& cmd) {
  ApplyResult dup;
  dup.duplicate = true;
  dup.from = dup.to = c.state;
  auto chart = Chart(c.workflow);
  if (!chart) return Internal("case " + c.key + ": " + chart.error().message);
  const sc::PersonEventSpec* spec = (*chart)->PersonEvent(cmd.event);
  auto data = spec ? CheckPersonEventData(*spec, cmd.data, settings_.municipality, c.grade)
                   : Result<json::object>(InvalidArgument("not a person event"));
  // A request applied before is a repeat whatever the case did since (a
  // retry after a lost answer may come when the case has moved on).
  if (!cmd.request_id.empty()) {
    ENROL_ASSIGN_OR_RETURN(std::optional<PersonRequest> seen, tx.cases().FindPersonRequest(c.id, cmd.request_id));
    if (!seen) return std::optional<ApplyResult>();
    if (!data || seen->fingerprint != Fingerprint(cmd, *data)) {
      return InvalidArgument("request id '" + cmd.request_id + "' was used for another request on case " + c.key +
                             " (" + seen->event + " at " + seen->applied_at + "); give a new one");
    }
    dup.note = "request '" + cmd.request_id + "' was applied at " + seen->applied_at + "; not applied again";
    return std::optional<ApplyResult>(dup);
  }
  // Without a request id, the same event with the same data as the last one
  // applied is a repeat (a double click, a command run twice), whatever
  // state that event moved the case to.
  if (!data || c.status != "active") return std::optional<ApplyResult>();
  ENROL_ASSIGN_OR_RETURN(std::optional<PersonRequest> last, tx.cases().LastPersonRequest(c.id));
  if (!last || last->fingerprint != Fingerprint(cmd, *data)) return std::optional<ApplyResult>();
  dup.note = "the same " + cmd.event + " with the same data was the last event applied to case " + c.key +
             " (at " + last->applied_at + "); not applied again. To send it again on purpose, give a new " +
             "--request-id";
  return std::optional<ApplyResult>(dup);
}

Result<ApplyResult> CaseEngine::ApplyPerson(UnitOfWork& tx, CaseRecord& c, const PersonCommand& cmd) {
  // Who may act is checked here, inside the transaction, against the case
  // as it is now (reassigned or protected a moment ago included).
  ENROL_RETURN_IF_ERROR(Authorize(c, cmd));
  if (!c.damage.empty()) return Internal("case " + c.key + " is damaged: " + c.damage);
  ENROL_ASSIGN_OR_RETURN(std::optional<ApplyResult> repeat, RepeatedRequest(tx, c, cmd));
  if (repeat) return std::move(*repeat);
  if (c.status != "active") {
    return FailedPrecondition("case " + c.key + " is " + c.status + "; it takes no more events");
  }
  auto loaded = Chart(c.workflow);
  if (!loaded) return Internal("case " + c.key + ": " + loaded.error().message);
  ENROL_ASSIGN_OR_RETURN(const sc::PersonEventSpec* spec, AcceptedSpec(**loaded, c, cmd.event));
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
    auto group = AllOrEachAlone<ApplyResult>(cases_, n, [&](UnitOfWork& tx, size_t i, bool) -> Result<ApplyResult> {
      ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, tx.cases().FindCase(ids[start + i]));
      if (!c) return NotFound("no case " + std::to_string(ids[start + i]));
      return ApplyPerson(tx, *c, cmd);
    });
    if (!group) {
      if (start == 0) return tl::unexpected(group.error());
      // The groups before committed: say how far it got.
      const size_t applied = static_cast<size_t>(std::count_if(out.begin(), out.end(), [](const Result<ApplyResult>& r) {
        return r && !r->duplicate;
      }));
      return tl::unexpected(group.error().WithContext(
          "'" + cmd.event + "' was applied to " + std::to_string(applied) + " of the " + std::to_string(ids.size()) +
          " cases before this (those are committed, and the same command again does not apply them twice)"));
    }
    for (auto& r : *group) out.push_back(std::move(r));
  }
  return out;
}

Result<ApplyResult> CaseEngine::ApplyPrinted(UnitOfWork& tx, int64_t case_id, int64_t letter_version,
                                             const std::string& batch, const std::string& actor, bool must_apply) {
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, tx.cases().FindCase(case_id));
  if (!c) return NotFound("no case " + std::to_string(case_id));
  // A letter of a family protected since is never marked printed: the
  // education office handles the case by hand.
  ENROL_ASSIGN_OR_RETURN(bool now_protected, ChildOrGuardianProtected(persons_, c->person_id));
  if (c->protected_case || now_protected) {
    return FailedPrecondition("case " + c->key + " has a protected address now: not marked printed (the education "
                              "office handles it)");
  }
  sc::Event ev;
  ev.name = "post.printed";
  ev.data = json::object{{"batch", batch}};
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(tx, *c, "print-batch/" + std::to_string(case_id) + "/v" +
                                                      std::to_string(letter_version),
                                              ev, actor, must_apply, /*show_data=*/true));
  if (!r.duplicate && !r.handled) {
    return FailedPrecondition("case " + c->key + " is not waiting for its print (state '" + c->state + "')");
  }
  if (!r.duplicate) ENROL_RETURN_IF_ERROR(tx.cases().UpdateCase(*c));
  return r;
}

Result<ApplyResult> CaseEngine::RecordPrinted(int64_t case_id, int64_t letter_version, const std::string& batch,
                                              const std::string& actor) {
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, ApplyPrinted(tx, case_id, letter_version, batch, actor, true));
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return r;
}

Result<int> CaseEngine::MarkBatchPrinted(int64_t batch_id, const std::string& sha256, const std::string& actor) {
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  ENROL_ASSIGN_OR_RETURN(std::optional<PrintBatch> b, tx.print_batches().FindBatch(batch_id));
  if (!b) return NotFound("no print batch " + std::to_string(batch_id));
  if (b->status != "open") return FailedPrecondition("print batch " + std::to_string(batch_id) + " is " + b->status);
  const std::string label = "batch " + std::to_string(batch_id) + " " + sha256.substr(0, 12);
  int marked = 0;
  for (const PrintBatchCase& pc : b->cases) {
    // A case that stopped waiting since the batch was recorded (closed, or
    // handed to the office) is left as it is; the others are marked.
    ENROL_ASSIGN_OR_RETURN(UnitOfWork::Savepoint sp, tx.Save());
    Result<ApplyResult> r = ApplyPrinted(tx, pc.case_id, pc.letter_version, label, actor, false);
    if (!r && r.error().code == ErrorCode::kFailedPrecondition) {
      ENROL_RETURN_IF_ERROR(sp.RollBack());
      continue;
    }
    if (!r) return tl::unexpected(r.error());
    ENROL_RETURN_IF_ERROR(sp.Release());
    marked += r->duplicate ? 0 : 1;
    KillPoint("print_batch.marked");
  }
  ENROL_RETURN_IF_ERROR(tx.print_batches().FinishBatch(batch_id, sha256, NowText()));
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return marked;
}

}  // namespace enrol::app
