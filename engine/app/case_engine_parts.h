#pragma once
// What the case engine's files share (engine/app/case_*.cc, worker_*.cc):
// the case row's text for a statechart instance and an audit row's
// description of a step. Internal to the engine.

#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/app/case_ports.h"
#include "engine/statechart/interpreter.h"

namespace enrol::app::detail {

// The active atomic states, space-separated (CaseRecord::state).
std::string JoinStates(const std::vector<std::string>& states);
// "active", or the top-level final state reached (CaseRecord::status).
std::string FinalStatus(const sc::Instance& inst, const sc::Chart& chart);
// One audit row per applied event: the event, the transitions and the effects.
std::string DescribeStep(const std::string& event, const std::string& from, const std::string& to,
                         const sc::StepOutcome& out);

// Sets the case row's school and protection from its instance's data, by
// the workflow's roles.
void TakeRoles(CaseRecord& c, const boost::json::object& data, const sc::WorkflowRoles& roles);

}  // namespace enrol::app::detail
