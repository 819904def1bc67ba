#pragma once
// Use case: run a workflow definition in memory, with no case and no
// connectors, on a virtual clock. This is how a municipality tries a changed
// workflow before it goes live, and how the semantics are tested end to end.
//
// Events are fed in the order given. Before each, whatever is due now runs
// first (results of invokes, sends without delay). When no event is left,
// the clock jumps to the next delayed send, so timers fire in due-time order
// without waiting. Invokes fail with error.communication unless invoke_ok,
// when they finish at once with done.invoke.ID.

#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "engine/statechart/interpreter.h"

namespace enrol::app {

struct SimulationOptions {
  std::vector<sc::Event> events;
  boost::json::object data;
  boost::json::value config;  // the "config" value workflows read (delays, ...)
  bool invoke_ok = false;
  int max_steps = 10000;
};

struct SimulationStep {
  int64_t at_ms = 0;            // virtual time
  std::string event;            // "" for the start
  bool handled = false;
  std::vector<std::string> active;
  std::vector<std::string> notes;  // invokes started, timers set, logs
};

struct SimulationResult {
  std::vector<SimulationStep> steps;
  bool finished = false;        // a top-level final state was reached
  std::vector<std::string> final_configuration;
};

[[nodiscard]] SimulationResult SimulateWorkflow(const sc::Interpreter& interpreter,
                                                const SimulationOptions& options);

// "P14DT2H" style rendering of milliseconds for people.
std::string FormatDuration(int64_t ms);

}  // namespace enrol::app
