#include "engine/app/case_engine.h"

#include <algorithm>
#include <cmath>
#include <map>

#include <boost/json.hpp>

#include "engine/app/case_engine_parts.h"
#include "engine/app/person_events.h"
#include "engine/app/unit_of_work.h"

namespace enrol::app {
namespace json = boost::json;

namespace detail {

std::string JoinStates(const std::vector<std::string>& v) {
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

// One audit row per applied event: the event, the transitions and the effects.
std::string DescribeStep(const std::string& event, const std::string& from, const std::string& to,
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

void TakeRoles(CaseRecord& c, const json::object& data, const sc::WorkflowRoles& roles) {
  if (const auto* school = data.if_contains(roles.school); school && school->is_string()) {
    c.school = std::string(school->get_string());
  }
  const auto* flag = data.if_contains(roles.protected_flag);
  c.protected_case = flag && flag->is_bool() && flag->get_bool();
}

}  // namespace detail

namespace {

// Splitmix-style hash for deterministic jitter.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

}  // namespace

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
  if (chart->roles.line == 0) {
    return InvalidArgument("the workflow '" + chart->name + "' declares no <enrol:roles>: the engine needs to know its "
                           "protected flag, school and deferral fields, print-wait and manual states and "
                           "protection-stop event (see schemas/enrol-workflow.xsd)");
  }
  // Stored once per version; a version stored before needs no write (so a
  // read-only database can still be read through the engine).
  ENROL_ASSIGN_OR_RETURN(std::optional<std::string> stored, cases_.WorkflowSource(chart->hash));
  if (!stored) {
    ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
    ENROL_RETURN_IF_ERROR(tx.cases().SaveWorkflow(chart->hash, chart->name, source, NowText()));
    ENROL_RETURN_IF_ERROR(tx.Commit());
  }
  charts_[chart->hash] = chart;
  current_ = chart->hash;
  return {};
}

Status CaseEngine::RecordAudit(int64_t case_id, const std::string& actor, const std::string& kind,
                               const std::string& what) {
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(AuditEntry{case_id, actor, kind, what}, NowText()));
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

Status CaseEngine::CarryOut(UnitOfWork& tx, CaseRecord& c, const sc::StepOutcome& out, const std::string& actor) {
  (void)actor;
  const int64_t now = NowMs();
  const std::string at = NowText();
  for (const sc::Effect& e : out.effects) {
    switch (e.kind) {
      case sc::Effect::kSchedule:
        ENROL_RETURN_IF_ERROR(tx.timers().PutTimer(TimerRecord{c.id, e.id, e.name, e.data, now + e.delay_ms}));
        break;
      case sc::Effect::kCancelSchedule: {
        ENROL_ASSIGN_OR_RETURN(bool deleted, tx.timers().DeleteTimer(c.id, e.id));
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
        ENROL_ASSIGN_OR_RETURN(int64_t id, tx.jobs().InsertJob(j, at));
        (void)id;
        break;
      }
      case sc::Effect::kCancelInvoke: {
        ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> j, tx.jobs().FindJobByInvoke(c.id, e.id));
        if (j && (j->status == "queued" || j->status == "incident")) {
          const bool had_incident = j->status == "incident";
          j->status = "cancelled";
          ENROL_RETURN_IF_ERROR(tx.jobs().UpdateJob(*j, at));
          if (had_incident) {
            IncidentFilter f;
            ENROL_ASSIGN_OR_RETURN(auto incidents, tx.incidents().ListIncidents(f));
            for (const auto& i : incidents) {
              if (i.job_id == j->id) {
                ENROL_RETURN_IF_ERROR(tx.incidents().ResolveIncident(i.id, "cancelled", "its state was left", at));
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

Result<ApplyResult> CaseEngine::Apply(UnitOfWork& tx, CaseRecord& c, const std::string& event_id, const sc::Event& event,
                                      const std::string& actor, bool must_apply, bool show_data) {
  ApplyResult r;
  const std::string at = NowText();
  if (!c.damage.empty()) return Internal("case " + c.key + " is damaged: " + c.damage);
  if (c.status != "active") {
    if (must_apply) {
      return FailedPrecondition("case " + c.key + " is " + c.status + "; it takes no more events");
    }
    ENROL_ASSIGN_OR_RETURN(bool fresh, tx.cases().MarkEventApplied(event_id, c.id, event.name, at));
    r.duplicate = !fresh;
    return r;
  }
  ENROL_ASSIGN_OR_RETURN(bool fresh, tx.cases().MarkEventApplied(event_id, c.id, event.name, at));
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
  c.state = detail::JoinStates(inst.AtomicStateIds(*chart));
  c.status = detail::FinalStatus(inst, *chart);
  detail::TakeRoles(c, inst.data, chart->roles);
  const sc::WorkflowRoles& roles = chart->roles;
  const bool deferred = !inst.running && inst.data.contains(roles.deferral_field) &&
                        inst.data.at(roles.deferral_field) == json::value(roles.deferral_value);
  c.instance = std::move(inst).TakeJson(*chart);
  c.updated_at = at;
  r.to = c.state;
  const std::string shown =
      show_data ? event.name + " " + (event.data.is_null() ? std::string("{}") : json::serialize(event.data)) : event.name;
  ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(AuditEntry{c.id, actor, "event", detail::DescribeStep(shown, r.from, r.to, out)}, at));
  ENROL_RETURN_IF_ERROR(CarryOut(tx, c, out, actor));
  if (deferred) ENROL_RETURN_IF_ERROR(tx.cases().AddDeferral(c.person_id, c.school_year + 1, c.id));
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
    // Held only by a lease: every pending job is claimed by a worker, and
    // the claim still runs (a worker stopped without giving it back, or
    // one at work now).
    const int64_t now = NowMs();
    const JobRecord* held = nullptr;
    bool only_leased = pending;
    for (const JobRecord& j : jobs) {
      if (j.status == "incident") only_leased = false;
      if (j.status != "queued") continue;
      if (j.lease_owner.empty() || j.lease_until <= now) {
        only_leased = false;
      } else {
        held = &j;
      }
    }
    if (only_leased && held) {
      s.reason = "held only by a lease: job " + std::to_string(held->id) + " (" + held->type + ") is claimed by " +
                 held->lease_owner + " for " + std::to_string((held->lease_until - now + 999) / 1000) +
                 " s more; a worker that stopped without giving it back leaves it until then";
      out.push_back(std::move(s));
      continue;
    }
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
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  const std::string at = NowText();
  for (CaseRecord* c : movable) {
    const std::string from = c->workflow;
    c->workflow = current_;
    c->updated_at = at;
    ENROL_RETURN_IF_ERROR(tx.cases().UpdateCase(*c));
    ENROL_RETURN_IF_ERROR(tx.audit().AppendAudit(
        AuditEntry{c->id, actor, "migrate", "workflow " + from.substr(0, 12) + " -> " + current_.substr(0, 12)}, at));
  }
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return static_cast<int>(movable.size());
}

}  // namespace enrol::app
