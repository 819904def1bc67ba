#include "engine/app/case_engine.h"

#include <algorithm>
#include <cmath>

#include <boost/json.hpp>

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

}  // namespace

CaseEngine::CaseEngine(CaseStore& cases, PersonStore& persons, Clock& clock, const Settings& settings,
                       std::map<std::string, Connector*> connectors)
    : cases_(cases), persons_(persons), clock_(clock), settings_(settings),
      connectors_(std::move(connectors)) {}

int64_t CaseEngine::NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_.Now().time_since_epoch()).count();
}
std::string CaseEngine::NowText() { return FormatUtc(clock_.Now()); }

std::vector<std::string> CaseEngine::InvokeTypes() const {
  std::vector<std::string> out;
  for (const auto& [k, v] : connectors_) out.push_back(k);
  return out;
}

Status CaseEngine::LoadWorkflow(const std::string& source) {
  std::vector<sc::Diagnostic> problems;
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart,
                         sc::ReadScxml(source, &problems, InvokeTypes()));
  ENROL_RETURN_IF_ERROR(cases_.Begin());
  auto st = cases_.SaveWorkflow(chart->hash, chart->name, source, NowText());
  if (!st) {
    cases_.Rollback();
    return st;
  }
  ENROL_RETURN_IF_ERROR(cases_.Commit());
  charts_[chart->hash] = chart;
  current_ = chart->hash;
  return {};
}

Result<std::shared_ptr<const sc::Chart>> CaseEngine::Chart(const std::string& hash) {
  if (auto it = charts_.find(hash); it != charts_.end()) return it->second;
  ENROL_ASSIGN_OR_RETURN(std::optional<std::string> source, cases_.WorkflowSource(hash));
  if (!source) return Internal("workflow version " + hash + " is not in the database");
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, sc::ReadScxml(*source, nullptr));
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
        j.key = c.key + "/" + e.id;
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
                                      const std::string& actor, bool must_apply) {
  ApplyResult r;
  const std::string at = NowText();
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
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, Chart(c.workflow));
  ENROL_ASSIGN_OR_RETURN(sc::Instance inst, sc::Instance::FromJson(*chart, std::move(c.instance)));
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
  ENROL_RETURN_IF_ERROR(cases_.AppendAudit(AuditEntry{c.id, actor, "event", Describe(event.name, r.from, r.to, out)}, at));
  ENROL_RETURN_IF_ERROR(CarryOut(c, out, actor));
  if (deferred) ENROL_RETURN_IF_ERROR(cases_.AddDeferral(c.person_id, c.school_year + 1, c.id));
  return r;
}

Result<ApplyResult> CaseEngine::ApplyPersonEvent(int64_t case_id, const std::string& event_id,
                                                 const sc::Event& event, const std::string& actor) {
  ENROL_RETURN_IF_ERROR(cases_.Begin());
  auto fail = [&](Error e) {
    cases_.Rollback();
    return tl::unexpected(std::move(e));
  };
  auto c = cases_.FindCase(case_id);
  if (!c) return fail(c.error());
  if (!*c) return fail(Error{ErrorCode::kNotFound, "no case " + std::to_string(case_id)});
  auto r = Apply(**c, event_id, event, actor, true);
  if (!r) return fail(r.error());
  if (!r->duplicate) {
    auto up = cases_.UpdateCase(**c);
    if (!up) return fail(up.error());
  }
  auto st = cases_.Commit();
  if (!st) return tl::unexpected(st.error());
  return r;
}

Result<std::vector<Result<ApplyResult>>> CaseEngine::ApplyPersonEventToMany(
    const std::vector<int64_t>& ids, const std::string& prefix, const sc::Event& event,
    const std::string& actor) {
  std::vector<Result<ApplyResult>> out;
  out.reserve(ids.size());
  constexpr size_t kGroup = 256;
  for (size_t start = 0; start < ids.size(); start += kGroup) {
    ENROL_RETURN_IF_ERROR(cases_.Begin());
    const size_t end = std::min(ids.size(), start + kGroup);
    for (size_t i = start; i < end; ++i) {
      auto st = cases_.Savepoint();
      if (!st) {
        cases_.Rollback();
        return tl::unexpected(st.error());
      }
      Result<ApplyResult> r = [&]() -> Result<ApplyResult> {
        ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(ids[i]));
        if (!c) return NotFound("no case " + std::to_string(ids[i]));
        ENROL_ASSIGN_OR_RETURN(ApplyResult ar, Apply(*c, prefix + std::to_string(ids[i]), event, actor, true));
        if (!ar.duplicate) ENROL_RETURN_IF_ERROR(cases_.UpdateCase(*c));
        return ar;
      }();
      st = r ? cases_.Release() : cases_.RollbackToSavepoint();
      if (!st) {
        cases_.Rollback();
        return tl::unexpected(st.error());
      }
      out.push_back(std::move(r));
    }
    ENROL_RETURN_IF_ERROR(cases_.Commit());
  }
  return out;
}

json::object CaseEngine::CaseData(const CohortReport& report, const core::CohortEntry& e,
                                  int64_t person_key) const {
  std::string reasons;
  for (core::ManualReason r : e.reasons) reasons += (reasons.empty() ? "" : ",") + std::string(core::ManualReasonCode(r));
  json::object d;
  d["case_ref"] = std::to_string(report.school_year) + "/" + std::to_string(report.grade) + "/" + PersonRef(person_key);
  d["person"] = PersonRef(person_key);
  d["school_year"] = report.school_year;
  d["grade"] = report.grade;
  d["school"] = e.placement && e.placement->rule != core::PlacementRule::kManual ? e.placement->school_id : "";
  d["rule"] = e.placement ? std::string(core::PlacementRuleCode(e.placement->rule)) : "manual";
  d["needs_manual"] = e.outcome == core::Outcome::kManual;
  d["manual_reasons"] = reasons;
  d["protected"] = core::IsProtected(e.child->EffectiveProtection());
  return d;
}

Result<int64_t> CaseEngine::CreateCase(const CohortReport& report, const core::CohortEntry& e,
                                       int64_t person_key, int64_t seen_import) {
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, Chart(current_));
  const json::object data = CaseData(report, e, person_key);
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

  int done = 0;
  constexpr int kBatch = 500;
  for (const auto& report : reports) {
    for (size_t start = 0; start < report->entries.size(); start += kBatch) {
      ENROL_RETURN_IF_ERROR(cases_.Begin());
      auto batch = [&]() -> Status {
        const size_t end = std::min(report->entries.size(), start + kBatch);
        for (size_t i = start; i < end; ++i) {
          const core::CohortEntry& e = report->entries[i];
          const int64_t person_key = report->children[i].key;
          const std::string key = std::to_string(year) + "/" + std::to_string(report->grade) + "/" + PersonRef(person_key);
          ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> existing, cases_.FindCaseByKey(key));
          if (!existing) {
            if (e.outcome == core::Outcome::kLetter || e.outcome == core::Outcome::kManual) {
              ENROL_ASSIGN_OR_RETURN(int64_t id, CreateCase(*report, e, person_key, latest));
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
      if (!batch) {
        cases_.Rollback();
        return tl::unexpected(batch.error());
      }
      ENROL_RETURN_IF_ERROR(cases_.Commit());
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
  const int64_t now = NowMs();
  ENROL_ASSIGN_OR_RETURN(std::vector<TimerRecord> timers, cases_.DueTimers(now, batch));
  ENROL_ASSIGN_OR_RETURN(std::vector<JobRecord> jobs, cases_.DueJobs(now, batch));
  if (timers.empty() && jobs.empty()) return stats;

  // Connector work happens outside any transaction.
  std::vector<JobOutcome> outcomes;
  outcomes.reserve(jobs.size());
  for (const JobRecord& j : jobs) {
    auto it = connectors_.find(j.type);
    if (it == connectors_.end()) {
      outcomes.push_back(JobOutcome{false, nullptr, "no connector is configured for invoke type '" + j.type + "'", false});
      continue;
    }
    JobRequest req;
    req.job_id = j.id;
    req.type = j.type;
    req.idempotency_key = j.key;
    req.params = j.params;
    req.attempt = j.attempts + 1;
    req.timeout_ms = PolicyFor(j.type).timeout_ms;
    outcomes.push_back(it->second->Execute(req));
  }

  ENROL_RETURN_IF_ERROR(cases_.Begin());
  // The batch's cases are read once and written once, before the commit: the
  // three dispatch jobs of a case usually finish in the same batch.
  std::map<int64_t, CaseRecord> batch_cases;
  auto load = [&](int64_t id) -> Result<CaseRecord*> {
    if (auto it = batch_cases.find(id); it != batch_cases.end()) return &it->second;
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(id));
    if (!c) return static_cast<CaseRecord*>(nullptr);
    return &batch_cases.emplace(id, std::move(*c)).first->second;
  };
  auto body = [&]() -> Status {
    const std::string at = NowText();
    for (const TimerRecord& t : timers) {
      ENROL_ASSIGN_OR_RETURN(bool deleted, cases_.DeleteTimer(t.case_id, t.send_id));
      if (!deleted) continue;
      ENROL_ASSIGN_OR_RETURN(CaseRecord* c, load(t.case_id));
      if (!c) continue;
      sc::Event ev{t.event, t.data, "", t.send_id};
      ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "timer/" + std::to_string(t.case_id) + "/" + t.send_id + "/" +
                                                      std::to_string(t.due_ms),
                                                  ev, "timer", false));
      stats.timers_fired += 1;
      stats.events += r.duplicate ? 0 : 1;
    }
    for (size_t k = 0; k < jobs.size(); ++k) {
      ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> cur, cases_.FindJob(jobs[k].id));
      if (!cur || cur->status != "queued") continue;  // cancelled meanwhile
      const JobOutcome& o = outcomes[k];
      ENROL_ASSIGN_OR_RETURN(CaseRecord* c, load(cur->case_id));
      if (!c) continue;
      if (o.ok) {
        cur->status = "done";
        cur->attempts += 1;
        cur->result = o.receipt;
        ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*cur, at));
        sc::Event ev{"done.invoke." + cur->invoke_id, o.receipt, cur->invoke_id, ""};
        ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "job/" + std::to_string(cur->id) + "/done", ev,
                                                    "connector:" + cur->type, false));
        stats.jobs_done += 1;
        stats.events += r.duplicate ? 0 : 1;
        continue;
      }
      cur->attempts += 1;
      cur->last_error = o.error;
      const RetryPolicy p = PolicyFor(cur->type);
      if (o.retryable && cur->attempts < p.attempts) {
        cur->next_ms = now + Backoff(p, cur->id, cur->attempts);
        ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*cur, at));
        ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
            AuditEntry{c->id, "connector:" + cur->type, "effect",
                       "attempt " + std::to_string(cur->attempts) + " of " + cur->invoke_id + " failed: " + o.error +
                           "; retry in " + std::to_string((cur->next_ms - now) / 1000) + "s"},
            at));
        stats.jobs_retried += 1;
      } else {
        cur->status = "incident";
        ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*cur, at));
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
      }
    }
    for (auto& [id, c] : batch_cases) ENROL_RETURN_IF_ERROR(cases_.UpdateCase(c));
    return {};
  }();
  if (!body) {
    cases_.Rollback();
    return tl::unexpected(body.error());
  }
  ENROL_RETURN_IF_ERROR(cases_.Commit());
  return stats;
}

Result<WorkerStats> CaseEngine::RunUntilIdle() {
  WorkerStats total;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(WorkerStats s, RunDue());
    if (s.timers_fired + s.jobs_done + s.jobs_retried + s.incidents == 0) break;
    total.timers_fired += s.timers_fired;
    total.jobs_done += s.jobs_done;
    total.jobs_retried += s.jobs_retried;
    total.incidents += s.incidents;
    total.events += s.events;
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

template <typename Fn>
Result<int> EachIncident(CaseStore& cases, const IncidentFilter& f, Fn fn) {
  ENROL_ASSIGN_OR_RETURN(std::vector<IncidentRecord> list, cases.ListIncidents(f));
  int n = 0;
  for (const IncidentRecord& i : list) {
    ENROL_RETURN_IF_ERROR(cases.Begin());
    auto st = fn(i);
    if (!st) {
      cases.Rollback();
      return tl::unexpected(st.error());
    }
    ENROL_RETURN_IF_ERROR(cases.Commit());
    ++n;
  }
  return n;
}

}  // namespace

Result<int> CaseEngine::RetryIncidents(const IncidentFilter& f, const std::string& actor) {
  return EachIncident(cases_, f, [&](const IncidentRecord& i) -> Status {
    const std::string at = NowText();
    ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> j, cases_.FindJob(i.job_id));
    if (!j) return Internal("incident " + std::to_string(i.id) + " has no job");
    j->status = "queued";
    j->attempts = 0;
    j->next_ms = NowMs();
    ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*j, at));
    ENROL_RETURN_IF_ERROR(cases_.ResolveIncident(i.id, "retried", actor, at));
    return cases_.AppendAudit(AuditEntry{i.case_id, actor, "action", "incident " + std::to_string(i.id) + " retried"}, at);
  });
}

Status CaseEngine::EndIncident(const IncidentRecord& i, const std::string& actor, const std::string& reason,
                               bool skip) {
  const std::string at = NowText();
  const std::string how = skip ? "skipped" : "cancelled";
  ENROL_ASSIGN_OR_RETURN(std::optional<JobRecord> j, cases_.FindJob(i.job_id));
  if (!j) return Internal("incident " + std::to_string(i.id) + " has no job");
  j->status = skip ? "done" : "cancelled";
  if (skip) j->result = json::object{{"skipped", true}, {"reason", reason}};
  ENROL_RETURN_IF_ERROR(cases_.UpdateJob(*j, at));
  ENROL_RETURN_IF_ERROR(cases_.ResolveIncident(i.id, how, actor + ": " + reason, at));
  ENROL_RETURN_IF_ERROR(cases_.AppendAudit(
      AuditEntry{i.case_id, actor, "action", "incident " + std::to_string(i.id) + " " + how + ": " + reason}, at));
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(i.case_id));
  if (!c) return {};
  // Skipped work counts as done; cancelled work fails the invoke.
  const sc::Event ev = skip ? sc::Event{"done.invoke." + j->invoke_id, j->result, j->invoke_id, ""}
                            : sc::Event{"error.communication", json::object{{"reason", reason}, {"error", i.error}},
                                        j->invoke_id, ""};
  ENROL_ASSIGN_OR_RETURN(ApplyResult r, Apply(*c, "incident/" + std::to_string(i.id) + "/" + how, ev, actor, false));
  if (!r.duplicate) ENROL_RETURN_IF_ERROR(cases_.UpdateCase(*c));
  return {};
}

Result<int> CaseEngine::SkipIncidents(const IncidentFilter& f, const std::string& actor, const std::string& reason) {
  return EachIncident(cases_, f, [&](const IncidentRecord& i) { return EndIncident(i, actor, reason, true); });
}

Result<int> CaseEngine::CancelIncidents(const IncidentFilter& f, const std::string& actor, const std::string& reason) {
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
  ENROL_RETURN_IF_ERROR(cases_.Begin());
  const std::string at = NowText();
  for (CaseRecord* c : movable) {
    const std::string from = c->workflow;
    c->workflow = current_;
    c->updated_at = at;
    auto st = cases_.UpdateCase(*c);
    if (st) {
      st = cases_.AppendAudit(AuditEntry{c->id, actor, "migrate",
                                         "workflow " + from.substr(0, 12) + " -> " + current_.substr(0, 12)},
                              at);
    }
    if (!st) {
      cases_.Rollback();
      return tl::unexpected(st.error());
    }
  }
  ENROL_RETURN_IF_ERROR(cases_.Commit());
  return static_cast<int>(movable.size());
}

}  // namespace enrol::app
