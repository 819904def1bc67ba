#pragma once
// The simulators' own entry point: each simulator opened on its store and
// served over HTTP from a process of its own (`enrol simulate ...`), with
// its faults. The command line only parses the options and calls these;
// what a simulator is made of is decided here.

#include <functional>
#include <string>

#include "connectors/simulators/fault_plan.h"
#include "connectors/simulators/noark5_archive.h"
#include "connectors/simulators/simulated_systems.h"
#include "connectors/simulators/svarut_post.h"
#include "engine/core/result.h"

namespace enrol::sim {

struct ServeAt {
  std::string address = "127.0.0.1";
  int port = 0;                             // 0: any free port
  std::function<void(const std::string& banner)> on_listening;  // once listening
};

// Parses ADDRESS:PORT (as --listen takes it).
[[nodiscard]] Result<ServeAt> ParseListen(const std::string& listen);

// Each runs until the process is stopped; an error when it cannot start.
[[nodiscard]] Status RunSimulatedSystems(const SimulatorOptions& o, const ServeAt& at);
// The Noark 5 archive, with Fiks Arkiv on a drop folder beside it when
// `fiks_folder` is given.
[[nodiscard]] Status RunArchiveSimulator(const Noark5ArchiveOptions& o, const FaultOptions& faults,
                                         const std::string& fiks_folder, const ServeAt& at);
[[nodiscard]] Status RunStudentSystemSimulator(const std::string& db_path, const FaultOptions& faults,
                                               const ServeAt& at);
[[nodiscard]] Status RunSvarUtSimulator(const SvarUtOptions& o, const FaultOptions& faults, const ServeAt& at);

}  // namespace enrol::sim
