// `enrol simulate ...`: the options of the simulators' own entry point
// (connectors/simulators/simulator_main.h), which builds and serves them.
#include <iostream>

#include "connectors/simulators/simulator_main.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"

namespace enrol::cli {
namespace {

sim::FaultOptions Faults(const SimulatorFaultArgs& a) {
  sim::FaultOptions f;
  f.error_share = a.error;
  f.throttle_share = a.throttle;
  f.drop_share = a.drop;
  f.timeout_share = a.timeout;
  f.slow_share = a.slow;
  f.slow_ms = a.slow_ms;
  f.latency_ms = a.latency_ms;
  f.seed = a.seed;
  return f;
}

// Where to listen, announcing on stdout once listening.
Result<sim::ServeAt> At(const std::string& listen) {
  ENROL_ASSIGN_OR_RETURN(sim::ServeAt at, sim::ParseListen(listen));
  at.on_listening = [](const std::string& banner) { std::cout << banner << std::endl; };
  return at;
}

int Done(const Status& st) { return st ? 0 : ReportError(st.error()); }

}  // namespace

int RunSimulateSystems(const GlobalOptions&, Services&, const SimulateSystemsArgs& a) {
  auto at = At(a.listen);
  if (!at) return ReportError(at.error());
  sim::SimulatorOptions o;
  o.db_path = a.db;
  o.fail_first_attempts = a.fail_first;
  o.fail_always = a.fail_always;
  return Done(sim::RunSimulatedSystems(o, *at));
}

int RunSimulateArchive(const GlobalOptions&, Services&, const SimulateArchiveArgs& a) {
  auto at = At(a.listen);
  if (!at) return ReportError(at.error());
  sim::Noark5ArchiveOptions o;
  o.db_path = a.db;
  if (!a.arkivdel.empty()) o.arkivdel_title = a.arkivdel;
  return Done(sim::RunArchiveSimulator(o, Faults(a.faults), a.fiks_folder, *at));
}

int RunSimulateSis(const GlobalOptions&, Services&, const SimulateSisArgs& a) {
  auto at = At(a.listen);
  if (!at) return ReportError(at.error());
  return Done(sim::RunStudentSystemSimulator(a.db, Faults(a.faults), *at));
}

int RunSimulatePost(const GlobalOptions&, Services&, const SimulatePostArgs& a) {
  auto at = At(a.listen);
  if (!at) return ReportError(at.error());
  sim::SvarUtOptions o;
  o.db_path = a.db;
  o.undeliverable_share = a.undeliverable;
  o.status_step_ms = a.status_step_ms;
  return Done(sim::RunSvarUtSimulator(o, Faults(a.faults), *at));
}

}  // namespace enrol::cli
