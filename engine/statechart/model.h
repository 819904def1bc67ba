#pragma once
// A statechart as read from an SCXML document: states in document order
// (index 0 is the <scxml> root), transitions, executable content and invokes.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/statechart/expression.h"

namespace enrol::sc {

enum class StateKind { kRoot, kAtomic, kCompound, kParallel, kFinal, kHistoryShallow, kHistoryDeep };

// One element of executable content.
struct Action {
  enum Kind { kRaise, kSend, kCancel, kLog, kIf, kAssign } kind = kLog;
  int line = 0;
  std::string event;       // raise, send
  std::string send_id;     // send id=, cancel sendid=
  Expression send_id_expr; // cancel sendidexpr=
  std::string delay;       // send delay= ("5s", "P14D")
  Expression delay_expr;   // send delayexpr=
  std::vector<std::pair<std::string, Expression>> params;  // send <param>
  std::string label;       // log label=
  Expression expr;         // log expr=, assign expr=
  std::string location;    // assign location=
  // if / elseif / else: branches in order; an else has an empty condition.
  struct Branch {
    Expression cond;
    std::vector<Action> actions;
  };
  std::vector<Branch> branches;
};

struct Transition {
  int source = 0;
  std::vector<std::string> events;  // empty: eventless
  Expression cond;
  std::vector<int> targets;         // empty: targetless
  bool internal = false;
  std::vector<Action> actions;
  int line = 0;
  int order = 0;                    // document order among transitions
};

struct Invoke {
  std::string id;      // id= or generated from the state
  std::string type;    // connector name
  std::vector<std::pair<std::string, Expression>> params;
  int line = 0;
};

struct State {
  std::string id;
  StateKind kind = StateKind::kAtomic;
  int parent = -1;
  int depth = 0;
  int line = 0;
  std::vector<int> children;
  std::vector<int> transitions;            // indexes into Chart::transitions
  int initial_transition = -1;             // compound/root: default entry
  std::vector<std::vector<Action>> onentry;
  std::vector<std::vector<Action>> onexit;
  std::vector<Invoke> invokes;
};

// What a person may send (engine-made events, done.*, error.*, register.*
// and timers, are never a person's). Declared in the workflow file:
//   <enrol:person-events xmlns:enrol="urn:enrol:workflow:1">
//     <enrol:event name="reject" in="awaiting_approval">
//       <enrol:field name="reason" type="text" required="true"/>
//     </enrol:event>
//   </enrol:person-events>
struct PersonField {
  std::string name;
  std::string type = "text";  // text | school | boolean | date
  bool required = false;
  int max_length = 500;       // text
  std::string label;          // what a form calls it (the web app), may be empty
  int line = 0;
};
struct PersonEventSpec {
  std::string name;
  std::vector<int> states;    // accepted while one of these (or a descendant) is active
  std::vector<PersonField> fields;  // the data it takes; no other field is accepted
  // Who may send it: "school" (the secretaries of the case's school, and the
  // education office) or "office" (the education office only; the default).
  std::string by = "office";
  std::string label;          // what a button calls it (the web app), may be empty
  int line = 0;
};

inline constexpr const char* kEnrolWorkflowNamespace = "urn:enrol:workflow:1";

// Events only the engine sends, never a person: done.*, error.*, register.*
// (the register's changes) and post.* (the print batch's receipt).
inline bool IsEngineEventName(const std::string& name) {
  for (const char* p : {"done", "error", "register", "post"}) {
    const std::string prefix(p);
    if (name == prefix || name.rfind(prefix + ".", 0) == 0) return true;
  }
  return false;
}

// The names by which the engine's C++ knows parts of a workflow, bound in
// the workflow file (<enrol:roles>), so that a state or field renamed there
// needs no change in the engine. Empty when the workflow declares none.
struct WorkflowRoles {
  std::string protected_flag;   // data: true while the child or a guardian has a protected address
  std::string school;           // data: the school the case is placed at
  std::string deferral_field;   // data: set to deferral_value when the start is deferred to next year
  std::string deferral_value;
  std::string print_wait;       // state: waiting for the school's print batch (post.printed)
  std::string manual;           // state: handled by the education office by hand
  std::string protection_stop;  // event: the engine's stop of a case whose address became protected
  int line = 0;                 // of <enrol:roles>; 0: not declared
};

struct Chart {
  std::string name;
  WorkflowRoles roles;
  std::string hash;  // SHA-256 of the source text: the definition's version
  std::vector<State> states;
  std::vector<Transition> transitions;
  std::map<std::string, int> by_id;
  std::vector<std::pair<std::string, Expression>> data;  // <datamodel>
  std::vector<PersonEventSpec> person_events;

  [[nodiscard]] const PersonEventSpec* PersonEvent(const std::string& name) const {
    for (const auto& e : person_events) {
      if (e.name == name) return &e;
    }
    return nullptr;
  }

  [[nodiscard]] int Find(const std::string& id) const {
    auto it = by_id.find(id);
    return it == by_id.end() ? -1 : it->second;
  }
  [[nodiscard]] bool IsDescendant(int s, int ancestor) const {
    for (int p = states[s].parent; p >= 0; p = states[p].parent) {
      if (p == ancestor) return true;
    }
    return false;
  }
};

// A problem found in a definition, with its line.
struct Diagnostic {
  int line = 0;
  std::string message;
};

// Reads an SCXML document (the subset in schemas/scxml-subset.xsd). Errors
// that make the chart unusable are returned with their line; `warnings`
// (may be null) receives problems `workflow check` reports but the engine
// can live with. `known_invoke_types` (empty: any) lists connector names.
[[nodiscard]] Result<std::shared_ptr<const Chart>> ReadScxml(
    std::string_view text, std::vector<Diagnostic>* problems,
    const std::vector<std::string>& known_invoke_types = {});

// Milliseconds in an SCXML delay ("500ms", "2s", "1.5min", "3h", "2d") or an
// ISO 8601 duration ("P14D", "PT2H30M", "P1W"). Months and years are refused
// (their length varies).
[[nodiscard]] Result<int64_t> ParseDelay(std::string_view text);

}  // namespace enrol::sc
