#include "engine/app/simulate_workflow.h"

#include <deque>
#include <optional>
#include <map>

#include <boost/json.hpp>

namespace enrol::app {
namespace json = boost::json;

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0";
  std::string out = "P";
  const int64_t days = ms / 86400000;
  ms %= 86400000;
  if (days) out += std::to_string(days) + "D";
  if (ms) {
    out += "T";
    const int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
    if (h) out += std::to_string(h) + "H";
    if (m) out += std::to_string(m) + "M";
    if (s || rest) out += std::to_string(s) + (rest ? "." + std::to_string(1000 + rest).substr(1) : "") + "S";
  }
  return out;
}

namespace {

// A run of the workflow on a virtual clock: timers and invokes become due
// events, and the clock jumps to the next one when nothing else is waiting.
class Simulation {
 public:
  Simulation(const sc::Interpreter& interp, const SimulationOptions& o)
      : interp_(interp), o_(o), events_(o.events.begin(), o.events.end()) {}

  SimulationResult Run() {
    const json::value* config = o_.config.is_null() ? nullptr : &o_.config;
    Record("", interp_.Start(inst_, o_.data, config));
    int steps = 0;
    while (inst_.running && ++steps < o_.max_steps) {
      std::optional<sc::Event> next = Next();
      if (!next) break;
      if (!next->send_id.empty()) by_send_id_.erase(next->send_id);
      Record(next->name, interp_.Apply(inst_, *next, config));
    }
    result_.finished = !inst_.running;
    result_.final_configuration = result_.steps.back().active;
    return std::move(result_);
  }

 private:
  // A due timer, else the next given event, else the next timer later on.
  std::optional<sc::Event> Next() {
    if (!due_.empty() && due_.begin()->first.first <= now_) return TakeDue();
    if (!events_.empty()) {
      sc::Event next = std::move(events_.front());
      events_.pop_front();
      return next;
    }
    if (due_.empty()) return std::nullopt;
    now_ = due_.begin()->first.first;  // jump the virtual clock
    return TakeDue();
  }
  sc::Event TakeDue() {
    sc::Event next = due_.begin()->second;
    due_.erase(due_.begin());
    return next;
  }

  void Record(const std::string& event, const sc::StepOutcome& out) {
    SimulationStep step;
    step.at_ms = now_;
    step.event = event;
    step.handled = out.handled;
    step.active = inst_.AtomicStateIds(interp_.chart());
    for (const sc::Effect& e : out.effects) {
      if (std::string note = Effect(e); !note.empty()) step.notes.push_back(std::move(note));
    }
    result_.steps.push_back(std::move(step));
  }

  // Carries out one effect on the virtual clock; returns its note ("": none).
  std::string Effect(const sc::Effect& e) {
    switch (e.kind) {
      case sc::Effect::kSchedule: {
        sc::Event ev;
        ev.name = e.name;
        ev.data = e.data;
        ev.send_id = e.id;
        if (auto it = by_send_id_.find(e.id); it != by_send_id_.end()) due_.erase(it->second);
        const auto key = std::make_pair(now_ + e.delay_ms, seq_++);
        due_[key] = ev;
        by_send_id_[e.id] = key;
        return "timer " + e.id + ": " + e.name + " in " + FormatDuration(e.delay_ms);
      }
      case sc::Effect::kCancelSchedule:
        if (auto it = by_send_id_.find(e.id); it != by_send_id_.end()) {
          due_.erase(it->second);
          by_send_id_.erase(it);
          return "timer " + e.id + " cancelled";
        }
        return "";  // not set: nothing to note
      case sc::Effect::kStartInvoke: {
        sc::Event ev;
        ev.invoke_id = e.id;
        if (o_.invoke_ok) {
          ev.name = "done.invoke." + e.id;
          ev.data = json::object{{"simulated", true}};
        } else {
          ev.name = "error.communication";
          ev.data = json::object{{"message", "no connectors in a simulation (use --invoke-ok)"}};
        }
        due_[{now_, seq_++}] = ev;
        return "invoke " + e.id + " (" + e.name + ")" + (o_.invoke_ok ? " ok" : " fails");
      }
      case sc::Effect::kCancelInvoke:
        return "invoke " + e.id + " cancelled";
      case sc::Effect::kLog:
        return "log " + e.name + (e.data.is_null() ? "" : ": " + json::serialize(e.data));
      case sc::Effect::kFinished:
        return "finished";
      case sc::Effect::kError:
        return "error.execution: " + std::string(e.data.at("message").as_string());
    }
    return "";
  }

  const sc::Interpreter& interp_;
  const SimulationOptions& o_;
  SimulationResult result_;
  sc::Instance inst_;
  int64_t now_ = 0;
  int64_t seq_ = 0;
  // Due events: (due, seq) -> event, so equal due times keep their order.
  std::map<std::pair<int64_t, int64_t>, sc::Event> due_;
  std::map<std::string, std::pair<int64_t, int64_t>> by_send_id_;
  std::deque<sc::Event> events_;
};

}  // namespace

SimulationResult SimulateWorkflow(const sc::Interpreter& interp, const SimulationOptions& o) {
  return Simulation(interp, o).Run();
}

}  // namespace enrol::app
