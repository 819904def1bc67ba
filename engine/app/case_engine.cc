#include "engine/app/case_engine.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <map>
#include <set>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#ifdef ENROL_TEST_HOOKS
#include <csignal>
#include <unistd.h>
#endif

#include <boost/json.hpp>

#include "engine/app/access.h"
#include "engine/app/kill_point.h"
#include "engine/app/person_events.h"
#include "engine/app/protection.h"
#include "engine/core/sha256.h"

namespace enrol::app {
namespace json = boost::json;

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

std::string FinalStatus(const sc::Instance& inst, const sc::Chart& chart) {
  if (inst.running) return "active";
  for (int s : inst.configuration) {
    if (chart.states[s].kind == sc::StateKind::kFinal && chart.states[s].parent == 0) {
      return chart.states[s].id;
    }
  }
  return "finished";
}

// Splitmix-style hash for deterministic jitter.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// One transaction on the case store that rolls back unless committed.
class StoreTransaction {
 public:
  explicit StoreTransaction(CaseStore& store) : store_(store) {}
  StoreTransaction(const StoreTransaction&) = delete;
  ~StoreTransaction() {
    if (open_) store_.Rollback();
  }
  [[nodiscard]] Status Begin() {
    ENROL_RETURN_IF_ERROR(store_.Begin());
    open_ = true;
    return {};
  }
  [[nodiscard]] Status Commit() {
    open_ = false;
    return store_.Commit();
  }

 private:
  CaseStore& store_;
  bool open_ = false;
};

bool IsBusy(const Error& e) { return e.code == ErrorCode::kAborted; }

// Runs step(0, alone) .. step(n-1, alone) in one transaction and returns
// their results once it has committed; finish(alone) runs before the commit.
// A step that fails leaves nothing behind: the first pass runs without
// savepoints (SQLite copies every page a savepoint touches into its
// sub-journal, which costs more than the steps themselves), and if any step
// or finish fails it rolls back and runs them all again, `alone` in a
// savepoint each, so that the others still commit. A busy database ends it
// with nothing written.
struct NoFinish {
  Status operator()(bool /*alone*/) const { return {}; }
};
template <class T, class Step, class Finish = NoFinish>
Result<std::vector<Result<T>>> AllOrEachAlone(CaseStore& store, size_t n, Step step, Finish finish = {}) {
  for (const bool alone : {false, true}) {
    std::vector<Result<T>> out;
    out.reserve(n);
    StoreTransaction tx(store);
    ENROL_RETURN_IF_ERROR(tx.Begin());
    bool failed = false;
    for (size_t i = 0; i < n && !failed; ++i) {
      if (alone) ENROL_RETURN_IF_ERROR(store.Savepoint());
      Result<T> r = step(i, alone);
      if (!r && IsBusy(r.error())) return tl::unexpected(r.error());
      if (alone) ENROL_RETURN_IF_ERROR(r ? store.Release() : store.RollbackToSavepoint());
      failed = !r && !alone;
      out.push_back(std::move(r));
    }
    if (!failed) {
      Status done = finish(alone);
      if (!done && (alone || IsBusy(done.error()))) return tl::unexpected(done.error());
      failed = !done;
    }
    if (failed) continue;  // the transaction rolls back
    ENROL_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  return Internal("unreachable");
}



// Calls running on threads of their own (a connector's MaxInFlight() > 1);
// their outcomes queue up for the worker's thread, which commits them. The
// destructor waits for every call, so none outlives the worker's pass.
class InFlightCalls {
 public:
  InFlightCalls() : shared_(std::make_shared<Shared>()) {}
  ~InFlightCalls() {
    for (std::thread& t : threads_) t.join();
  }
  InFlightCalls(const InFlightCalls&) = delete;
  InFlightCalls& operator=(const InFlightCalls&) = delete;

  void Start(size_t index, const std::string& type, Connector::Call call) {
    ++running_[type];
    ++total_;
    threads_.emplace_back([shared = shared_, index, type, call = std::move(call)] {
      JobOutcome out = call();
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->done.push_back(Done{index, type, std::move(out)});
      shared->cv.notify_one();
    });
  }
  [[nodiscard]] int Running(const std::string& type) const {
    auto it = running_.find(type);
    return it == running_.end() ? 0 : it->second;
  }
  [[nodiscard]] int Running() const { return total_; }

  struct Done {
    size_t index;
    std::string type;
    JobOutcome outcome;
  };
  // A finished call's outcome; with `wait`, waits for one if any runs.
  std::optional<Done> Take(bool wait) {
    std::unique_lock<std::mutex> lock(shared_->mu);
    if (wait && total_ > 0) shared_->cv.wait(lock, [&] { return !shared_->done.empty(); });
    if (shared_->done.empty()) return std::nullopt;
    Done d = std::move(shared_->done.front());
    shared_->done.pop_front();
    --running_[d.type];
    --total_;
    return d;
  }

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Done> done;
  };
  std::shared_ptr<Shared> shared_;
  std::vector<std::thread> threads_;
  std::map<std::string, int> running_;
  int total_ = 0;
};

}  // namespace

// The cases a group of outcomes touches, each read once and, when `keep`,
// written once at the end (the three dispatch jobs of a case usually arrive
// together); otherwise each change is written at once.
class CaseBatch {
 public:
  CaseBatch(CaseStore& store, bool keep) : store_(store), keep_(keep) {}
  Result<CaseRecord*> Get(int64_t id) {
    if (auto it = cases_.find(id); it != cases_.end()) return &it->second;
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, store_.FindCase(id));
    if (!c) return static_cast<CaseRecord*>(nullptr);
    CaseRecord* out = &cases_.emplace(id, std::move(*c)).first->second;
    return out;
  }
  Status Changed(CaseRecord& c) {
    if (keep_) {
      dirty_.insert(c.id);
      return {};
    }
    ENROL_RETURN_IF_ERROR(store_.UpdateCase(c));
    cases_.erase(c.id);  // read afresh: a savepoint may roll this back
    return {};
  }
  void Forget(int64_t id) {
    if (!keep_) cases_.erase(id);
  }
  Status Flush() {
    for (int64_t id : dirty_) ENROL_RETURN_IF_ERROR(store_.UpdateCase(cases_.at(id)));
    dirty_.clear();
    return {};
  }

 private:
  CaseStore& store_;
  bool keep_;
  std::map<int64_t, CaseRecord> cases_;
  std::set<int64_t> dirty_;
};

CaseEngine::~CaseEngine() = default;

void WorkerStats::Add(const WorkerStats& o) {
  timers_fired += o.timers_fired;
  jobs_done += o.jobs_done;
  jobs_retried += o.jobs_retried;
  jobs_pending += o.jobs_pending;
  incidents += o.incidents;
  events += o.events;
  protected_stops += o.protected_stops;
  busy = busy || o.busy;
}

CaseEngine::CaseEngine(CaseStore& cases, PersonStore& persons, Clock& clock, IdGenerator& ids,
                       const Settings& settings, std::map<std::string, Connector*> connectors)
    : cases_(cases), persons_(persons), clock_(clock), ids_(ids), settings_(settings),
      connectors_(std::move(connectors)), worker_id_("worker-" + ids.NewUuid()) {}

int64_t CaseEngine::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
}
std::string CaseEngine::NowText() {
  // Whole seconds: formatted once per second, not once per row.
  const std::time_t s = std::chrono::system_clock::to_time_t(clock_.Now());
  if (s != now_text_second_) {
    now_text_ = FormatUtc(std::chrono::system_clock::from_time_t(s));
    now_text_second_ = s;
  }
  return now_text_;
}

std::vector<std::string> CaseEngine::InvokeTypes() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : connectors_) out.push_back(k);
  return out;
}

Status CaseEngine::LoadWorkflow(const std::string& source) {
  std::vector<sc::Diagnostic> problems;
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart,
                         sc::ReadScxml(source, &problems, InvokeTypes()));
  // Stored once per version; a version stored before needs no write (so a
  // read-only database can still be read through the engine).
  ENROL_ASSIGN_OR_RETURN(std::optional<std::string> stored, cases_.WorkflowSource(chart->hash));
  if (!stored) {
    StoreTransaction tx(cases_);
    ENROL_RETURN_IF_ERROR(tx.Begin());
    ENROL_RETURN_IF_ERROR(cases_.SaveWorkflow(chart->hash, chart->name, source, NowText()));
    ENROL_RETURN_IF_ERROR(tx.Commit());
  }
  charts_[chart->hash] = chart;
  current_ = chart->hash;
  return {};
}

Status CaseEngine::RecordAudit(int64_t case_id, const std::string& actor, const std::string& kind,
                               const std::string& what) {
  StoreTransaction tx(cases_);
  ENROL_RETURN_IF_ERROR(tx.Begin());
  ENROL_RETURN_IF_ERROR(cases_.AppendAudit(AuditEntry{case_id, actor, kind, what}, NowText()));
  return tx.Commit();
}

Result<std::shared_ptr<const sc::Chart>> CaseEngine::Chart(const std::string& hash) {
  if (auto it = charts_.find(hash); it != charts_.end()) return it->second;
  ENROL_ASSIGN_OR_RETURN(std::optional<std::string> source, cases_.WorkflowSource(hash));
  if (!source) return Internal("workflow version " + hash.substr(0, 12) + " is not in the database");
  auto read = sc::ReadScxml(*source, nullptr);
  if (!read) {
    return Internal("the stored workflow version " + hash.substr(0, 12) + " is refused by this enrol's reader: " +
                    read.error().message);
  }
  std::shared_ptr<const sc::Chart> chart = *read;
  charts_[hash] = chart;
  return chart;
}

RetryPolicy CaseEngine::PolicyFor(const std::string& type) const {
  RetryPolicy p;
  auto read = [&](const json::value* v) {
    if (!v || !v->is_object()) return;
    const json::object& o = v->get_object();
    if (const auto* a = o.if_contains("attempts"); a && a->is_int64()) p.attempts = static_cast<int>(a->get_int64());
    auto delay = [&](const char* key, int64_t* out) {
      if (const auto* d = o.if_contains(key); d && d->is_string()) {
        if (auto ms = sc::ParseDelay(std::string(d->get_string()))) *out = *ms;
      }
    };
    delay("backoff", &p.backoff_ms);
    delay("max_backoff", &p.max_backoff_ms);
    delay("timeout", &p.timeout_ms);
    delay("lease", &p.lease_ms);
  };
  if (const json::object* w = settings_.workflow_config.if_object()) {
    read(w->if_contains("retry"));
    if (const auto* by = w->if_contains("retry_by_type"); by && by->is_object()) {
      read(by->get_object().if_contains(type));
    }
  }
  return p;
}

int64_t CaseEngine::Backoff(const RetryPolicy& p, int64_t job_id, int attempt) const {
  double wait = static_cast<double>(p.backoff_ms) * std::pow(2.0, std::max(0, attempt - 1));
  wait = std::min(wait, static_cast<double>(p.max_backoff_ms));
  const double unit = static_cast<double>(Mix(static_cast<uint64_t>(job_id) * 131 + static_cast<uint64_t>(attempt)) % 10001) / 10000.0;
  wait *= 1.0 + p.jitter * (2 * unit - 1);
  return static_cast<int64_t>(wait);
}

Status CaseEngine::CarryOut(CaseRecord& c, const sc::StepOutcome& out, const std::string& actor) {
  (void)actor;
  const int64_t now = NowMs();
  const std::string at = NowText();
  for (const sc::Effect& e : out.effects) {
    switch (e.kind) {
      case sc::Effect::kSchedule:
        ENROL_RETURN_IF_ERROR(cases_.PutTimer(TimerRecord{c.id, e.id, e.name, e.data, now + e.delay_ms}));
        break;
      case sc::Effect::kCancelSchedule: {
        ENROL_ASSIGN_OR_RETURN(bool deleted, cases_.DeleteTimer(c.id, e.id));
        (void)deleted;
        break;
      }
      case sc::Effect::kStartInvoke: {
        JobRecord j;
        j.case_id = c.id;
        j.invoke_id = e.id;
        j.type = e.name;
        j.params = e.data.is_object() ? e.data.get_object() : json::object();
        // Made once, with the job: unique across databases, restores and
        // municipalities, unlike ids or counters.
        j.key = ids_.NewUuid();
        j.status = "queued";
        j.next_ms = now;
        j.result = nullptr;
        ENROL_ASSIGN_OR_RETURN(int64_t id, cases_.InsertJob(j, at));
        (void)id;
        break;
      }
      case sc::Effect::kCancelInvoke: {
        ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> j, cases_.FindJobByInvoke(c.id, e.id));
        if (j && (j->status == "queued" || j->status == "incident")) {
          const bool had_incident = j->status == "incident";
          j->status = "cancelled";
          ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*j, at));
          if (had_incident) {
            IncidentFilter f;
            ENROL_ASSIGN_OR_RETURN(auto incidents, cases_.ListIncidents(f));
            for (const auto& i : incidents) {
              if (i.job_id == j->id) {
                ENROL_RETURN_IF_ERROR(cases_.ResolveIncident(i.id, "cancelled", "its state was left", at));
              }
            }
          }
        }
        break;
      }
      case sc::Effect::kLog:
      case sc::Effect::kError:
      case sc::Effect::kFinished:
        break;  // described in the event's audit row
    }
  }
  return {};
}

namespace {

// One audit row per applied event: the event, the transitions and the effects.
std::string Describe(const std::string& event, const std::string& from, const std::string& to,
                     const sc::StepOutcome& out) {
  std::string d = event + ": " + (from.empty() ? "(new)" : from) + " -> " + (to.empty() ? "(end)" : to);
  if (!out.handled && !event.empty()) d += " (no transition)";
  for (const auto& t : out.trace) d += "; " + t;
  for (const sc::Effect& e : out.effects) {
    switch (e.kind) {
      case sc::Effect::kSchedule:
        d += "; timer " + e.id + " " + e.name + " in " + std::to_string(e.delay_ms / 1000) + "s";
        break;
      case sc::Effect::kCancelSchedule: d += "; cancel timer " + e.id; break;
      case sc::Effect::kStartInvoke: d += "; start " + e.name + " " + e.id; break;
      case sc::Effect::kCancelInvoke: d += "; cancel " + e.id; break;
      case sc::Effect::kLog:
        d += "; log " + e.name + (e.data.is_null() ? "" : " " + json::serialize(e.data));
        break;
      case sc::Effect::kError: d += "; error.execution " + json::serialize(e.data); break;
      case sc::Effect::kFinished: d += "; finished"; break;
    }
  }
  return d;
}

}  // namespace

Result<ApplyResult> CaseEngine::Apply(CaseRecord& c, const std::string& event_id, const sc::Event& event,
                                      const std::string& actor, bool must_apply, bool show_data) {
  ApplyResult r;
  const std::string at = NowText();
  if (!c.damage.empty()) return Internal("case " + c.key + " is damaged: " + c.damage);
  if (c.status != "active") {
    if (must_apply) {
      return FailedPrecondition("case " + c.key + " is " + c.status + "; it takes no more events");
    }
    ENROL_ASSIGN_OR_RETURN(bool fresh, cases_.MarkEventApplied(event_id, c.id, event.name, at));
    r.duplicate = !fresh;
    return r;
  }
  ENROL_ASSIGN_OR_RETURN(bool fresh, cases_.MarkEventApplied(event_id, c.id, event.name, at));
  if (!fresh) {
    r.duplicate = true;
    return r;
  }
  auto loaded = Chart(c.workflow);
  if (!loaded) return Internal("case " + c.key + ": " + loaded.error().message);
  std::shared_ptr<const sc::Chart> chart = *loaded;
  auto read = sc::Instance::FromJson(*chart, std::move(c.instance));
  if (!read) return Internal("case " + c.key + ": its stored instance does not read: " + read.error().message);
  sc::Instance inst = std::move(*read);
  r.from = c.state;
  sc::Interpreter interp(chart);
  const sc::StepOutcome out = interp.Apply(inst, event, &settings_.workflow_config);
  r.handled = out.handled;
  if (!out.handled && must_apply) {
    return InvalidArgument("event '" + event.name + "' does not apply to case " + c.key + " in state '" +
                           c.state + "'");
  }
  c.state = Join(inst.AtomicStateIds(*chart));
  c.status = FinalStatus(inst, *chart);
  if (const auto* school = inst.data.if_contains("school"); school && school->is_string()) {
    c.school = std::string(school->get_string());
  }
  const bool deferred = !inst.running && inst.data.contains("closed_because") &&
                        inst.data.at("closed_because") == "deferred";
  c.instance = std::move(inst).TakeJson(*chart);
  c.updated_at = at;
  r.to = c.state;
  const std::string shown =
      show_data ? event.name + " " + (event.data.is_null() ? std::string("{}") : json::serialize(event.data)) : event.name;
  ENROL_RETURN_IF_ERROR(cases_.AppendAudit(AuditEntry{c.id, actor, "event", Describe(shown, r.from, r.to, out)}, at));
  ENROL_RETURN_IF_ERROR(CarryOut(c, out, actor));
  if (deferred) ENROL_RETURN_IF_ERROR(cases_.AddDeferral(c.person_id, c.school_year + 1, c.id));
  return r;
}

namespace {

bool CaseFlagProtected(const CaseRecord& c) {
  const auto* d = c.instance.if_contains("data");
  const auto* p = d && d->is_object() ? d->as_object().if_contains("protected") : nullptr;
  return p && p->is_bool() && p->as_bool();
}

}  // namespace

Status CaseEngine::Authorize(const CaseRecord& c, const PersonCommand& cmd) {
  if (!cmd.user) return {};
  // A damaged case's flag cannot be read: the office's alone.
  const bool visible = c.damage.empty() ? MaySeeCase(*cmd.user, c.school, CaseFlagProtected(c)) : IsOffice(*cmd.user);
  if (!visible) return NotFound("no case " + std::to_string(c.id));
  auto chart = Chart(c.workflow);
  if (!chart) return Internal("case " + c.key + ": " + chart.error().message);
  const sc::PersonEventSpec* spec = (*chart)->PersonEvent(cmd.event);
  if (spec && !MaySend(*cmd.user, *spec)) {
    return PermissionDenied("only the education office may send '" + cmd.event + "'");
  }
  return {};
}

Result<ApplyResult> CaseEngine::ApplyPerson(CaseRecord& c, const PersonCommand& cmd) {
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
    ENROL_ASSIGN_OR_RETURN(std::optional<PersonRequest> seen, cases_.FindPersonRequest(c.id, cmd.request_id));
    if (seen) {
      auto chart = Chart(c.workflow);
      if (!chart) return Internal("case " + c.key + ": " + chart.error().message);
      const sc::PersonEventSpec* spec = (*chart)->PersonEvent(cmd.event);
      auto data = spec ? CheckPersonEventData(*spec, cmd.data, settings_.municipality, c.grade)
                       : Result<json::object>(InvalidArgument("not a person event"));
      if (!data || seen->fingerprint != core::Sha256Hex(cmd.actor + "\n" + cmd.event + "\n" + json::serialize(*data))) {
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
        const std::string fp = core::Sha256Hex(cmd.actor + "\n" + cmd.event + "\n" + json::serialize(*data));
        ENROL_ASSIGN_OR_RETURN(std::optional<PersonRequest> last, cases_.LastPersonRequest(c.id));
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
  const std::string fingerprint = core::Sha256Hex(cmd.actor + "\n" + cmd.event + "\n" + json::serialize(*data));
  const std::string request_id = cmd.request_id.empty() ? "auto-" + ids_.NewUuid() : cmd.request_id;
  sc::Event ev;
  ev.name = cmd.event;
  ev.data = std::move(*data);
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(c, "person/" + std::to_string(c.id) + "/" + request_id, ev,
                                              cmd.actor, true, /*show_data=*/true));
  if (!r.handled) return r;
  ENROL_RETURN_IF_ERROR(cases_.InsertPersonRequest(
      PersonRequest{c.id, request_id, !cmd.request_id.empty(), fingerprint, cmd.event, cmd.actor, NowText()}));
  ENROL_RETURN_IF_ERROR(cases_.UpdateCase(c));
  return r;
}

Result<ApplyResult> CaseEngine::ApplyPersonEvent(int64_t case_id, const PersonCommand& cmd) {
  StoreTransaction tx(cases_);
  ENROL_RETURN_IF_ERROR(tx.Begin());
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(case_id));
  if (!c) return NotFound("no case " + std::to_string(case_id));
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, ApplyPerson(*c, cmd));
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
    ENROL_ASSIGN_OR_RETURN(auto group, AllOrEachAlone<ApplyResult>(cases_, n, [&](size_t i, bool) -> Result<ApplyResult> {
      ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(ids[start + i]));
      if (!c) return NotFound("no case " + std::to_string(ids[start + i]));
      return ApplyPerson(*c, cmd);
    }));
    for (auto& r : group) out.push_back(std::move(r));
  }
  return out;
}

Result<ApplyResult> CaseEngine::RecordPrinted(int64_t case_id, int64_t letter_version, const std::string& batch,
                                              const std::string& actor) {
  StoreTransaction tx(cases_);
  ENROL_RETURN_IF_ERROR(tx.Begin());
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(case_id));
  if (!c) return NotFound("no case " + std::to_string(case_id));
  sc::Event ev;
  ev.name = "post.printed";
  ev.data = json::object{{"batch", batch}};
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "print-batch/" + std::to_string(case_id) + "/v" +
                                                      std::to_string(letter_version),
                                              ev, actor, /*must_apply=*/true, /*show_data=*/true));
  if (!r.duplicate) ENROL_RETURN_IF_ERROR(cases_.UpdateCase(*c));
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return r;
}

Result<std::string> CaseEngine::AcceptedEvents(int64_t case_id) {
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(case_id));
  if (!c) return NotFound("no case " + std::to_string(case_id));
  if (!c->damage.empty() || c->status != "active") return std::string("none");
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, Chart(c->workflow));
  ENROL_ASSIGN_OR_RETURN(sc::Instance inst, sc::Instance::FromJson(*chart, c->instance));
  return DescribePersonEvents(AcceptedPersonEvents(*chart, inst));
}

Result<std::vector<StuckCase>> CaseEngine::StuckCases() {
  CaseFilter f;
  f.status = "active";
  ENROL_ASSIGN_OR_RETURN(std::vector<CaseRecord> active, cases_.ListCases(f));
  std::vector<StuckCase> out;
  for (const CaseRecord& c : active) {
    StuckCase s{c.id, c.key, c.state, c.school, ""};
    if (!c.damage.empty()) {
      s.reason = "damaged: " + c.damage;
      out.push_back(std::move(s));
      continue;
    }
    ENROL_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs, cases_.JobsOf(c.id));
    const bool pending = std::any_of(jobs.begin(), jobs.end(), [](const JobRecord& j) {
      return j.status == "queued" || j.status == "incident";
    });
    if (pending) continue;
    ENROL_ASSIGN_OR_RETURN(std::vector<TimerRecord> timers, cases_.TimersOf(c.id));
    if (!timers.empty()) continue;
    auto chart = Chart(c.workflow);
    if (!chart) {
      s.reason = chart.error().message;
      out.push_back(std::move(s));
      continue;
    }
    auto inst = sc::Instance::FromJson(**chart, c.instance);
    if (!inst) {
      s.reason = "its instance does not fit its workflow: " + inst.error().message;
      out.push_back(std::move(s));
      continue;
    }
    const auto accepted = AcceptedPersonEvents(**chart, *inst);
    if (!accepted.empty()) continue;
    s.reason = "no job, no timer, and no person event is accepted in state '" + c.state + "'";
    out.push_back(std::move(s));
  }
  return out;
}

Status CaseEngine::ProtectionAsOf(int64_t latest) {
  // Protection changes only with an import: what is known holds until the next.
  if (latest != protection_import_) {
    protection_cache_.clear();
    protection_import_ = latest;
    protection_checked_ = false;
  }
  if (!protection_checked_ && latest > 0) {
    ENROL_ASSIGN_OR_RETURN(protection_checked_, cases_.ProtectionChecked(latest));
  }
  return {};
}

Result<bool> CaseEngine::ProtectedNow(const CaseStore::CasePerson& p) {
  // Once the newest import's changes have reached every open case, a case's
  // own flag is its current protection; before, only the register knows.
  if (protection_checked_) return p.protected_case;
  return CaseIsProtected(p.person_id);
}

Result<std::optional<bool>> CaseEngine::ScreenBeforeEffect(const JobRecord& j) {
  ENROL_ASSIGN_OR_RETURN(int64_t latest, persons_.LatestImport());
  ENROL_RETURN_IF_ERROR(ProtectionAsOf(latest));
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseStore::CasePerson> person, cases_.HeldJobCase(j.id, worker_id_));
  if (!person) return std::optional<bool>();
  ENROL_ASSIGN_OR_RETURN(bool prot, ProtectedNow(*person));
  return std::optional<bool>(prot);
}

Result<bool> CaseEngine::CaseIsProtected(int64_t person_id) {
  if (auto it = protection_cache_.find(person_id); it != protection_cache_.end()) return it->second;
  ENROL_ASSIGN_OR_RETURN(bool prot, ChildOrGuardianProtected(persons_, person_id));
  protection_cache_[person_id] = prot;
  return prot;
}

Result<int> CaseEngine::ApplyProtectionChanges(int64_t import_id) {
  protection_cache_.clear();
  int reached = 0;
  bool all_reached = true;
  // Listed inside the transaction that marks the import checked: no case
  // can be created in between and missed.
  StoreTransaction tx(cases_);
  ENROL_RETURN_IF_ERROR(tx.Begin());
  CaseFilter f;
  f.status = "active";
  ENROL_ASSIGN_OR_RETURN(std::vector<int64_t> ids, cases_.ListCaseIds(f));
  TestPoint("protection_changes.listed");
  for (int64_t id : ids) {
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseStore::CasePerson> person, cases_.PersonOfCase(id));
    if (!person) continue;
    ENROL_ASSIGN_OR_RETURN(bool now_protected, CaseIsProtected(person->person_id));
    if (!now_protected) continue;
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(id));
    if (c && !c->damage.empty()) all_reached = false;  // its flag cannot be set: the worker asks the register
    if (!c || c->status != "active" || !c->damage.empty()) continue;
    const json::value* was = c->instance.contains("data") ? c->instance.at("data").as_object().if_contains("protected")
                                                          : nullptr;
    const bool in_manual = (" " + c->state + " ").find(" manual_handling ") != std::string::npos;
    if (was && *was == true && in_manual) continue;  // already handled by hand as protected
    sc::Event ev;
    ev.name = "register.protection_changed";
    ev.data = json::object{{"protected", true}, {"needs_manual", true}, {"manual_reasons", "protected_address"}};
    ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "import/" + std::to_string(import_id) + "/" + c->key +
                                                        "/protection_changed",
                                                ev, "register", false));
    if (r.duplicate) continue;
    ENROL_RETURN_IF_ERROR(cases_.UpdateCase(*c));
    ++reached;
  }
  if (all_reached) ENROL_RETURN_IF_ERROR(cases_.MarkProtectionChecked(import_id, reached, NowText()));
  ENROL_RETURN_IF_ERROR(tx.Commit());
  protection_cache_.clear();
  protection_import_ = -1;  // read again, with this check
  return reached;
}

json::object CaseEngine::CaseData(const CohortReport& report, const core::CohortEntry& e,
                                  int64_t person_key) const {
  std::string reasons;
  for (core::ManualReason r : e.reasons) {
    if (!reasons.empty()) reasons += ',';
    reasons += core::ManualReasonCode(r);
  }
  json::object d;
  d["case_ref"] = std::to_string(report.school_year) + "/" + std::to_string(report.grade) + "/" + PersonRef(person_key);
  d["person"] = PersonRef(person_key);
  d["school_year"] = report.school_year;
  d["grade"] = report.grade;
  d["school"] = e.placement && e.placement->rule != core::PlacementRule::kManual ? e.placement->school_id : "";
  d["rule"] = e.placement ? std::string(core::PlacementRuleCode(e.placement->rule)) : "manual";
  d["needs_manual"] = e.outcome == core::Outcome::kManual;
  d["manual_reasons"] = reasons;
  // The one rule (protection.h): the child or any guardian.
  d["protected"] = ChildOrGuardianProtected(*e.child, [&report](std::string_view id) -> const core::Person* {
    auto it = report.guardians.find(std::string(id));
    return it == report.guardians.end() ? nullptr : &it->second.person;
  });
  return d;
}

Result<int64_t> CaseEngine::CreateCase(const CohortReport& report, const core::CohortEntry& e,
                                       int64_t person_key, int64_t seen_import, bool register_newer) {
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, Chart(current_));
  json::object data = CaseData(report, e, person_key);
  if (register_newer) {
    // Imported since the cohort was read: the register as it is now decides.
    ENROL_ASSIGN_OR_RETURN(bool now_protected, ChildOrGuardianProtected(persons_, person_key));
    data["protected"] = now_protected;
  }
  sc::Interpreter interp(chart);
  sc::Instance inst;
  sc::StepOutcome out = interp.Start(inst, data, &settings_.workflow_config);
  out.handled = true;  // creation is not an event that could fail to apply
  CaseRecord c;
  c.key = std::string(data.at("case_ref").as_string());
  c.person_id = person_key;
  c.school_year = report.school_year;
  c.grade = report.grade;
  c.school = std::string(data.at("school").as_string());
  c.workflow = current_;
  c.instance = inst.ToJson(*chart);
  c.state = Join(inst.AtomicStateIds(*chart));
  c.status = FinalStatus(inst, *chart);
  c.seen_import = seen_import;
  c.created_at = c.updated_at = NowText();
  ENROL_ASSIGN_OR_RETURN(c.id, cases_.InsertCase(c));
  ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
      AuditEntry{c.id, "intake", "event",
                 Describe("created (workflow " + current_.substr(0, 12) + ")", "", c.state, out)},
      c.created_at));
  ENROL_RETURN_IF_ERROR(CarryOut(c, out, "intake"));
  return c.id;
}

Result<IntakeSummary> CaseEngine::Intake(int year, const std::vector<int>& grades,
                                         const std::function<void(int, int)>& progress) {
  if (current_.empty()) return FailedPrecondition("no workflow is loaded");
  ENROL_ASSIGN_OR_RETURN(std::vector<ImportInfo> imports, persons_.Imports());
  if (imports.empty()) return FailedPrecondition("the register has not been imported yet: run `enrol import` first");
  const int64_t latest = imports.back().id;
  IntakeSummary summary;

  std::vector<std::unique_ptr<CohortReport>> reports;
  size_t total = 0;
  for (int grade : grades) {
    ENROL_ASSIGN_OR_RETURN(std::unique_ptr<CohortReport> r, BuildCohort(persons_, settings_, year, grade));
    if (grade == 1) {
      // Children whose start was deferred from last year join this intake.
      ENROL_ASSIGN_OR_RETURN(std::vector<int64_t> deferred, cases_.DeferredTo(year));
      for (int64_t key : deferred) {
        ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> p, persons_.FindByKey(key));
        if (p) r->children.push_back(std::move(*p));
      }
      if (!deferred.empty()) {
        auto lookup = [&](std::string_view id) -> const core::Person* {
          auto it = r->guardians.find(std::string(id));
          return it == r->guardians.end() ? nullptr : &it->second.person;
        };
        const size_t first_deferred = r->entries.size();
        for (size_t i = first_deferred; i < r->children.size(); ++i) {
          for (const auto& resp : r->children[i].person.responsibility) {
            if (resp.guardian_id.empty() || r->guardians.count(resp.guardian_id)) continue;
            ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> g, persons_.FindByNin(resp.guardian_id));
            if (g) r->guardians.emplace(resp.guardian_id, std::move(*g));
          }
        }
        // Appending moved the children, so the entries' pointers are stale:
        // evaluate them all again.
        r->entries.clear();
        for (const StoredPerson& child : r->children) {
          r->entries.push_back(core::EvaluateChild(child.person, year, 1, settings_.municipality, lookup));
        }
      }
    }
    total += r->entries.size();
    reports.push_back(std::move(r));
  }

  // The worker below checks each job's case for a protected address; the
  // cohorts have read every child and guardian of this import already.
  ENROL_RETURN_IF_ERROR(ProtectionAsOf(latest));
  for (const auto& report : reports) {
    auto guardian = [&](std::string_view id) -> const core::Person* {
      auto it = report->guardians.find(std::string(id));
      return it == report->guardians.end() ? nullptr : &it->second.person;
    };
    for (const StoredPerson& child : report->children) {
      protection_cache_[child.key] = ChildOrGuardianProtected(child.person, guardian);
    }
  }

  TestPoint("intake.cohorts_built");
  int done = 0;
  constexpr int kBatch = 500;
  for (const auto& report : reports) {
    for (size_t start = 0; start < report->entries.size(); start += kBatch) {
      StoreTransaction tx(cases_);
      ENROL_RETURN_IF_ERROR(tx.Begin());
      auto batch = [&]() -> Status {
        // Read in this transaction: a newer import since the cohorts were
        // read (another process's) decides each new case's protection.
        ENROL_ASSIGN_OR_RETURN(int64_t newest, persons_.LatestImport());
        const bool register_newer = newest != latest;
        const size_t end = std::min(report->entries.size(), start + kBatch);
        for (size_t i = start; i < end; ++i) {
          const core::CohortEntry& e = report->entries[i];
          const int64_t person_key = report->children[i].key;
          const std::string key = std::to_string(year) + "/" + std::to_string(report->grade) + "/" + PersonRef(person_key);
          ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> existing, cases_.FindCaseByKey(key));
          if (!existing) {
            if (e.outcome == core::Outcome::kLetter || e.outcome == core::Outcome::kManual) {
              ENROL_ASSIGN_OR_RETURN(int64_t id, CreateCase(*report, e, person_key, latest, register_newer));
              (void)id;
              ++summary.created;
            }
            continue;
          }
          ++summary.existing;
          if (existing->status != "active" || existing->seen_import >= latest) continue;
          // Register changes since this case last looked become events.
          ENROL_ASSIGN_OR_RETURN(auto changes, persons_.ChangesOf(person_key));
          const json::object fresh = CaseData(*report, e, person_key);
          bool closed = false;
          for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
            const auto& [import_id, kind] = *it;
            if (import_id <= existing->seen_import || kind == "new" || kind == "other_changed" ||
                kind == "status_changed") {
              continue;
            }
            sc::Event ev;
            ev.name = "register." + kind;
            json::object d;
            for (const char* k : {"school", "needs_manual", "manual_reasons", "protected"}) d[k] = fresh.at(k);
            ev.data = std::move(d);
            ENROL_ASSIGN_OR_RETURN(ApplyResult ar, Apply(*existing, "import/" + std::to_string(import_id) + "/" +
                                                                        key + "/" + kind,
                                                        ev, "register", false));
            summary.register_events += ar.duplicate ? 0 : 1;
            closed = closed || existing->status != "active";
          }
          if (!closed && e.outcome == core::Outcome::kExcluded && existing->status == "active") {
            sc::Event ev;
            ev.name = e.exclusion == core::Exclusion::kDied ? "register.died" : "register.left_municipality";
            ENROL_ASSIGN_OR_RETURN(ApplyResult ar, Apply(*existing, "import/" + std::to_string(latest) + "/" +
                                                                        key + "/excluded",
                                                        ev, "register", false));
            summary.closed_as_excluded += ar.handled ? 1 : 0;
          }
          existing->seen_import = latest;
          ENROL_RETURN_IF_ERROR(cases_.UpdateCase(*existing));
        }
        return {};
      }();
      ENROL_RETURN_IF_ERROR(batch);
      ENROL_RETURN_IF_ERROR(tx.Commit());
      done += static_cast<int>(std::min(report->entries.size(), start + kBatch) - start);
      if (progress) progress(done, static_cast<int>(total));
    }
  }
  ENROL_ASSIGN_OR_RETURN(summary.worker, RunUntilIdle());
  ENROL_ASSIGN_OR_RETURN(summary.by_school_state, cases_.CountCases(year));
  return summary;
}

Result<WorkerStats> CaseEngine::RunDue(int batch) {
  WorkerStats stats;
  ENROL_ASSIGN_OR_RETURN(int64_t latest, persons_.LatestImport());
  ENROL_RETURN_IF_ERROR(ProtectionAsOf(latest));
  auto st = FireTimers(batch, stats);
  if (st) st = RunJobs(batch, stats);
  if (!st) {
    if (!IsBusy(st.error())) return tl::unexpected(st.error());
    stats.busy = true;
  }
  return stats;
}

Status CaseEngine::FireTimers(int batch, WorkerStats& stats) {
  ENROL_ASSIGN_OR_RETURN(std::vector<TimerRecord> timers, cases_.DueTimers(NowMs(), batch));
  if (timers.empty()) return {};
  ENROL_ASSIGN_OR_RETURN(auto fired, AllOrEachAlone<int>(cases_, timers.size(), [&](size_t i, bool) -> Result<int> {
    const TimerRecord& t = timers[i];
    // Only the timer that fell due: one set again since stays.
    ENROL_ASSIGN_OR_RETURN(bool deleted, cases_.DeleteTimer(t.case_id, t.send_id, t.due_ms));
    if (!deleted) return 0;
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(t.case_id));
    if (!c) return 0;
    sc::Event ev{t.event, t.data, "", t.send_id};
    ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "timer/" + std::to_string(t.case_id) + "/" + t.send_id + "/" +
                                                    std::to_string(t.due_ms),
                                                ev, "timer", false));
    if (r.duplicate) return 0;
    ENROL_RETURN_IF_ERROR(cases_.UpdateCase(*c));
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
    StoreTransaction tx(cases_);
    ENROL_RETURN_IF_ERROR(tx.Begin());
    ENROL_ASSIGN_OR_RETURN(bool deleted, cases_.DeleteTimer(t.case_id, t.send_id, t.due_ms));
    if (!deleted) continue;  // gone meanwhile: nothing to report
    IncidentRecord inc;
    inc.case_id = t.case_id;
    inc.kind = "timer";
    inc.error = "timer " + t.send_id + " (" + t.event + "): " + fired[i].error().message;
    inc.created_at = NowText();
    ENROL_ASSIGN_OR_RETURN(int64_t id, cases_.InsertIncident(inc));
    ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
        AuditEntry{t.case_id, "timer", "effect", "incident " + std::to_string(id) + ": " + inc.error}, inc.created_at));
    ENROL_RETURN_IF_ERROR(tx.Commit());
    stats.incidents += 1;
  }
  return {};
}

Status CaseEngine::RunJobs(int batch, WorkerStats& stats) {
  const int64_t now = NowMs();
  const int64_t pass_start = now;
  // The lease covers the slowest system's timeout twice over, or a job of
  // that system would never start inside it.
  int64_t lease_ms = PolicyFor("").lease_ms;
  for (const auto& [type, connector] : connectors_) {
    const RetryPolicy p = PolicyFor(type);
    lease_ms = std::max({lease_ms, p.lease_ms, 2 * p.timeout_ms});
  }
  // The jobs this pass holds, each with its case's person as of the claim
  // (a deque: outcomes on their way point into it while more are claimed).
  struct Claimed {
    JobRecord job;
    std::optional<CaseStore::CasePerson> person;
  };
  std::deque<Claimed> claimed;
  // Claims the next due jobs inside the caller's transaction.
  auto claim = [&](int64_t at, std::vector<Claimed>& into) -> Status {
    into.clear();
    ENROL_ASSIGN_OR_RETURN(std::vector<JobRecord> more,
                           cases_.ClaimJobs(worker_id_, at, at + lease_ms, std::min(batch, 64)));
    for (JobRecord& j : more) {
      ENROL_ASSIGN_OR_RETURN(std::optional<CaseStore::CasePerson> person, cases_.PersonOfCase(j.case_id));
      into.push_back(Claimed{std::move(j), person});
    }
    return {};
  };
  auto claim_more = [&](int64_t at) -> Result<size_t> {
    std::vector<Claimed> more;
    StoreTransaction tx(cases_);
    ENROL_RETURN_IF_ERROR(tx.Begin());
    ENROL_RETURN_IF_ERROR(claim(at, more));
    ENROL_RETURN_IF_ERROR(tx.Commit());
    for (Claimed& c : more) claimed.push_back(std::move(c));
    return more.size();
  };
  ENROL_ASSIGN_OR_RETURN(size_t first, claim_more(now));
  (void)first;
  size_t k = 0;
  auto release_rest = [&]() -> Status {
    if (k >= claimed.size()) return {};
    StoreTransaction tx(cases_);
    ENROL_RETURN_IF_ERROR(tx.Begin());
    for (; k < claimed.size(); ++k) {
      ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> cur, cases_.FindJob(claimed[k].job.id));
      if (!cur || cur->lease_owner != worker_id_) continue;
      cur->lease_owner.clear();
      cur->lease_until = 0;
      ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*cur, NowText()));
    }
    return tx.Commit();
  };
  // A system in this process (the simulators) answers at once: up to
  // kInProcessWindow of its calls are made before their outcomes commit
  // together. Any other system's outcome commits before the next call.
  constexpr size_t kWindow = kInProcessWindow;
  std::vector<Arrived> arrived;
  // A system that takes many calls at once gets them on threads of their
  // own; each outcome commits alone, as it arrives.
  // Two calls to one system for one pupil never run at once: the archive
  // finds the pupil's case file by its key before it makes one, and two
  // searches at the same time would both make it. Calls to different
  // systems for one pupil do run at once.
  InFlightCalls flying;
  using PupilAt = std::pair<std::string, int64_t>;  // (system, pupil)
  std::map<size_t, PupilAt> person_of_call;
  std::multiset<PupilAt> persons_flying;
  // Records `first` and every other outcome that has arrived by now, in one
  // commit (none waits for another).
  auto record = [&](InFlightCalls::Done first) -> Status {
    std::vector<Arrived> ready;
    for (std::optional<InFlightCalls::Done> d = std::move(first); d; d = flying.Take(false)) {
      persons_flying.erase(persons_flying.find(person_of_call.at(d->index)));
      person_of_call.erase(d->index);
      ready.push_back(Arrived{&claimed[d->index].job, std::move(d->outcome), false});
    }
    return RecordOutcomes(ready, stats);
  };
  auto record_flown = [&](bool wait) -> Status {
    while (auto d = flying.Take(wait)) {
      ENROL_RETURN_IF_ERROR(record(std::move(*d)));
      if (!wait) continue;
      if (flying.Running() == 0) break;
    }
    return {};
  };
  auto fail = [&](Status st) -> Status {
    auto released = release_rest();  // the lost outcomes' jobs run again after their lease
    (void)released;
    return st;
  };
  for (;;) {
  while (k < claimed.size()) {
    if (Status st = record_flown(false); !st) return fail(st);
    while (k < claimed.size() && arrived.size() < kWindow) {
      const JobRecord& j = claimed[k].job;
      const std::optional<CaseStore::CasePerson>& person = claimed[k].person;
      const RetryPolicy p = PolicyFor(j.type);
      auto it = connectors_.find(j.type);
      const int most = it == connectors_.end() ? 1 : it->second->MaxInFlight();
      const int64_t pupil = person ? person->person_id : -j.case_id;
      if (most > 1) {
        // The in-process outcomes made so far commit first: a crash during
        // the calls that take their time does not lose them.
        if (!arrived.empty()) break;
        // A free place, and no call for this pupil running; the lease is
        // checked after the wait, when the call would start.
        while (flying.Running(j.type) >= most || persons_flying.count(PupilAt(j.type, pupil))) {
          auto d = flying.Take(true);
          if (!d) break;
          if (Status st = record(std::move(*d)); !st) return fail(st);
        }
      }
      // A call must end inside the lease, or another worker may start it too.
      if ((stop_ && *stop_) || NowMs() + p.timeout_ms > j.lease_until) break;
      ++k;
      // The family is screened now, immediately before the call begins, as
      // the register and the case stand (not as they stood at the claim).
      auto screened = ScreenBeforeEffect(j);
      if (!screened) return fail(tl::unexpected(screened.error()));
      if (!*screened) continue;  // cancelled or taken over since the claim: not called
      bool prot = **screened;
      // The effects the education office may order for a protected case:
      // filing its letter with the stricter screening, and entering the
      // pupil in the student system (neither carries an address).
      const json::value* ordered = j.params.if_contains("protected_order");
      if (prot && (j.type == "archive" || j.type == "student_system") && ordered && ordered->is_bool() &&
          ordered->get_bool()) {
        prot = false;
      }
      if (prot) {  // not called: RecordOutcome hands the case to the education office
        arrived.push_back(Arrived{&j, JobOutcome{}, true});
        continue;
      }
      if (it == connectors_.end()) {
        arrived.push_back(Arrived{&j, JobOutcome{false, nullptr, "no connector is configured for invoke type '" +
                                                                     j.type + "'", false},
                                  false});
        continue;
      }
      JobRequest req;
      req.job_id = j.id;
      req.type = j.type;
      req.idempotency_key = j.key;
      req.params = j.params;
      req.attempt = j.attempts + 1;
      req.timeout_ms = p.timeout_ms;
      if (most > 1) {
        person_of_call[k - 1] = PupilAt(j.type, pupil);
        persons_flying.insert(PupilAt(j.type, pupil));
        flying.Start(k - 1, j.type, it->second->Begin(req));
        continue;
      }
      arrived.push_back(Arrived{&j, it->second->Execute(req), false});
      KillPoint("after_call");
      if (!it->second->InProcess()) break;  // commit it before the next call
    }
    if (arrived.empty()) break;  // stopping, or the lease is too short for the next call
    // The last outcomes of those claimed: the next jobs are claimed in the
    // same commit, up to `batch` in this pass.
    std::vector<Claimed> next;
    std::function<Status()> claim_next;
    if (k == claimed.size() && flying.Running() == 0 && !(stop_ && *stop_) &&
        claimed.size() < static_cast<size_t>(batch) && NowMs() - pass_start < kPassBudgetMs) {
      claim_next = [&] { return claim(NowMs(), next); };
    }
    Status st = RecordOutcomes(arrived, stats, claim_next);
    arrived.clear();
    // Held even if a later step failed, so that `fail` releases them (one
    // rolled back is not this worker's, and release_rest leaves it).
    for (Claimed& c : next) claimed.push_back(std::move(c));
    if (!st) return fail(st);
  }
  if (k < claimed.size() || flying.Running() == 0 || (stop_ && *stop_)) break;
  // A pass ends within its budget (the calls in flight still answer), so
  // that timers and the next claims are not held back behind a busy system.
  if (NowMs() - pass_start >= kPassBudgetMs) break;
  // Calls are in flight: claim the next due jobs, so that the systems stay
  // busy while those answer (a busy database just ends this pass).
  auto more = claim_more(NowMs());
  if (!more || *more == 0) break;
  }
  if (Status st = record_flown(true); !st) return fail(st);
  return release_rest();
}

Status CaseEngine::RecordOutcomes(const std::vector<Arrived>& arrived, WorkerStats& stats,
                                  const std::function<Status()>& also) {
  for (int attempt = 0;; ++attempt) {  // the outcomes are not lost to a busy database
    std::optional<CaseBatch> batch;
    auto recorded = AllOrEachAlone<WorkerStats>(
        cases_, arrived.size(),
        [&](size_t i, bool alone) -> Result<WorkerStats> {
          if (i == 0) batch.emplace(cases_, !alone);
          WorkerStats one;
          const Arrived& a = arrived[i];
          Status st = RecordOutcome(*a.job, a.outcome, a.protected_case, *batch, one);
          if (!st) {
            batch->Forget(a.job->case_id);
            return tl::unexpected(st.error());
          }
          return one;
        },
        [&](bool) -> Status {
          if (batch) ENROL_RETURN_IF_ERROR(batch->Flush());
          return also ? also() : Status{};
        });
    if (!recorded && IsBusy(recorded.error()) && attempt < 2) continue;
    if (!recorded) return tl::unexpected(recorded.error());
    for (size_t i = 0; i < arrived.size(); ++i) {
      const Result<WorkerStats>& r = (*recorded)[i];
      if (r) {
        stats.Add(*r);
      } else {
        const JobRecord& job = *arrived[i].job;
        ENROL_RETURN_IF_ERROR(RecordFailure(job.case_id, &job, job.invoke_id, r.error(), stats));
      }
    }
    return {};
  }
}

Status CaseEngine::RecordOutcome(const JobRecord& job, const JobOutcome& o, bool protected_case, CaseBatch& cases,
                                 WorkerStats& stats) {
  const std::string at = NowText();
  const int64_t now = NowMs();
  std::optional<JobRecord> cur = job;
  // The job's row is written first, and only while this worker holds it:
  // cancelled meanwhile, or taken by another worker after the lease lapsed,
  // the outcome is dropped with nothing written (and its case not read).
  auto write_held = [&]() -> Result<CaseRecord*> {
    ENROL_ASSIGN_OR_RETURN(bool held, cases_.UpdateHeldJob(*cur, worker_id_, at));
    if (!held) return static_cast<CaseRecord*>(nullptr);
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, cases.Get(cur->case_id));
    if (!c) return Internal("job " + std::to_string(cur->id) + " has no case");
    return c;
  };
  cur->lease_owner.clear();
  cur->lease_until = 0;
  if (protected_case) {
    // No automatic effect for a protected address: the education office
    // takes the case over.
    cur->status = "cancelled";
    cur->last_error = "not run: the child or a guardian has a protected address";
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
    ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
        AuditEntry{c->id, "engine", "effect", cur->invoke_id + " not run: the case has a protected address"}, at));
    sc::Event ev;
    ev.name = "register.protection_changed";
    ev.data = json::object{{"protected", true}, {"needs_manual", true}, {"manual_reasons", "protected_address"}};
    ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "job/" + std::to_string(cur->id) + "/protected", ev, "engine", false));
    if (!r.duplicate) ENROL_RETURN_IF_ERROR(cases.Changed(*c));
    stats.protected_stops += 1;
    return {};
  }
  if (!o.ok && o.pending) {
    cur->next_ms = now + std::clamp<int64_t>(o.retry_after_ms, 100, 86400000);
    cur->last_error = o.error;
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
    stats.jobs_pending += 1;
    return {};
  }
  cur->attempts += 1;
  if (o.ok) {
    cur->status = "done";
    cur->result = o.receipt;
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
    sc::Event ev{"done.invoke." + cur->invoke_id, o.receipt, cur->invoke_id, ""};
    ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "job/" + std::to_string(cur->id) + "/done", ev,
                                                "connector:" + cur->type, false));
    if (!r.duplicate) ENROL_RETURN_IF_ERROR(cases.Changed(*c));
    stats.jobs_done += 1;
    stats.events += r.duplicate ? 0 : 1;
    return {};
  }
  cur->last_error = o.error;
  const RetryPolicy p = PolicyFor(cur->type);
  if (o.retryable && cur->attempts < p.attempts) {
    // Not before the system asked (Retry-After), nor later than a day.
    cur->next_ms = now + std::max(Backoff(p, cur->id, cur->attempts), std::min<int64_t>(o.retry_after_ms, 86400000));
    ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
    ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
        AuditEntry{c->id, "connector:" + cur->type, "effect",
                   "attempt " + std::to_string(cur->attempts) + " of " + cur->invoke_id + " failed: " + o.error +
                       "; retry in " + std::to_string((cur->next_ms - now) / 1000) + "s"},
        at));
    stats.jobs_retried += 1;
    return {};
  }
  cur->status = "incident";
  ENROL_ASSIGN_OR_RETURN(CaseRecord* c, write_held());
    if (!c) return {};
  IncidentRecord inc;
  inc.job_id = cur->id;
  inc.case_id = c->id;
  inc.error = o.error;
  inc.created_at = at;
  ENROL_ASSIGN_OR_RETURN(int64_t id, cases_.InsertIncident(inc));
  ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
      AuditEntry{c->id, "connector:" + cur->type, "effect",
                 "incident " + std::to_string(id) + ": " + cur->invoke_id + " failed after " +
                     std::to_string(cur->attempts) + " attempt(s): " + o.error},
      at));
  stats.incidents += 1;
  return {};
}

Status CaseEngine::RecordFailure(int64_t case_id, const JobRecord* job, const std::string& what, const Error& error,
                                 WorkerStats& stats) {
  StoreTransaction tx(cases_);
  ENROL_RETURN_IF_ERROR(tx.Begin());
  const std::string at = NowText();
  IncidentRecord inc;
  inc.case_id = case_id;
  inc.kind = job ? "job" : "case";
  inc.error = "internal error in " + what + ": " + error.message;
  inc.created_at = at;
  if (job) {
    ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> cur, cases_.FindJob(job->id));
    if (cur) {
      if (cur->status != "queued") return tx.Commit();
      cur->status = "incident";
      cur->lease_owner.clear();
      cur->lease_until = 0;
      cur->last_error = inc.error;
      ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*cur, at));
      inc.job_id = cur->id;
    }
  }
  ENROL_ASSIGN_OR_RETURN(int64_t id, cases_.InsertIncident(inc));
  ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
      AuditEntry{case_id, "engine", "effect", "incident " + std::to_string(id) + ": " + inc.error}, at));
  stats.incidents += 1;
  return tx.Commit();
}

Result<WorkerStats> CaseEngine::RunUntilIdle() {
  WorkerStats total;
  for (int busy_rounds = 0;;) {
    if (stop_ && *stop_) break;
    ENROL_ASSIGN_OR_RETURN(WorkerStats s, RunDue());
    if (s.busy) {
      // Another process holds the database: wait it out, but not forever.
      if (++busy_rounds > 60) return Aborted("the database stayed locked by another process");
      continue;
    }
    busy_rounds = 0;
    if (s.Work() == 0) break;
    total.Add(s);
  }
  return total;
}

Result<std::optional<int64_t>> CaseEngine::NextDueIn() {
  ENROL_ASSIGN_OR_RETURN(std::optional<int64_t> t, cases_.NextTimerDue());
  ENROL_ASSIGN_OR_RETURN(std::optional<int64_t> j, cases_.NextJobDue());
  std::optional<int64_t> next;
  if (t) next = *t;
  if (j && (!next || *j < *next)) next = *j;
  if (!next) return next;
  return std::optional<int64_t>(std::max<int64_t>(0, *next - NowMs()));
}

namespace {

// Acts on each listed incident in a transaction of its own, having read it
// again inside that transaction: one resolved meanwhile (by another person,
// or by an event that cancelled its work) is left alone, and one that the
// action does not fit is reported without stopping the others.
template <typename Fn>
Result<IncidentActions> EachIncident(CaseStore& cases, const IncidentFilter& f, Fn fn) {
  ENROL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> list, cases.ListIncidents(f));
  TestPoint("incidents.listed");
  IncidentActions out;
  for (const IncidentRecord& listed : list) {
    StoreTransaction tx(cases);
    ENROL_RETURN_IF_ERROR(tx.Begin());
    IncidentFilter one;
    one.ids = {listed.id};
    one.open_only = true;
    ENROL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> now, cases.ListIncidents(one));
    if (now.empty()) {
      out.refused.push_back("incident " + std::to_string(listed.id) + " is no longer open; nothing was done");
      continue;
    }
    Status st = fn(now.front());
    if (!st) {
      const ErrorCode code = st.error().code;
      if (code != ErrorCode::kFailedPrecondition && code != ErrorCode::kInvalidArgument) {
        return tl::unexpected(st.error());
      }
      out.refused.push_back(st.error().message);
      continue;  // rolled back: this one alone
    }
    ENROL_RETURN_IF_ERROR(tx.Commit());
    ++out.done;
  }
  return out;
}

// The incident's job, which must still wait on the incident.
Result<JobRecord> IncidentJob(CaseStore& cases, const IncidentRecord& i) {
  ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> j, cases.FindJob(i.job_id));
  if (!j) return Internal("incident " + std::to_string(i.id) + " has no job");
  if (j->status != "incident") {
    return FailedPrecondition("incident " + std::to_string(i.id) + ": its work is " + j->status +
                              " now; nothing was done");
  }
  return *j;
}

}  // namespace

Result<IncidentActions> CaseEngine::RetryIncidents(const IncidentFilter& f, const std::string& actor) {
  return EachIncident(cases_, f, [&](const IncidentRecord& i) -> Status {
    const std::string at = NowText();
    if (!i.job_id) {
      return FailedPrecondition("incident " + std::to_string(i.id) + " is the case's own (" + i.kind +
                                "), not a job's: there is nothing to run again; repair the case, then skip or "
                                "cancel the incident");
    }
    ENROL_ASSIGN_OR_RETURN(JobRecord j, IncidentJob(cases_, i));
    j.status = "queued";
    j.attempts = 0;
    j.next_ms = NowMs();
    j.lease_owner.clear();
    j.lease_until = 0;
    ENROL_RETURN_IF_ERROR(cases_.UpdateJob(j, at));
    ENROL_RETURN_IF_ERROR(cases_.ResolveIncident(i.id, "retried", actor, at));
    return cases_.AppendAudit(AuditEntry{i.case_id, actor, "action", "incident " + std::to_string(i.id) + " retried"}, at);
  });
}

Status CaseEngine::EndIncident(const IncidentRecord& i, const std::string& actor, const std::string& reason,
                               bool skip) {
  const std::string at = NowText();
  const std::string how = skip ? "skipped" : "cancelled";
  std::optional<JobRecord> job;
  if (i.job_id) {
    ENROL_ASSIGN_OR_RETURN(job, IncidentJob(cases_, i));
  }
  ENROL_RETURN_IF_ERROR(cases_.ResolveIncident(i.id, how, actor + ": " + reason, at));
  ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
      AuditEntry{i.case_id, actor, "action", "incident " + std::to_string(i.id) + " " + how + ": " + reason}, at));
  if (!job) return {};  // the case's own incident: closing it is all
  JobRecord& j = *job;
  j.status = skip ? "done" : "cancelled";
  j.lease_owner.clear();
  j.lease_until = 0;
  if (skip) j.result = json::object{{"skipped", true}, {"reason", reason}};
  ENROL_RETURN_IF_ERROR(cases_.UpdateJob(j, at));
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(i.case_id));
  if (!c) return {};
  // Skipped work counts as done; cancelled work fails the invoke. What each
  // means for the case is the workflow's to say (workflows/enrolment.scxml).
  const sc::Event ev = skip ? sc::Event{"done.invoke." + j.invoke_id, j.result, j.invoke_id, ""}
                            : sc::Event{"error.communication", json::object{{"reason", reason}, {"error", i.error},
                                                                            {"invoke", j.invoke_id}},
                                        j.invoke_id, ""};
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "incident/" + std::to_string(i.id) + "/" + how, ev, actor, false));
  if (!r.duplicate) ENROL_RETURN_IF_ERROR(cases_.UpdateCase(*c));
  return {};
}

Result<IncidentActions> CaseEngine::SkipIncidents(const IncidentFilter& f, const std::string& actor,
                                                  const std::string& reason) {
  return EachIncident(cases_, f, [&](const IncidentRecord& i) { return EndIncident(i, actor, reason, true); });
}

Result<IncidentActions> CaseEngine::CancelIncidents(const IncidentFilter& f, const std::string& actor,
                                                    const std::string& reason) {
  return EachIncident(cases_, f, [&](const IncidentRecord& i) { return EndIncident(i, actor, reason, false); });
}

Result<int> CaseEngine::MigrateCases(const std::string& actor) {
  if (current_.empty()) return FailedPrecondition("no workflow is loaded");
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> target, Chart(current_));
  CaseFilter f;
  f.status = "active";
  ENROL_ASSIGN_OR_RETURN(std::vector<CaseRecord> active, cases_.ListCases(f));  // instances needed
  std::vector<std::string> refused;
  std::vector<CaseRecord*> movable;
  for (CaseRecord& c : active) {
    if (c.workflow == current_) continue;
    auto inst = sc::Instance::FromJson(*target, c.instance);
    if (!inst) {
      refused.push_back(c.key + " (" + inst.error().message + ")");
    } else {
      movable.push_back(&c);
    }
  }
  if (!refused.empty()) {
    std::string msg = std::to_string(refused.size()) + " case(s) cannot move to workflow " + current_.substr(0, 12) +
                      "; nothing was migrated:";
    for (size_t i = 0; i < refused.size() && i < 50; ++i) msg += "\n  " + refused[i];
    if (refused.size() > 50) msg += "\n  ... and " + std::to_string(refused.size() - 50) + " more";
    return FailedPrecondition(msg);
  }
  StoreTransaction tx(cases_);
  ENROL_RETURN_IF_ERROR(tx.Begin());
  const std::string at = NowText();
  for (CaseRecord* c : movable) {
    const std::string from = c->workflow;
    c->workflow = current_;
    c->updated_at = at;
    ENROL_RETURN_IF_ERROR(cases_.UpdateCase(*c));
    ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
        AuditEntry{c->id, actor, "migrate", "workflow " + from.substr(0, 12) + " -> " + current_.substr(0, 12)}, at));
  }
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return static_cast<int>(movable.size());
}

}  // namespace enrol::app
