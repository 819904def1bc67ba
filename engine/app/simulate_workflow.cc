#include "engine/app/simulate_workflow.h"

#include <deque>
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

SimulationResult SimulateWorkflow(const sc::Interpreter& interp, const SimulationOptions& o) {
  SimulationResult result;
  sc::Instance inst;
  int64_t now = 0;
  int64_t seq = 0;
  // Due events: (due, seq) -> event, so equal due times keep their order.
  std::map<std::pair<int64_t, int64_t>, sc::Event> due;
  std::map<std::string, std::pair<int64_t, int64_t>> by_send_id;

  auto record = [&](const std::string& event, const sc::StepOutcome& out) {
    SimulationStep step;
    step.at_ms = now;
    step.event = event;
    step.handled = out.handled;
    step.active = inst.AtomicStateIds(interp.chart());
    for (const sc::Effect& e : out.effects) {
      switch (e.kind) {
        case sc::Effect::kSchedule: {
          sc::Event ev;
          ev.name = e.name;
          ev.data = e.data;
          ev.send_id = e.id;
          if (auto it = by_send_id.find(e.id); it != by_send_id.end()) due.erase(it->second);
          const auto key = std::make_pair(now + e.delay_ms, seq++);
          due[key] = ev;
          by_send_id[e.id] = key;
          step.notes.push_back("timer " + e.id + ": " + e.name + " in " + FormatDuration(e.delay_ms));
          break;
        }
        case sc::Effect::kCancelSchedule:
          if (auto it = by_send_id.find(e.id); it != by_send_id.end()) {
            due.erase(it->second);
            by_send_id.erase(it);
            step.notes.push_back("timer " + e.id + " cancelled");
          }
          break;
        case sc::Effect::kStartInvoke: {
          sc::Event ev;
          ev.invoke_id = e.id;
          if (o.invoke_ok) {
            ev.name = "done.invoke." + e.id;
            ev.data = json::object{{"simulated", true}};
          } else {
            ev.name = "error.communication";
            ev.data = json::object{{"message", "no connectors in a simulation (use --invoke-ok)"}};
          }
          due[{now, seq++}] = ev;
          step.notes.push_back("invoke " + e.id + " (" + e.name + ")" + (o.invoke_ok ? " ok" : " fails"));
          break;
        }
        case sc::Effect::kCancelInvoke:
          step.notes.push_back("invoke " + e.id + " cancelled");
          break;
        case sc::Effect::kLog:
          step.notes.push_back("log " + e.name + (e.data.is_null() ? "" : ": " + json::serialize(e.data)));
          break;
        case sc::Effect::kFinished:
          step.notes.push_back("finished");
          break;
        case sc::Effect::kError:
          step.notes.push_back("error.execution: " + std::string(e.data.at("message").as_string()));
          break;
      }
    }
    result.steps.push_back(std::move(step));
  };

  auto start = interp.Start(inst, o.data, o.config.is_null() ? nullptr : &o.config);
  record("", start);
  std::deque<sc::Event> events(o.events.begin(), o.events.end());
  int steps = 0;
  while (inst.running && ++steps < o.max_steps) {
    sc::Event next;
    if (!due.empty() && due.begin()->first.first <= now) {
      next = due.begin()->second;
      due.erase(due.begin());
    } else if (!events.empty()) {
      next = std::move(events.front());
      events.pop_front();
    } else if (!due.empty()) {
      now = due.begin()->first.first;  // jump the virtual clock
      next = due.begin()->second;
      due.erase(due.begin());
    } else {
      break;
    }
    if (!next.send_id.empty()) by_send_id.erase(next.send_id);
    auto out = interp.Apply(inst, next, o.config.is_null() ? nullptr : &o.config);
    record(next.name, out);
  }
  result.finished = !inst.running;
  result.final_configuration = result.steps.back().active;
  return result;
}

}  // namespace enrol::app
