// workflow check | graph | simulate.
#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "engine/app/simulate_workflow.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"
#include "engine/statechart/graph.h"

namespace enrol::cli {
namespace json = boost::json;
namespace {

Result<std::string> ReadText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return InvalidArgument("cannot read " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

int RunWorkflowCheck(const GlobalOptions& g, Services& s, const WorkflowArgs& a) {
  auto text = ReadText(a.file);
  if (!text) return ReportError(text.error());
  std::vector<sc::Diagnostic> problems;
  auto chart = sc::ReadScxml(*text, &problems, s.InvokeTypes());
  if (g.json) {
    json::array list;
    for (const auto& p : problems) list.push_back(json::object{{"line", p.line}, {"message", p.message}});
    if (!chart && list.empty()) list.push_back(json::object{{"line", 0}, {"message", chart.error().message}});
    json::object o{{"file", a.file}, {"ok", chart.has_value() && problems.empty()}, {"problems", std::move(list)}};
    if (chart) {
      o["version"] = (*chart)->hash;
      o["states"] = static_cast<int>((*chart)->states.size() - 1);
    }
    PrintJson(o);
  } else {
    for (const auto& p : problems) std::cout << a.file << ":" << p.line << ": " << p.message << "\n";
    if (chart && problems.empty()) {
      std::cout << a.file << ": ok (" << (*chart)->states.size() - 1 << " states, "
                << (*chart)->transitions.size() << " transitions, version "
                << (*chart)->hash.substr(0, 12) << ")\n";
    } else if (!chart && problems.empty()) {
      std::cout << a.file << ": " << chart.error().message << "\n";
    } else {
      std::cout << a.file << ": " << problems.size() << " problem(s)\n";
    }
  }
  return chart && problems.empty() ? 0 : 2;
}

int RunWorkflowGraph(const GlobalOptions&, Services&, const WorkflowArgs& a) {
  auto text = ReadText(a.file);
  if (!text) return ReportError(text.error());
  auto chart = sc::ReadScxml(*text, nullptr);
  if (!chart) return ReportError(chart.error().WithContext(a.file));
  std::cout << sc::ToDot(**chart);
  return 0;
}

int RunWorkflowSimulate(const GlobalOptions& g, Services& s, const SimulateArgs& a) {
  auto text = ReadText(a.file);
  if (!text) return ReportError(text.error());
  auto chart = sc::ReadScxml(*text, nullptr);
  if (!chart) return ReportError(chart.error().WithContext(a.file));
  app::SimulationOptions o;
  o.invoke_ok = a.invoke_ok;
  for (const std::string& spec : a.events) {
    sc::Event e;
    const size_t eq = spec.find('=');
    e.name = spec.substr(0, eq);
    if (e.name.empty()) return ReportError(Error{ErrorCode::kInvalidArgument, "--event needs a name: NAME or NAME=JSON"});
    if (eq != std::string::npos) {
      boost::system::error_code ec;
      e.data = json::parse(spec.substr(eq + 1), ec);
      if (ec) {
        return ReportError(Error{ErrorCode::kInvalidArgument,
                                 "--event " + e.name + ": the data after '=' is not JSON (" + ec.message() + ")"});
      }
    }
    o.events.push_back(std::move(e));
  }
  if (!a.data.empty()) {
    boost::system::error_code ec;
    json::value d = json::parse(a.data, ec);
    if (ec || !d.is_object()) {
      return ReportError(Error{ErrorCode::kInvalidArgument, "--data must be a JSON object"});
    }
    o.data = d.get_object();
  }
  if (auto settings = s.Settings()) o.config = (*settings)->workflow_config;
  const app::SimulationResult r = app::SimulateWorkflow(sc::Interpreter(*chart), o);
  if (g.json) {
    json::array steps;
    for (const auto& st : r.steps) {
      json::array active, notes;
      for (const auto& x : st.active) active.push_back(json::string(x));
      for (const auto& x : st.notes) notes.push_back(json::string(x));
      steps.push_back(json::object{{"at", app::FormatDuration(st.at_ms)}, {"event", st.event},
                                   {"handled", st.handled}, {"active", std::move(active)},
                                   {"notes", std::move(notes)}});
    }
    json::array fin;
    for (const auto& x : r.final_configuration) fin.push_back(json::string(x));
    PrintJson(json::object{{"finished", r.finished}, {"steps", std::move(steps)}, {"final", std::move(fin)}});
  } else {
    for (const auto& st : r.steps) {
      std::string active;
      for (const auto& x : st.active) active += (active.empty() ? "" : " ") + x;
      std::cout << "[" << app::FormatDuration(st.at_ms) << "] "
                << (st.event.empty() ? "(start)" : st.event + (st.handled ? "" : " (no transition)"))
                << " -> " << active << "\n";
      for (const auto& n : st.notes) std::cout << "    " << n << "\n";
    }
    std::string fin;
    for (const auto& x : r.final_configuration) fin += (fin.empty() ? "" : " ") + x;
    std::cout << (r.finished ? "final: " : "stopped (not final): ") << fin << "\n";
  }
  return r.finished ? 0 : 1;
}

}  // namespace enrol::cli
