#pragma once
// What the commands need from the outside world. engine/main.cc (the
// composition root) implements it with the real adapters; tests use the same
// implementation over a temporary database.

#include <atomic>
#include <memory>
#include <string>

#include "engine/app/case_engine.h"
#include "engine/app/case_queries.h"
#include "engine/app/operator_queries.h"
#include "engine/app/print_batch.h"
#include "engine/app/letter_ports.h"
#include "engine/app/users.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"

namespace enrol::cli {

struct GlobalOptions {
  std::string db_path = "enrol.db";
  std::string config_path;  // empty: $ENROL_CONFIG, else enrol.json
  bool json = false;
};

class Services {
 public:
  virtual ~Services() = default;
  // Creates the database file if needed and applies pending migrations.
  // Returns the schema version.
  [[nodiscard]] virtual Result<int> InitDatabase() = 0;
  // The person store over an existing, up-to-date database.
  [[nodiscard]] virtual Result<app::PersonStore*> Store() = 0;
  [[nodiscard]] virtual Result<const app::Settings*> Settings() = 0;
  [[nodiscard]] virtual Result<app::ExtractOpener*> Opener() = 0;
  virtual app::Clock& Clock() = 0;
  // The case engine with its workflow loaded and connectors wired.
  [[nodiscard]] virtual Result<app::CaseEngine*> Engine() = 0;
  // What people see (the web app's queries, each with its viewer) and what
  // the operator at the command line reads: the command line and the web
  // server read the cases through these, never through a store.
  [[nodiscard]] virtual Result<app::CaseQueries*> Queries() = 0;
  [[nodiscard]] virtual Result<app::OperatorQueries*> Operator() = 0;
  // The letter templates and renderer.
  [[nodiscard]] virtual Result<app::LetterRenderer*> Renderer() = 0;
  // The print batches of undelivered letters (engine/app/print_batch.h).
  [[nodiscard]] virtual Result<app::PrintBatchService*> PrintBatches() = 0;
  // The web app's users (their store, the password hasher, the rules).
  [[nodiscard]] virtual Result<app::UserService*> Users() = 0;
  // The invoke types (connector names) workflows may use.
  [[nodiscard]] virtual std::vector<std::string> InvokeTypes() = 0;
  // A second, independent set over the same database and configuration
  // (its own connection and adapters), for another thread.
  [[nodiscard]] virtual std::unique_ptr<Services> Another() = 0;
  // 32 random bytes from the kernel, URL-safe base64 (session tokens).
  [[nodiscard]] virtual std::string RandomToken() = 0;
  // Lock waits and connector calls end early once `stop` is true.
  virtual void SetStopFlag(const std::atomic<bool>* stop) = 0;
};

// Parses the command line and runs the command. Returns the exit code:
// 0 ok, 2 bad input or usage, 1 anything else.
int Main(int argc, char** argv, GlobalOptions& options, Services& services);

}  // namespace enrol::cli
