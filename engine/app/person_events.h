#pragma once
// The events a person may send to a case, as the workflow declares them
// (<enrol:person-events>, see schemas/enrol-workflow.xsd): which are
// accepted in a case's state, and whether their data is what the
// declaration asks for. Pure.

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "engine/core/municipality.h"
#include "engine/core/result.h"
#include "engine/statechart/interpreter.h"

namespace enrol::app {

// The declared person events accepted while `inst` is in its configuration.
[[nodiscard]] std::vector<const sc::PersonEventSpec*> AcceptedPersonEvents(const sc::Chart& chart,
                                                                         const sc::Instance& inst);

// The same from the active atomic states as stored with a case ("sending
// registering archiving"), without reading its instance.
[[nodiscard]] std::vector<const sc::PersonEventSpec*> AcceptedPersonEvents(const sc::Chart& chart,
                                                                         std::string_view atomic_states);

// "approve, reject (reason), reassign (school, reason), deferred ([reason])".
[[nodiscard]] std::string DescribePersonEvents(const std::vector<const sc::PersonEventSpec*>& events);

// Checks `data` (an object or null) against the declaration: no unknown
// field, every required one present, each of its type (text: a string
// without control characters, at most maxlength characters; school: a school
// of the municipality that serves `grade`; boolean; date YYYY-MM-DD).
// Returns the data to apply; kInvalidArgument naming the field otherwise.
[[nodiscard]] Result<boost::json::object> CheckPersonEventData(const sc::PersonEventSpec& spec,
                                                              const boost::json::value& data,
                                                              const core::Municipality& municipality, int grade);

// True for event names only the engine may send (done.*, error.*, register.*).
[[nodiscard]] bool IsEngineEvent(const std::string& name);

}  // namespace enrol::app
