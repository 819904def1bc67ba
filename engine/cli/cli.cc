#include <filesystem>
#include <CLI/CLI.hpp>

#include "engine/cli/commands.h"
#include "engine/cli/services.h"

namespace enrol::cli {
namespace {

// The fault-injection flags every simulator takes.
void AddFaultFlags(CLI::App* c, SimulatorFaultArgs& f) {
  c->add_option("--error-share", f.error, "share of requests answered 503, not applied");
  c->add_option("--throttle-share", f.throttle, "share answered 429 with Retry-After, not applied");
  c->add_option("--drop-share", f.drop, "share applied, then the connection dropped unanswered");
  c->add_option("--timeout-share", f.timeout, "share held unanswered (120 s), not applied");
  c->add_option("--slow-share", f.slow, "share answered after --slow-ms");
  c->add_option("--slow-ms", f.slow_ms, "how late a slow answer is (default 2000)");
  c->add_option("--latency-ms", f.latency_ms, "added to every answer");
  c->add_option("--seed", f.seed, "the faults' random seed (the same seed, the same faults)");
}

}  // namespace

int Main(int argc, char** argv, GlobalOptions& g, Services& s) {
  CLI::App app{
      "enrol: pupil enrolment for Norwegian municipalities.\n"
      "Imports population-register extracts, finds the children who start grade 1, 5 or 8,\n"
      "places each at a school by home address, and explains every placement."};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  auto* db_option = app.add_option("--db", g.db_path, "SQLite database file")->capture_default_str();
  app.add_option("--config", g.config_path,
                 "municipality configuration (JSON); default $ENROL_CONFIG, else enrol.json");
  app.add_flag("--json", g.json, "print results as JSON");
  // The global options may come after the subcommand too (`enrol case stuck
  // --json`): every subcommand made below passes what it does not know up.
  app.fallthrough();

  auto* init = app.add_subcommand("init", "create the database, or upgrade it to this version");

  ImportArgs import_args;
  auto* imp = app.add_subcommand("import", "import Folkeregister extract files (JSON or XML)");
  imp->add_option("FILE", import_args.files, "extract files; all land as one import")
      ->required()
      ->check(CLI::ExistingFile);
  imp->add_flag("--skip-invalid", import_args.skip_invalid,
                "import the valid records and report each invalid one "
                "(default: a file with any invalid record is rejected whole)");

  auto* imports = app.add_subcommand("imports", "list the imports made so far");

  GenExtractArgs gen;
  auto* ge = app.add_subcommand("gen-extract",
                                "write a synthetic Folkeregister extract for the configured "
                                "municipality (test and demo data only)");
  ge->add_option("--municipality", gen.municipality, "kommunenummer (must match the config)")
      ->required();
  ge->add_option("--children", gen.children, "number of children in all")
      ->required()
      ->check(CLI::Range(1, 10000000));
  ge->add_option("--seed", gen.seed, "random seed; the same seed gives the same file");
  ge->add_option("--format", gen.format, "json (array), ndjson or xml")
      ->check(CLI::IsMember({"json", "ndjson", "xml"}));
  ge->add_option("--out", gen.out, "output file")->required();
  ge->add_option("--school-year", gen.school_year,
                 "school year Y (for Y/Y+1) the cohorts are built around; default the next intake");

  CohortArgs cohort;
  auto* co = app.add_subcommand("cohort",
                                "list a cohort with each child's placement and rule, or the "
                                "reason for manual handling");
  co->add_option("--school-year", cohort.school_year, "school year Y, for Y/Y+1")->required()
      ->check(CLI::Range(1990, 2200));
  co->add_option("--grade", cohort.grade, "1, 5 or 8")->required()->check(CLI::IsMember({1, 5, 8}));
  co->add_flag("--names", cohort.names, "include the children's names (default: references only)");
  co->add_option("--limit", cohort.limit, "print at most this many rows (text output)");

  auto* placement = app.add_subcommand("placement", "placement tools");
  placement->require_subcommand(1);
  ExplainArgs explain;
  auto* ex = placement->add_subcommand("explain", "show which rule placed a person, and why");
  ex->add_option("PERSON-ID", explain.person, "P<number> as listed by `cohort`, or a national id")
      ->required();
  ex->add_option("--school-year", explain.school_year, "school year Y; default the next intake");
  ex->add_option("--grade", explain.grade, "grade; default the grade the child enters by age");

  auto* workflow = app.add_subcommand("workflow", "workflow definitions (SCXML)");
  workflow->require_subcommand(1);
  WorkflowArgs check_args;
  auto* wcheck = workflow->add_subcommand("check", "report every problem in a definition, with its line");
  wcheck->add_option("FILE", check_args.file, "SCXML file")->required();
  WorkflowArgs graph_args;
  auto* wgraph = workflow->add_subcommand("graph", "print the statechart as Graphviz DOT");
  wgraph->add_option("FILE", graph_args.file, "SCXML file")->required();
  SimulateArgs sim;
  auto* wsim = workflow->add_subcommand(
      "simulate", "run a definition in memory on a virtual clock (no case, no connectors)");
  wsim->add_option("FILE", sim.file, "SCXML file")->required();
  wsim->add_option("--event", sim.events, "an event to feed, NAME or NAME=JSON (repeatable, in order)");
  wsim->add_option("--data", sim.data, "initial case data, a JSON object");
  wsim->add_flag("--invoke-ok", sim.invoke_ok,
                 "let every invoke succeed at once (default: error.communication)");

  IntakeArgs intake;
  auto* in = app.add_subcommand("intake",
                                "create the cases for a school year from the imported register, then run "
                                "until every case waits for a person or an external system");
  in->add_option("--school-year", intake.school_year, "school year Y, for Y/Y+1")->required()
      ->check(CLI::Range(1990, 2200));
  in->add_option("--grades", intake.grades, "grades, e.g. 1,5,8 (default all three)")->delimiter(',');

  RunArgs run;
  auto* rn = app.add_subcommand("run", "the worker: fire timers, run connector jobs and retries until stopped "
                                       "(SIGINT/SIGTERM stop it between transactions)");
  rn->add_flag("--until-idle", run.until_idle, "stop when nothing is due now");
  rn->add_option("--linger-ms", run.linger_ms,
                 "with --until-idle: stop only when nothing falls due within this many ms (timers, retries)");
  rn->add_option("--poll-ms", run.poll_ms, "longest sleep between checks")->check(CLI::Range(10, 60000));
  UserArgs user;
  auto* users = app.add_subcommand("user", "the web app's users (the password from the terminal or stdin's first line)");
  users->require_subcommand(1);
  auto* uadd = users->add_subcommand("add", "add a user: --role admin|secretary|auditor, a secretary's --school IDs");
  uadd->add_option("name", user.name, "user name (a-z, 0-9, '.', '-', '_')")->required();
  uadd->add_option("--role", user.role, "admin (the education office), secretary, or auditor")->required();
  uadd->add_option("--school", user.schools, "a school the secretary works for (repeat for more)");
  auto* upasswd = users->add_subcommand("passwd", "set a user's password (and lift a lockout)");
  upasswd->add_option("name", user.name, "user name")->required();
  auto* udisable = users->add_subcommand("disable", "disable a user (kept, so the audit log's actors stay known)");
  udisable->add_option("name", user.name, "user name")->required();
  auto* ulist = users->add_subcommand("list", "the users, their roles and schools (never a password)");
  ServeArgs serve;
  auto* sv = app.add_subcommand("serve", "the web server (health, metrics) and the worker in one process");
  sv->add_option("--listen", serve.listen, "ADDRESS:PORT (default 127.0.0.1:8080; port 0: any free port)");
  sv->add_option("--max-connections", serve.max_connections, "connections at once (more get 503)")
      ->check(CLI::Range(1, 100000));
  sv->add_option("--read-timeout-ms", serve.read_timeout_ms, "a request must arrive within this (default 30000)")
      ->check(CLI::Range(100, 600000));
  sv->add_option("--poll-ms", serve.poll_ms, "the worker's longest sleep between checks")->check(CLI::Range(10, 60000));

  DemoArgs demo;
  auto* dm = app.add_subcommand("demo", "the demo municipality end to end: a fresh database (enrol-demo.db, or --db), "
                                        "a generated extract, import and intake, the demo users, the simulators and "
                                        "the web app on 127.0.0.1:8080; Ctrl-C stops it");
  dm->add_option("--listen", demo.listen, "ADDRESS:PORT (default 127.0.0.1:8080)");
  dm->add_option("--children", demo.children, "children in the generated extract")->check(CLI::Range(10, 200000));

  auto* cs = app.add_subcommand("case", "cases");
  cs->require_subcommand(1);
  CaseArgs case_args;
  auto add_filters = [&](CLI::App* c) {
    c->add_option("--school", case_args.filter.school, "school id");
    c->add_option("--grade", case_args.filter.grade, "grade");
    c->add_option("--state", case_args.filter.state, "an active state, e.g. awaiting_approval");
  };
  auto* clist = cs->add_subcommand("list", "list cases");
  add_filters(clist);
  clist->add_option("--status", case_args.filter.status, "active, completed or closed");
  clist->add_option("--school-year", case_args.filter.school_year, "school year");
  clist->add_option("--limit", case_args.filter.limit, "at most this many");
  auto* cshow = cs->add_subcommand("show", "one case: state, data, jobs, receipts, timers, history");
  cshow->add_option("CASE", case_args.ref, "case number or key (2027/1/P12)")->required();
  auto* cevent = cs->add_subcommand("event", "send an event to one case, or to a selection (e.g. approve "
                                             "every letter of a school)");
  std::vector<std::string> event_words;
  cevent->add_option("[CASE] EVENT", event_words,
                     "case number or key, then the event (approve, reject, reassign, deferred, "
                     "manual.resolved, ...); without a case, select with --school/--grade/--state")
      ->required()
      ->expected(1, 2);
  add_filters(cevent);
  cevent->add_option("--data", case_args.data, "event data, a JSON object (e.g. {\"reason\":\"...\"})");
  cevent->add_option("--as", case_args.as, "who acts (default $USER), for the audit log");
  cevent->add_option("--request-id", case_args.request_id,
                     "an id for this request: sending it again applies it once (without one, a repeat of the "
                     "case's last person event with the same data is not applied again)");
  cevent->add_flag("--run", case_args.run,
                   "then run the worker until nothing is due (without it, the command returns once the events are "
                   "committed, and `enrol run` or `enrol serve` does the work they start)");
  auto* cstuck = cs->add_subcommand("stuck", "active cases that cannot move on: no job, no timer, no person event "
                                             "they accept");

  IncidentArgs inc;
  auto* incidents = app.add_subcommand("incidents", "connector work that ran out of attempts");
  incidents->require_subcommand(1);
  auto add_inc = [&](CLI::App* c, const char* action) {
    c->callback([&inc, action] { inc.action = action; });
    c->add_option("ID", inc.filter.ids, "incident ids");
    c->add_flag("--all", inc.all, "every open incident (list: also the resolved ones)");
    c->add_option("--school", inc.filter.school, "select by school");
    c->add_option("--grade", inc.filter.grade, "select by grade");
    c->add_option("--state", inc.filter.state, "select by the case's state");
    c->add_option("--error", inc.filter.error, "select by text in the error");
    c->add_option("--as", inc.as, "who acts (default $USER)");
  };
  add_inc(incidents->add_subcommand("list", "list open incidents"), "list");
  add_inc(incidents->add_subcommand("retry", "run the jobs again with fresh attempts"), "retry");
  auto* iskip = incidents->add_subcommand("skip", "complete the jobs without the system (the case goes on)");
  add_inc(iskip, "skip");
  iskip->add_option("--reason", inc.reason, "why (kept in the audit log)");
  auto* icancel = incidents->add_subcommand("cancel", "give the work up (the case gets error.communication)");
  add_inc(icancel, "cancel");
  icancel->add_option("--reason", inc.reason, "why (kept in the audit log)");

  SimulateSystemsArgs sys;
  auto* ssys = app.add_subcommand("simulate-systems",
                                  "serve the simulated external systems over HTTP from this process "
                                  "(tests and demos: connectors.mode \"http\" points at it)");
  ssys->add_option("--listen", sys.listen, "ADDRESS:PORT (port 0: any free port)");
  ssys->add_option("--db", sys.db, "the simulators' own SQLite file (default: memory)");
  ssys->add_option("--fail-first", sys.fail_first, "fail each key's first N calls (HTTP 503)");
  ssys->add_flag("--fail-always", sys.fail_always, "fail every call");

  auto* simulate = app.add_subcommand("simulate", "serve a simulator of an external system over HTTP (tests, demos)");
  simulate->require_subcommand(1);
  SimulateArchiveArgs sarch;
  auto* sarchive = simulate->add_subcommand(
      "archive", "a Noark 5 archive (tjenestegrensesnitt subset) with its own SQLite store");
  sarchive->add_option("--listen", sarch.listen, "ADDRESS:PORT (port 0: any free port)");
  sarchive->add_option("--db", sarch.db, "its own SQLite file (default: memory)");
  sarchive->add_option("--arkivdel", sarch.arkivdel, "the tittel of the arkivdel it holds (default: Elevarkiv)");
  sarchive->add_option("--fiks-folder", sarch.fiks_folder,
                       "also answer Fiks Arkiv messages written to DIR/ut/ with kvitteringer in DIR/inn/");
  AddFaultFlags(sarchive, sarch.faults);
  SimulateSisArgs ssis;
  auto* ssisc = simulate->add_subcommand(
      "sis", "a student system taking OneRoster 1.2 PUTs and serving the rostering read API, with its own SQLite store");
  ssisc->add_option("--listen", ssis.listen, "ADDRESS:PORT (port 0: any free port)");
  ssisc->add_option("--db", ssis.db, "its own SQLite file (default: memory)");
  AddFaultFlags(ssisc, ssis.faults);
  SimulatePostArgs spost;
  auto* spostc = simulate->add_subcommand(
      "post", "KS Fiks SvarUt (REST v2 subset: send, eksternRef lookup, status search) with its own SQLite store");
  spostc->add_option("--listen", spost.listen, "ADDRESS:PORT (port 0: any free port)");
  spostc->add_option("--db", spost.db, "its own SQLite file (default: memory)");
  spostc->add_option("--undeliverable-share", spost.undeliverable,
                     "share of recipients without a digital mailbox (IKKE_LEVERT; default 0.1)");
  spostc->add_option("--status-step-ms", spost.status_step_ms,
                     "a forsendelse moves a status step per this many ms since it was sent (default 1000; 0: a step "
                     "per status search)");
  AddFaultFlags(spostc, spost.faults);

  auto* letters = app.add_subcommand("letters", "decision letters");
  letters->require_subcommand(1);
  LetterArgs letter_args;
  auto* lcheck = letters->add_subcommand("check", "check every letter template: syntax (with line), unknown fields");
  auto* lpreview = letters->add_subcommand("preview", "write a case's current letter as PDF");
  lpreview->add_option("CASE", letter_args.ref, "case number or key")->required();
  lpreview->add_option("--out", letter_args.out, "output PDF file")->required();
  lpreview->add_flag("--archive-copy", letter_args.archive_copy, "the PDF/A-1b archive copy");
  lpreview->add_option("--copy", letter_args.copy, "which copy (guardians at different addresses get one each)");
  lpreview->add_option("--version", letter_args.version, "an older version (default: the current one)");
  auto* lbatch = letters->add_subcommand("print-batch",
                                         "one PDF with a cover sheet and a school's approved (or undelivered) "
                                         "letters, for printing");
  auto* lschool = lbatch->add_option("--school", letter_args.school, "school id");
  lbatch->add_option("--out", letter_args.out, "output PDF file")->required();
  auto* lundelivered = lbatch->add_flag(
      "--undelivered", letter_args.undelivered,
      "the copies digital post could not deliver (cases waiting for their print), recorded as a numbered batch, "
      "written, then marked printed; a batch a run left open is finished first");
  auto* lreprint = lbatch->add_option("--reprint", letter_args.reprint,
                                      "write the numbered batch N again (marks nothing)");
  lreprint->excludes(lschool)->excludes(lundelivered);
  lbatch->callback([&] {
    if (letter_args.reprint == 0 && letter_args.school.empty()) throw CLI::RequiredError("--school");
  });
  lbatch->add_option("--as", letter_args.as, "who prints them (for the audit log; default: $USER)");

  auto* audit = app.add_subcommand("audit", "the audit log");
  audit->require_subcommand(1);
  auto* averify = audit->add_subcommand("verify", "check that no row of the hash-chained log was changed or removed");
  AuditArgs audit_args;
  averify->add_option("--checkpoint", audit_args.checkpoint,
                      "the head kept outside the database (default DB.audit-head); rows cut off the end are found");
  averify->add_option("--head", audit_args.head, "a head anchored elsewhere, SEQ:HASH (as `audit checkpoint` prints)");
  auto* acheck = audit->add_subcommand("checkpoint", "verify the log and write its head (seq and hash) to the "
                                                     "checkpoint file; prints the head for anchoring elsewhere");
  acheck->add_option("--checkpoint", audit_args.checkpoint, "the file (default DB.audit-head)");

  auto* wmigrate = workflow->add_subcommand(
      "migrate", "move running cases to the current workflow version where their states exist in it");
  wmigrate->add_option("--as", inc.as, "who acts (default $USER)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*lcheck) return RunLettersCheck(g, s);
  if (*lpreview) return RunLettersPreview(g, s, letter_args);
  if (*lbatch) return RunLettersPrintBatch(g, s, letter_args);
  if (*ssys) return RunSimulateSystems(g, s, sys);
  if (*sarchive) return RunSimulateArchive(g, s, sarch);
  if (*ssisc) return RunSimulateSis(g, s, ssis);
  if (*spostc) return RunSimulatePost(g, s, spost);
  if (*in) return RunIntake(g, s, intake);
  if (*rn) return RunWorker(g, s, run);
  if (*sv) return RunServe(g, s, serve);
  if (*dm) {
    demo.db_given = db_option->count() > 0;
    if (!demo.db_given) g.db_path = "enrol-demo.db";
    const char* env = std::getenv("ENROL_CONFIG");
    if (g.config_path.empty() && (!env || !*env) && std::filesystem::exists("config/demo/municipality.json")) {
      g.config_path = "config/demo/municipality.json";  // run from the source tree: the demo municipality
    }
    return RunDemo(g, s, demo);
  }
  if (*users) {
    user.action = *uadd ? "add" : *upasswd ? "passwd" : *udisable ? "disable" : "list";
    (void)ulist;
    return RunUser(g, s, user);
  }
  if (*clist) return RunCaseList(g, s, case_args);
  if (*cshow) return RunCaseShow(g, s, case_args);
  if (*cevent) {
    if (event_words.size() == 2) case_args.ref = event_words[0];
    case_args.event = event_words.back();
    return RunCaseEvent(g, s, case_args);
  }
  if (*incidents) return RunIncidents(g, s, inc);
  if (*averify) return RunAuditVerify(g, s, audit_args);
  if (*acheck) return RunAuditCheckpoint(g, s, audit_args);
  if (*cstuck) return RunCaseStuck(g, s);
  if (*wmigrate) return RunWorkflowMigrate(g, s, inc);
  if (*wcheck) return RunWorkflowCheck(g, s, check_args);
  if (*wgraph) return RunWorkflowGraph(g, s, graph_args);
  if (*wsim) return RunWorkflowSimulate(g, s, sim);
  if (*init) return RunInit(g, s);
  if (*imp) return RunImport(g, s, import_args);
  if (*imports) return RunImports(g, s);
  if (*ge) return RunGenExtract(g, s, gen);
  if (*co) return RunCohort(g, s, cohort);
  if (*ex) return RunExplain(g, s, explain);
  return 2;
}

}  // namespace enrol::cli
