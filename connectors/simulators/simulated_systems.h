#pragma once
// Test doubles that play the external systems a case works with: the letter
// renderer ("letters"), dispatch to the guardians ("dispatch"), the student
// system ("student_system") and the archive ("archive"). Named simulators,
// not the real connectors (those are the next issues' work).
//
// Like the real systems they apply each idempotency key once: a repeated key
// returns the first receipt. A repeated key whose request differs from the
// first (the request must be byte-identical on every attempt) is refused
// with a permanent error. They keep what they applied in their own SQLite
// file, apart from the engine's database, so a test can kill the engine and
// still count, afterwards, how often each effect was applied.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/app/case_ports.h"

namespace enrol::sim {

struct SimulatorOptions {
  std::string db_path;           // "" or ":memory:": in memory
  int fail_first_attempts = 0;   // each key fails this many times first
  std::map<std::string, int> fail_first_by_type;  // per system, overrides the above
  bool fail_always = false;      // every call fails (for incident tests)
};

class SimulatedSystems {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SimulatedSystems>> Open(const SimulatorOptions& options);
  ~SimulatedSystems();

  // The connector for one system ("letters", "dispatch", ...).
  app::Connector* Get(const std::string& type);
  std::map<std::string, app::Connector*> All();

  // What was applied: effects per system, and calls per key (for tests).
  [[nodiscard]] Result<int64_t> EffectCount(const std::string& type);
  // Effects per case for one system (by the case_ref parameter). An engine
  // that re-sent work under a new key would show a count above 1.
  [[nodiscard]] Result<std::map<std::string, int>> EffectsPerCase(const std::string& type);
  // Calls per idempotency key for one system, failed ones included.
  [[nodiscard]] Result<std::map<std::string, int64_t>> CallsPerKey(const std::string& type);

  app::JobOutcome Execute(const std::string& type, const app::JobRequest& request);

 private:
  SimulatedSystems() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::map<std::string, std::unique_ptr<app::Connector>> connectors_;
  std::mutex mu_;
};

}  // namespace enrol::sim
