#include "engine/statechart/graph.h"

namespace enrol::sc {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

// The node an edge to or from state `s` attaches to: the state itself when
// it is a node, else a hidden anchor inside its cluster.
std::string Anchor(const Chart& c, int s) {
  const StateKind k = c.states[s].kind;
  if (k == StateKind::kCompound || k == StateKind::kParallel) return Quote("_anchor_" + c.states[s].id);
  return Quote(c.states[s].id);
}

void Emit(const Chart& c, int s, int indent, std::string& out) {
  const State& st = c.states[s];
  const std::string pad(static_cast<size_t>(indent) * 2, ' ');
  switch (st.kind) {
    case StateKind::kCompound:
    case StateKind::kParallel:
      out += pad + "subgraph " + Quote("cluster_" + st.id) + " {\n";
      out += pad + "  label=" + Quote(st.id + (st.kind == StateKind::kParallel ? " (parallel)" : "")) + ";\n";
      if (st.kind == StateKind::kParallel) out += pad + "  style=dashed;\n";
      out += pad + "  " + Anchor(c, s) + " [shape=point, style=invis];\n";
      for (int ch : st.children) Emit(c, ch, indent + 1, out);
      out += pad + "}\n";
      break;
    case StateKind::kFinal:
      out += pad + Quote(st.id) + " [shape=doublecircle];\n";
      break;
    case StateKind::kHistoryShallow:
    case StateKind::kHistoryDeep:
      out += pad + Quote(st.id) + " [shape=circle, label=" +
             Quote(st.kind == StateKind::kHistoryDeep ? "H*" : "H") + "];\n";
      break;
    default: {
      std::string label = st.id;
      for (const Invoke& inv : st.invokes) label += "\\ninvoke " + inv.type;
      out += pad + Quote(st.id) + " [shape=box, style=rounded, label=\"" + label + "\"];\n";
    }
  }
}

}  // namespace

std::string ToDot(const Chart& c) {
  std::string out = "digraph " + Quote(c.name.empty() ? "workflow" : c.name) + " {\n";
  out += "  compound=true;\n  rankdir=LR;\n  node [fontname=\"Helvetica\"];\n";
  out += "  \"_start\" [shape=point];\n";
  for (int ch : c.states[0].children) Emit(c, ch, 1, out);
  if (c.states[0].initial_transition >= 0) {
    for (int t : c.transitions[c.states[0].initial_transition].targets) {
      out += "  \"_start\" -> " + Anchor(c, t) + ";\n";
    }
  }
  for (size_t s = 1; s < c.states.size(); ++s) {
    for (int ti : c.states[s].transitions) {
      const Transition& t = c.transitions[ti];
      std::string label;
      for (const auto& e : t.events) label += (label.empty() ? "" : " ") + e;
      if (!t.cond.empty()) label += " [" + t.cond.text() + "]";
      const std::vector<int> targets = t.targets.empty() ? std::vector<int>{t.source} : t.targets;
      for (int target : targets) {
        out += "  " + Anchor(c, t.source) + " -> " + Anchor(c, target) + " [label=" + Quote(label);
        const StateKind sk = c.states[t.source].kind;
        if (sk == StateKind::kCompound || sk == StateKind::kParallel) {
          out += ", ltail=" + Quote("cluster_" + c.states[t.source].id);
        }
        if (t.targets.empty()) out += ", style=dotted";
        out += "];\n";
      }
    }
  }
  out += "}\n";
  return out;
}

}  // namespace enrol::sc
