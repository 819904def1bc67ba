#pragma once
// Runs a Chart by the W3C SCXML algorithm (https://www.w3.org/TR/scxml/,
// appendix D) for the supported subset. Pure: it changes an Instance and
// returns the effects for its host to carry out (timers, invokes, logs).
//
// Rules (each has tests in tests/statechart/interpreter_test.cc):
//   - transitions are selected from atomic states in document order, each
//     looking up its ancestors; conflicts resolve in favour of descendants
//     (removeConflictingTransitions);
//   - a microstep exits the exit set in reverse document order (recording
//     history first), runs transition content, then enters in document order;
//   - a macrostep takes eventless transitions, then internal events, until
//     neither is left; only then is the next external event taken;
//   - done.state.ID when a compound's final child is entered, or every region
//     of a parallel is in a final state; reaching a top-level final ends it;
//   - an error in executable content stops that block and raises
//     error.execution;
//   - invokes start at the end of the macrostep for states still active, are
//     cancelled when their state is exited, and events from a cancelled
//     invoke are dropped.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "engine/statechart/model.h"

namespace enrol::sc {

struct Event {
  std::string name;
  boost::json::value data;
  std::string invoke_id;  // set on events from an invoke (done.invoke.*, error.communication)
  std::string send_id;
};

struct Effect {
  enum Kind {
    kSchedule,        // deliver event `name` with `data` to the case after delay_ms (id: send id)
    kCancelSchedule,  // cancel the delivery with send id `id`
    kStartInvoke,     // start connector `name` (id: invoke id, data: params, state)
    kCancelInvoke,    // cancel invoke `id`
    kLog,             // name: label, data: value
    kFinished,        // a top-level final state was reached
    kError,           // error.execution was raised (data: message, line)
  } kind = kLog;
  std::string id;
  std::string name;
  boost::json::value data;
  int64_t delay_ms = 0;
  std::string state;
};

// The running state of one statechart. Serialisable (ToJson/FromJson) by
// state ids, so it survives restarts and definition migrations.
struct Instance {
  std::vector<int> configuration;              // state indexes, document order
  std::map<int, std::vector<int>> history;     // history state -> remembered states
  boost::json::object data;
  int64_t next_id = 1;                         // for generated send and invoke ids
  std::map<std::string, std::string> invokes;  // active invoke id -> state id
  bool running = false;

  [[nodiscard]] bool Active(int state) const;
  [[nodiscard]] boost::json::object ToJson(const Chart& chart) const;
  // Like ToJson, but moves the data out instead of copying it.
  [[nodiscard]] boost::json::object TakeJson(const Chart& chart) &&;
  [[nodiscard]] static Result<Instance> FromJson(const Chart& chart, const boost::json::object& o);
  // Like FromJson, but takes the data over instead of copying it.
  [[nodiscard]] static Result<Instance> FromJson(const Chart& chart, boost::json::object&& o);
  // Ids of the active atomic states, in document order.
  [[nodiscard]] std::vector<std::string> AtomicStateIds(const Chart& chart) const;
};

struct StepOutcome {
  std::vector<Effect> effects;
  std::vector<std::string> trace;  // "source -[event]-> target" per transition taken
  bool handled = false;            // the external event enabled a transition
};

class Interpreter {
 public:
  explicit Interpreter(std::shared_ptr<const Chart> chart) : chart_(std::move(chart)) {}

  // Initialises the data model (<data>, then `input` over it) and runs to a
  // stable state. `config`, when given, is readable as `config.*` in
  // expressions; it is not stored in the instance, so a changed configuration
  // applies from the next step on.
  [[nodiscard]] StepOutcome Start(Instance& inst, const boost::json::object& input,
                                  const boost::json::value* config = nullptr) const;
  // Applies one external event, then runs to a stable state. Events for a
  // finished instance, and events from cancelled invokes, are dropped.
  [[nodiscard]] StepOutcome Apply(Instance& inst, const Event& event,
                                  const boost::json::value* config = nullptr) const;

  [[nodiscard]] const Chart& chart() const { return *chart_; }

  // True when event descriptor `descriptor` matches event `name`.
  static bool NameMatches(std::string_view descriptor, std::string_view name);

 private:
  std::shared_ptr<const Chart> chart_;
};

}  // namespace enrol::sc
