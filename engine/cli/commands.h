#pragma once
// One function per command. Each returns the process exit code.

#include <functional>
#include <string>
#include <vector>

#include "engine/app/case_ports.h"
#include "engine/cli/services.h"

namespace enrol::cli {

struct ImportArgs {
  std::vector<std::string> files;
  bool skip_invalid = false;
};
struct GenExtractArgs {
  std::string municipality;
  int children = 0;
  uint64_t seed = 1;
  std::string format = "json";
  std::string out;
  int school_year = 0;  // 0: the next intake's
};
struct CohortArgs {
  int school_year = 0;
  int grade = 0;
  bool names = false;
  int limit = -1;  // rows printed (text); -1 all
};
struct ExplainArgs {
  std::string person;
  int school_year = 0;
  int grade = 0;
};

struct WorkflowArgs {
  std::string file;
};
struct SimulateArgs {
  std::string file;
  std::vector<std::string> events;  // NAME or NAME=JSON
  std::string data;                 // JSON object
  bool invoke_ok = false;
};

struct IntakeArgs {
  int school_year = 0;
  std::vector<int> grades;
};
struct RunArgs {
  bool until_idle = false;
  int64_t linger_ms = 0;  // with until_idle: wait for what falls due within this long
  int64_t poll_ms = 1000;
};
struct CaseArgs {
  std::string ref;  // case number or key
  app::CaseFilter filter;
  std::string event;
  std::string data;
  std::string as;
  std::string request_id;
  bool run = false;  // event: then run the worker until nothing is due
};
struct AuditArgs {
  std::string checkpoint;  // empty: <db>.audit-head
  std::string head;        // SEQ:HASH
};
struct IncidentArgs {
  std::string action;  // list | retry | skip | cancel
  app::IncidentFilter filter;
  bool all = false;
  std::string reason;
  std::string as;
};

struct SimulateSystemsArgs {
  std::string listen = "127.0.0.1:0";
  std::string db;
  int fail_first = 0;
  bool fail_always = false;
};
int RunSimulateSystems(const GlobalOptions& g, Services& s, const SimulateSystemsArgs& a);
// The fault-injection flags every simulator takes.
struct SimulatorFaultArgs {
  double error = 0, throttle = 0, drop = 0, timeout = 0, slow = 0;  // fault shares
  int64_t slow_ms = 2000, latency_ms = 0;
  uint64_t seed = 1;
};
struct SimulateArchiveArgs {
  std::string listen = "127.0.0.1:0";
  std::string db;        // its own SQLite file ("": memory)
  std::string arkivdel;  // the seeded arkivdel's tittel ("": Elevarkiv)
  std::string fiks_folder;  // a Fiks Arkiv drop folder it answers ("": none)
  SimulatorFaultArgs faults;
};
int RunSimulateArchive(const GlobalOptions& g, Services& s, const SimulateArchiveArgs& a);
struct SimulateSisArgs {
  std::string listen = "127.0.0.1:0";
  std::string db;
  SimulatorFaultArgs faults;
};
int RunSimulateSis(const GlobalOptions& g, Services& s, const SimulateSisArgs& a);
struct SimulatePostArgs {
  std::string listen = "127.0.0.1:0";
  std::string db;
  double undeliverable = 0.1;  // recipients without a digital mailbox
  int64_t status_step_ms = 1000;  // a status step per this many ms (0: per status search)
  SimulatorFaultArgs faults;
};
int RunSimulatePost(const GlobalOptions& g, Services& s, const SimulatePostArgs& a);
struct LetterArgs {
  std::string ref;     // case
  std::string out;
  bool archive_copy = false;
  int copy = 1;
  int version = 0;     // 0: current
  std::string school;
  bool undelivered = false;  // print-batch: the letters digital post could not deliver, then mark them printed
  std::string as;            // who prints (the audit's actor)
  int64_t reprint = 0;       // print-batch: write this batch again (marks nothing)
};
int RunLettersCheck(const GlobalOptions& g, Services& s);
int RunLettersPreview(const GlobalOptions& g, Services& s, const LetterArgs& a);
int RunLettersPrintBatch(const GlobalOptions& g, Services& s, const LetterArgs& a);
int RunIntake(const GlobalOptions& g, Services& s, const IntakeArgs& a);
int RunWorker(const GlobalOptions& g, Services& s, const RunArgs& a);
struct ServeArgs {
  std::string listen = "127.0.0.1:8080";
  int max_connections = 256;
  int64_t read_timeout_ms = 30000;
  int64_t poll_ms = 1000;
  std::function<void(int port)> on_listening;  // called once the server listens (enrol demo)
};
int RunServe(const GlobalOptions& g, Services& s, const ServeArgs& a);
struct DemoArgs {
  std::string listen = "127.0.0.1:8080";
  int children = 8600;
  bool db_given = false;  // --db named the database (else a fresh enrol-demo.db)
};
int RunDemo(const GlobalOptions& g, Services& s, const DemoArgs& a);
struct UserArgs {
  std::string action;  // add | passwd | disable | list
  std::string name;
  std::string role;
  std::vector<std::string> schools;
};
int RunUser(const GlobalOptions& g, Services& s, const UserArgs& a);
int RunCaseList(const GlobalOptions& g, Services& s, const CaseArgs& a);
int RunCaseShow(const GlobalOptions& g, Services& s, const CaseArgs& a);
int RunCaseEvent(const GlobalOptions& g, Services& s, const CaseArgs& a);
int RunIncidents(const GlobalOptions& g, Services& s, const IncidentArgs& a);
int RunAuditVerify(const GlobalOptions& g, Services& s, const AuditArgs& a);
int RunAuditCheckpoint(const GlobalOptions& g, Services& s, const AuditArgs& a);
int RunCaseStuck(const GlobalOptions& g, Services& s);
int RunWorkflowMigrate(const GlobalOptions& g, Services& s, const IncidentArgs& a);
int RunWorkflowCheck(const GlobalOptions& g, Services& s, const WorkflowArgs& a);
int RunWorkflowGraph(const GlobalOptions& g, Services& s, const WorkflowArgs& a);
int RunWorkflowSimulate(const GlobalOptions& g, Services& s, const SimulateArgs& a);
int RunInit(const GlobalOptions& g, Services& s);
int RunImport(const GlobalOptions& g, Services& s, const ImportArgs& a);
int RunImports(const GlobalOptions& g, Services& s);
int RunGenExtract(const GlobalOptions& g, Services& s, const GenExtractArgs& a);
int RunCohort(const GlobalOptions& g, Services& s, const CohortArgs& a);
int RunExplain(const GlobalOptions& g, Services& s, const ExplainArgs& a);

}  // namespace enrol::cli
