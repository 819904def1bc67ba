// intake, run, case list|show|event, incidents, audit verify, workflow migrate.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>

#include "connectors/files/durable_file.h"

#include "engine/app/case_engine.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"

namespace enrol::cli {
namespace json = boost::json;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) { g_stop = true; }

json::object CaseJson(const app::CaseRecord& c) {
  return json::object{{"id", c.id},         {"key", c.key},         {"school_year", c.school_year},
                      {"grade", c.grade},   {"school", c.school},   {"state", c.state},
                      {"status", c.status}, {"workflow", c.workflow.substr(0, 12)},
                      {"updated_at", c.updated_at}};
}

void PrintWorker(const app::WorkerStats& w) {
  std::cout << "worker: " << w.jobs_done << " connector jobs done, " << w.jobs_retried << " retried, "
            << w.jobs_pending << " awaiting a receipt, "
            << w.timers_fired << " timers fired, " << w.incidents << " new incidents\n";
}

}  // namespace

int RunIntake(const GlobalOptions& g, Services& s, const IntakeArgs& a) {
  auto engine = s.Engine();
  if (!engine) return ReportError(engine.error());
  std::vector<int> grades;
  for (int grade : a.grades) {
    if (grade != 1 && grade != 5 && grade != 8) {
      return ReportError(Error{ErrorCode::kInvalidArgument, "--grades takes 1, 5 and/or 8"});
    }
    grades.push_back(grade);
  }
  if (grades.empty()) grades = {1, 5, 8};
  const bool tty = !g.json && isatty(STDERR_FILENO);
  auto progress = [&](int done, int total) {
    if (!tty) return;
    const int width = 40;
    const int filled = total ? done * width / total : width;
    std::cerr << "\r  [" << std::string(filled, '#') << std::string(width - filled, ' ') << "] " << done << "/"
              << total << std::flush;
  };
  auto summary = (*engine)->Intake(a.school_year, grades, progress);
  if (tty) std::cerr << "\n";
  if (!summary) return ReportError(summary.error());
  if (g.json) {
    json::array rows;
    for (const auto& [school, state, n] : summary->by_school_state) {
      rows.push_back(json::object{{"school", school}, {"state", state}, {"cases", n}});
    }
    PrintJson(json::object{{"school_year", a.school_year},
                           {"created", summary->created},
                           {"existing", summary->existing},
                           {"register_events", summary->register_events},
                           {"closed_as_excluded", summary->closed_as_excluded},
                           {"jobs_done", summary->worker.jobs_done},
                           {"incidents", summary->worker.incidents},
                           {"by_school_state", std::move(rows)}});
    return 0;
  }
  std::cout << "intake " << a.school_year << "/" << a.school_year + 1 << ": " << summary->created
            << " cases created, " << summary->existing << " already there, " << summary->register_events
            << " register changes applied, " << summary->closed_as_excluded << " closed (left or died)\n";
  PrintWorker(summary->worker);
  std::map<std::string, std::map<std::string, int>> table;
  std::map<std::string, int> totals;
  for (const auto& [school, state, n] : summary->by_school_state) {
    table[school.empty() ? "(none)" : school][state] += n;
    totals[state] += n;
  }
  std::cout << "cases by school and state:\n";
  for (const auto& [school, states] : table) {
    std::cout << "  " << Pad(school, 8);
    for (const auto& [state, n] : states) std::cout << state << "=" << n << "  ";
    std::cout << "\n";
  }
  std::cout << "  " << Pad("all", 8);
  for (const auto& [state, n] : totals) std::cout << state << "=" << n << "  ";
  std::cout << "\n";
  return 0;
}

int RunWorker(const GlobalOptions& g, Services& s, const RunArgs& a) {
  // Signals first: a stop must also end a wait for the database's lock
  // while the engine starts.
  std::signal(SIGINT, OnStopSignal);
  std::signal(SIGTERM, OnStopSignal);
  s.SetStopFlag(&g_stop);
  if (!a.until_idle) std::cerr << "worker running; SIGINT (Ctrl-C) or SIGTERM stops it between transactions" << std::endl;
  auto engine = s.Engine();
  if (!engine) {
    if (g_stop) {
      std::cout << "stopped by signal before the worker started\n";
      return 0;
    }
    return ReportError(engine.error());
  }
  (*engine)->SetStopFlag(&g_stop);
  app::WorkerStats total;
  while (!g_stop) {
    auto stats = (*engine)->RunDue();
    if (!stats) {
      if (g_stop) break;  // a wait for a lock or a connector cut short by the signal
      return ReportError(stats.error());
    }
    total.Add(*stats);
    if (stats->busy) {
      // Another process holds the database: wait and try again.
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    if (stats->Work() > 0) continue;
    if (a.until_idle && a.linger_ms <= 0) break;
    auto next = (*engine)->NextDueIn();
    if (!next) {
      if (next.error().code == ErrorCode::kAborted) continue;
      return ReportError(next.error());
    }
    if (a.until_idle && (!*next || **next > a.linger_ms)) break;
    // Sleep until the next due item (at most a poll interval), in short
    // steps so that a signal stops the loop promptly.
    int64_t wait = next->value_or(a.poll_ms);
    wait = std::min<int64_t>(wait, a.poll_ms);
    for (int64_t slept = 0; slept < wait && !g_stop; slept += 50) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min<int64_t>(50, wait - slept)));
    }
  }
  if (g.json) {
    PrintJson(json::object{{"jobs_done", total.jobs_done}, {"jobs_retried", total.jobs_retried},
                           {"jobs_pending", total.jobs_pending},
                           {"timers_fired", total.timers_fired}, {"incidents", total.incidents},
                           {"stopped_by_signal", g_stop.load()}});
  } else {
    PrintWorker(total);
    if (g_stop) std::cout << "stopped by signal between transactions\n";
  }
  return 0;
}

int RunCaseList(const GlobalOptions& g, Services& s, const CaseArgs& a) {
  auto cases = s.Operator();
  if (!cases) return ReportError(cases.error());
  auto list = (*cases)->ListCases(a.filter);
  if (!list) return ReportError(list.error());
  if (g.json) {
    json::array arr;
    for (const auto& c : *list) arr.push_back(CaseJson(c));
    PrintJson(arr);
    return 0;
  }
  std::cout << Pad("ID", 7) << Pad("CASE", 16) << Pad("SCHOOL", 8) << Pad("STATUS", 11) << "STATE\n";
  for (const auto& c : *list) {
    std::cout << Pad(std::to_string(c.id), 7) << Pad(c.key, 16) << Pad(c.school.empty() ? "-" : c.school, 8)
              << Pad(c.status, 11) << c.state << "\n";
  }
  std::cout << list->size() << " case(s)\n";
  return 0;
}

int RunCaseShow(const GlobalOptions& g, Services& s, const CaseArgs& a) {
  auto cases = s.Operator();
  if (!cases) return ReportError(cases.error());
  if (a.ref.empty()) return ReportError(Error{ErrorCode::kInvalidArgument, "say which case: a case number or key"});
  auto detail = (*cases)->Detail(a.ref);
  if (!detail) return ReportError(detail.error());
  const app::CaseRecord* c = &detail->record;
  const std::vector<app::JobRecord>* jobs = &detail->jobs;
  const std::vector<app::TimerRecord>* timers = &detail->timers;
  const auto* audit = &detail->history;
  const json::value data = c->instance.contains("data") ? c->instance.at("data") : json::value();
  if (g.json) {
    json::object o = CaseJson(*c);
    o["data"] = data;
    json::array ja, ta, aa;
    for (const auto& j : *jobs) {
      ja.push_back(json::object{{"id", j.id}, {"type", j.type}, {"invoke", j.invoke_id}, {"status", j.status},
                                {"attempts", j.attempts}, {"last_error", j.last_error}, {"receipt", j.result}});
    }
    for (const auto& t : *timers) ta.push_back(json::object{{"id", t.send_id}, {"event", t.event}, {"due_ms", t.due_ms}});
    for (const auto& [at, e] : *audit) {
      aa.push_back(json::object{{"at", at}, {"actor", e.actor}, {"kind", e.kind}, {"detail", e.detail}});
    }
    o["jobs"] = std::move(ja);
    o["timers"] = std::move(ta);
    o["history"] = std::move(aa);
    PrintJson(o);
    return 0;
  }
  const app::CaseRecord& r = *c;
  std::cout << "case " << r.id << "  " << r.key << "  (grade " << r.grade << ", " << r.school_year << "/"
            << r.school_year + 1 << ")\n";
  std::cout << "status: " << r.status << "   state: " << r.state << "   school: " << (r.school.empty() ? "-" : r.school)
            << "   workflow: " << r.workflow.substr(0, 12) << "\n";
  std::cout << "data: " << json::serialize(data) << "\n";
  std::cout << "jobs:\n";
  for (const auto& j : *jobs) {
    std::cout << "  " << Pad(j.type, 15) << Pad(j.status, 10) << "attempts " << j.attempts
              << (j.last_error.empty() ? "" : "  last error: " + j.last_error)
              << (j.result.is_null() ? "" : "  receipt: " + json::serialize(j.result)) << "\n";
  }
  std::cout << "timers:\n";
  for (const auto& t : *timers) std::cout << "  " << t.send_id << " -> " << t.event << " at " << t.due_ms << " ms\n";
  std::cout << "history:\n";
  for (const auto& [at, e] : *audit) std::cout << "  " << at << "  " << Pad(e.actor, 24) << e.detail << "\n";
  return 0;
}

int RunCaseEvent(const GlobalOptions& g, Services& s, const CaseArgs& a) {
  auto engine = s.Engine();
  if (!engine) return ReportError(engine.error());
  auto cases = s.Operator();
  if (!cases) return ReportError(cases.error());
  auto ids = (*cases)->SelectCases(a.ref, a.filter);
  if (!ids) return ReportError(ids.error());
  sc::Event ev;
  ev.name = a.event;
  if (!a.data.empty()) {
    boost::system::error_code ec;
    ev.data = json::parse(a.data, ec);
    if (ec || !ev.data.is_object()) return ReportError(Error{ErrorCode::kInvalidArgument, "--data must be a JSON object"});
  }
  app::PersonCommand cmd;
  cmd.event = ev.name;
  cmd.data = ev.data;
  cmd.actor = Actor(a.as);
  cmd.request_id = a.request_id;
  if (cmd.request_id.size() > 200) {
    return ReportError(Error{ErrorCode::kInvalidArgument, "--request-id is at most 200 characters"});
  }
  int applied = 0, refused = 0, repeated = 0;
  Error last;
  auto results = (*engine)->ApplyPersonEventToMany(*ids, cmd);
  if (!results) return ReportError(results.error());
  for (size_t i = 0; i < ids->size(); ++i) {
    const auto& r = (*results)[i];
    if (r && r->duplicate) {
      ++repeated;
      if (!g.json && ids->size() <= 20) std::cerr << "case " << (*ids)[i] << ": " << r->note << "\n";
    } else if (r) {
      ++applied;
      if (!g.json && ids->size() == 1) std::cout << "case " << (*ids)[i] << ": " << r->from << " -> " << r->to << "\n";
    } else {
      ++refused;
      last = r.error();
      // Every refusal of a few cases; the first three of many (they are
      // usually one reason).
      if (!g.json && (ids->size() <= 20 || refused <= 3)) {
        std::cerr << "case " << (*ids)[i] << ": " << r.error().message << "\n";
      }
    }
  }
  // The command's own effect is committed; the work it starts is the
  // worker's (unless asked to run it here).
  app::WorkerStats worker;
  if (a.run) {
    auto ran = (*engine)->RunUntilIdle();
    if (!ran) return ReportError(ran.error());
    worker = *ran;
  }
  if (g.json) {
    PrintJson(json::object{{"event", ev.name}, {"applied", applied}, {"refused", refused},
                           {"already_applied", repeated}, {"jobs_done", worker.jobs_done}});
  } else if (ids->size() != 1 || refused == 0) {
    std::cout << ev.name << ": applied to " << applied << " case(s), refused by " << refused
              << (repeated ? ", already applied to " + std::to_string(repeated) : std::string()) << "\n";
  }
  if (applied == 0 && repeated == 0 && refused > 0) return ExitCodeFor(last);
  return 0;
}

int RunCaseStuck(const GlobalOptions& g, Services& s) {
  auto engine = s.Engine();
  if (!engine) return ReportError(engine.error());
  auto stuck = (*engine)->StuckCases();
  if (!stuck) return ReportError(stuck.error());
  if (g.json) {
    json::array arr;
    for (const auto& c : *stuck) {
      arr.push_back(json::object{{"id", c.case_id}, {"key", c.key}, {"school", c.school}, {"state", c.state},
                                 {"reason", c.reason}});
    }
    PrintJson(arr);
    return 0;
  }
  for (const auto& c : *stuck) {
    std::cout << Pad(std::to_string(c.case_id), 7) << Pad(c.key, 16) << Pad(c.school.empty() ? "-" : c.school, 8)
              << c.reason << "\n";
  }
  std::cout << stuck->size() << " stuck case(s)\n";
  return 0;
}

int RunIncidents(const GlobalOptions& g, Services& s, const IncidentArgs& a) {
  auto engine = s.Engine();
  if (!engine) return ReportError(engine.error());
  auto cases = s.Operator();
  if (!cases) return ReportError(cases.error());
  app::IncidentFilter f = a.filter;
  if (a.action != "list") {
    if (!a.all && f.ids.empty() && f.school.empty() && !f.grade && f.state.empty() && f.error.empty()) {
      return ReportError(Error{ErrorCode::kInvalidArgument,
                               "say which incidents: ids, --all, or --school/--grade/--state/--error"});
    }
    if ((a.action == "skip" || a.action == "cancel") && a.reason.empty()) {
      return ReportError(Error{ErrorCode::kInvalidArgument, a.action + " needs --reason"});
    }
    // Ids named one by one must each be an open incident.
    if (!f.ids.empty()) {
      if (auto st = (*cases)->OpenIncidents(f.ids); !st) return ReportError(st.error());
    }
    Result<app::IncidentActions> n = a.action == "retry"  ? (*engine)->RetryIncidents(f, Actor(a.as))
                                     : a.action == "skip" ? (*engine)->SkipIncidents(f, Actor(a.as), a.reason)
                                                          : (*engine)->CancelIncidents(f, Actor(a.as), a.reason);
    if (!n) return ReportError(n.error());
    auto worker = (*engine)->RunUntilIdle();
    if (!worker) return ReportError(worker.error());
    if (g.json) {
      json::array refused;
      for (const auto& why : n->refused) refused.emplace_back(why);
      PrintJson(json::object{{"action", a.action}, {"incidents", n->done}, {"refused", std::move(refused)},
                             {"new_incidents", worker->incidents}});
    } else {
      std::cout << a.action << ": " << n->done << " incident(s); " << worker->jobs_done << " jobs then done, "
                << worker->incidents << " new incident(s)\n";
      for (const auto& why : n->refused) std::cerr << "not done: " << why << "\n";
    }
    return n->refused.empty() ? 0 : 1;
  }
  f.open_only = !a.all;
  auto list = (*cases)->Incidents(f);
  if (!list) return ReportError(list.error());
  if (g.json) {
    json::array arr;
    for (const auto& i : *list) {
      arr.push_back(json::object{{"id", i.id}, {"case", i.case_key}, {"school", i.school}, {"grade", i.grade},
                                 {"state", i.state}, {"type", i.job_type}, {"error", i.error},
                                 {"status", i.status}, {"created_at", i.created_at}});
    }
    PrintJson(arr);
    return 0;
  }
  for (const auto& i : *list) {
    std::cout << Pad(std::to_string(i.id), 6) << Pad(i.case_key, 16) << Pad(i.school, 6) << Pad(i.job_type, 15)
              << Pad(i.status, 10) << i.error << "\n";
  }
  std::cout << list->size() << " incident(s)\n";
  return 0;
}

namespace {

std::string CheckpointPath(const GlobalOptions& g, const AuditArgs& a) {
  return a.checkpoint.empty() ? g.db_path + ".audit-head" : a.checkpoint;
}

Result<std::optional<app::AuditHead>> ParseHead(const std::string& text, const std::string& where) {
  std::istringstream in(text);
  app::AuditHead h;
  std::string seq;
  if (!(in >> seq >> h.hash)) {
    const size_t colon = text.find(':');
    if (colon == std::string::npos) return InvalidArgument(where + ": expected SEQ:HASH or 'SEQ HASH'");
    seq = text.substr(0, colon);
    h.hash = text.substr(colon + 1);
    while (!h.hash.empty() && std::isspace(static_cast<unsigned char>(h.hash.back()))) h.hash.pop_back();
  }
  if (seq.empty() || seq.size() > 18 || seq.find_first_not_of("0123456789") != std::string::npos || h.hash.empty()) {
    return InvalidArgument(where + ": expected SEQ:HASH or 'SEQ HASH'");
  }
  h.seq = std::stoll(seq);
  return std::optional<app::AuditHead>(h);
}

// Written whole and durably (temporary file, fsync, rename, fsync of the
// folder); a failed write is reported, and the old head stays.
Status WriteCheckpoint(const std::string& path, const app::AuditVerification& v) {
  const std::string tmp = path + ".tmp";
  auto st = files::WriteSynced(tmp, std::to_string(v.head_seq) + " " + v.head_hash + "\n");
  if (!st) return tl::unexpected(st.error().WithContext("the audit head " + path + " was not updated"));
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return Unavailable("cannot write the audit head " + path + ": " + ec.message() + "; it was not updated");
  files::SyncDir(std::filesystem::absolute(path).parent_path());
  return {};
}

// Verifies against the anchored head (--head) or the checkpoint file. With
// `need_head`, a missing checkpoint file fails the verification (rows cut
// off the end could not be found without it); only `audit checkpoint`
// starts one.
Result<app::AuditVerification> Verify(const GlobalOptions& g, Services& s, const AuditArgs& a, bool need_head) {
  ENROL_ASSIGN_OR_RETURN(app::OperatorQueries* cases, s.Operator());
  std::optional<app::AuditHead> head;
  const std::string file = CheckpointPath(g, a);
  if (!a.head.empty()) {
    ENROL_ASSIGN_OR_RETURN(head, ParseHead(a.head, "--head"));
  } else if (std::filesystem::exists(file)) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    ENROL_ASSIGN_OR_RETURN(head, ParseHead(text.str(), file));
  }
  ENROL_ASSIGN_OR_RETURN(app::AuditVerification v, cases->VerifyAudit(head));
  if (v.ok && !head && need_head) {
    v.ok = false;
    v.problem = "the audit head " + file + " is missing, so rows cut off the end cannot be found; if this database "
                "was never checkpointed, start one with `enrol audit checkpoint`, else restore the file (or give "
                "--head SEQ:HASH as anchored elsewhere)";
  }
  return v;
}

}  // namespace

int RunAuditVerify(const GlobalOptions& g, Services& s, const AuditArgs& a) {
  auto v = Verify(g, s, a, /*need_head=*/true);
  if (!v) return ReportError(v.error());
  // A verified log moves the checkpoint forward: rows removed later from
  // before it are then found.
  if (v->ok && a.head.empty()) {
    auto st = WriteCheckpoint(CheckpointPath(g, a), *v);
    if (!st) return ReportError(st.error());
  }
  if (g.json) {
    PrintJson(json::object{{"rows", v->rows}, {"ok", v->ok}, {"problem", v->problem}, {"head_seq", v->head_seq},
                           {"head_hash", v->head_hash}, {"keyed_rows", v->keyed_rows}});
  } else if (v->ok) {
    std::cout << "audit log intact: " << v->rows << " rows, every hash links"
              << (v->keyed_rows == v->rows ? " (keyed)" : v->keyed_rows ? " (partly keyed)" : " (not keyed: set ENROL_AUDIT_KEY_FILE)")
              << "\nhead: " << v->head_seq << ":" << v->head_hash << "\n";
  } else {
    std::cout << "audit log BROKEN: " << v->problem << "\n";
  }
  return v->ok ? 0 : 1;
}

int RunAuditCheckpoint(const GlobalOptions& g, Services& s, const AuditArgs& a) {
  auto v = Verify(g, s, a, /*need_head=*/false);
  if (!v) return ReportError(v.error());
  if (!v->ok) {
    std::cout << "audit log BROKEN: " << v->problem << "; no checkpoint written\n";
    return 1;
  }
  auto st = WriteCheckpoint(CheckpointPath(g, a), *v);
  if (!st) return ReportError(st.error());
  if (g.json) {
    PrintJson(json::object{{"head_seq", v->head_seq}, {"head_hash", v->head_hash}, {"file", CheckpointPath(g, a)}});
  } else {
    std::cout << v->head_seq << ":" << v->head_hash << "\n";
  }
  return 0;
}

int RunWorkflowMigrate(const GlobalOptions& g, Services& s, const IncidentArgs& a) {
  auto engine = s.Engine();
  if (!engine) return ReportError(engine.error());
  auto n = (*engine)->MigrateCases(Actor(a.as));
  if (!n) return ReportError(n.error());
  if (g.json) {
    PrintJson(json::object{{"migrated", *n}, {"workflow", (*engine)->current_workflow()}});
  } else {
    std::cout << *n << " active case(s) moved to workflow " << (*engine)->current_workflow().substr(0, 12) << "\n";
  }
  return 0;
}

}  // namespace enrol::cli
