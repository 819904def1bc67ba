#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <set>

#include <pugixml.hpp>

#include "engine/core/sha256.h"
#include "engine/statechart/interpreter.h"
#include "engine/statechart/model.h"

namespace enrol::sc {
namespace {

std::string_view Local(const char* name) {
  const char* colon = std::strchr(name, ':');
  return colon ? std::string_view(colon + 1) : std::string_view(name);
}

std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    size_t j = i;
    while (j < s.size() && !std::isspace(static_cast<unsigned char>(s[j]))) ++j;
    if (j > i) out.emplace_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

class Reader {
 public:
  Reader(std::string_view text, std::vector<Diagnostic>* problems,
         const std::vector<std::string>& invoke_types)
      : text_(text), problems_(problems), invoke_types_(invoke_types) {
    line_starts_.push_back(0);
    for (size_t i = 0; i < text.size(); ++i) {
      if (text[i] == '\n') line_starts_.push_back(i + 1);
    }
  }

  // How deeply elements may nest (states, executable content) and how many
  // there may be: a workflow is read recursively.
  static constexpr int kMaxDepth = 64;
  static constexpr int kMaxElements = 20000;

  Result<std::shared_ptr<const Chart>> Read() {
    if (text_.find_first_not_of(" \t\r\n") == std::string_view::npos) {
      return InvalidArgument("the file is empty (an SCXML document starts with <scxml>)");
    }
    pugi::xml_document doc;
    const auto parsed = doc.load_buffer(text_.data(), text_.size(),
                                        pugi::parse_default | pugi::parse_ws_pcdata_single);
    if (!parsed) {
      return InvalidArgument("line " + std::to_string(LineOf(parsed.offset)) +
                             ": not well-formed XML (" + parsed.description() + ")");
    }
    const pugi::xml_node root = doc.document_element();
    if (!root) return InvalidArgument("the file holds no XML element (an SCXML document starts with <scxml>)");
    // Bounds, checked before anything reads the tree recursively.
    {
      int depth = 0, max_depth = 0, elements = 0;
      pugi::xml_node n = root;
      while (n) {
        if (n.type() == pugi::node_element) {
          ++elements;
          max_depth = std::max(max_depth, depth);
        }
        if (n.first_child()) {
          n = n.first_child();
          ++depth;
          continue;
        }
        while (n && n != root && !n.next_sibling()) {
          n = n.parent();
          --depth;
        }
        if (!n || n == root) break;
        n = n.next_sibling();
      }
      if (max_depth > kMaxDepth) {
        return InvalidArgument("elements nested " + std::to_string(max_depth) + " levels deep (at most " +
                               std::to_string(kMaxDepth) + ")");
      }
      if (elements > kMaxElements) {
        return InvalidArgument(std::to_string(elements) + " elements (at most " + std::to_string(kMaxElements) + ")");
      }
    }
    if (Local(root.name()) != "scxml") {
      return InvalidArgument("line " + std::to_string(Line(root)) + ": the root element must be <scxml>");
    }
    chart_ = std::make_shared<Chart>();
    chart_->name = root.attribute("name").as_string();
    chart_->hash = core::Sha256Hex(text_);
    State r;
    r.id = "scxml";
    r.kind = StateKind::kRoot;
    r.line = Line(root);
    chart_->states.push_back(r);
    ReadChildren(root, 0);
    ResolveInitial(0, root.attribute("initial").as_string(), Line(root));
    ResolveTargets();
    ResolvePersonStates();
    ResolveRoles();
    if (!errors_.empty()) {
      std::string msg = std::to_string(errors_.size()) + " error(s) in the workflow definition:";
      for (const auto& e : errors_) msg += "\n  line " + std::to_string(e.line) + ": " + e.message;
      if (problems_) problems_->insert(problems_->end(), errors_.begin(), errors_.end());
      return InvalidArgument(msg);
    }
    Check();
    return std::shared_ptr<const Chart>(chart_);
  }

 private:
  int LineOf(ptrdiff_t offset) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), static_cast<size_t>(offset));
    return static_cast<int>(it - line_starts_.begin());
  }
  int Line(const pugi::xml_node& n) const { return LineOf(n.offset_debug()); }
  void Error(int line, std::string msg) { errors_.push_back({line, std::move(msg)}); }
  void Warn(int line, std::string msg) {
    if (problems_) problems_->push_back({line, std::move(msg)});
  }

  Expression Expr(const pugi::xml_node& n, const char* attr, bool required = false) {
    const pugi::xml_attribute a = n.attribute(attr);
    if (!a) {
      if (required) Error(Line(n), std::string("<") + n.name() + "> needs " + attr + "=");
      return {};
    }
    auto e = Expression::Parse(a.as_string());
    if (!e) {
      Error(Line(n), e.error().message);
      return {};
    }
    return *e;
  }

  std::vector<Action> ReadActions(const pugi::xml_node& block) {
    std::vector<Action> out;
    for (pugi::xml_node c = block.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      const std::string_view name = Local(c.name());
      Action a;
      a.line = Line(c);
      if (name == "raise") {
        a.kind = Action::kRaise;
        a.event = c.attribute("event").as_string();
        if (a.event.empty()) Error(a.line, "<raise> needs event=");
      } else if (name == "send") {
        a.kind = Action::kSend;
        a.event = c.attribute("event").as_string();
        if (a.event.empty()) Error(a.line, "<send> needs event= (eventexpr is not supported)");
        const std::string target = c.attribute("target").as_string();
        if (!target.empty() && target != "#_internal") {
          Error(a.line, "<send> may only target the case itself (no target=, or #_internal); "
                        "start work in other systems with <invoke>");
        }
        a.send_id = c.attribute("id").as_string();
        a.delay = c.attribute("delay").as_string();
        a.delay_expr = Expr(c, "delayexpr");
        if (!a.delay.empty()) {
          auto d = ParseDelay(a.delay);
          if (!d) Error(a.line, d.error().message);
        }
        for (pugi::xml_node p : c.children()) {
          if (Local(p.name()) != "param") continue;
          a.params.emplace_back(p.attribute("name").as_string(), Expr(p, "expr", true));
        }
      } else if (name == "cancel") {
        a.kind = Action::kCancel;
        a.send_id = c.attribute("sendid").as_string();
        a.send_id_expr = Expr(c, "sendidexpr");
        if (a.send_id.empty() && a.send_id_expr.empty()) Error(a.line, "<cancel> needs sendid= or sendidexpr=");
      } else if (name == "log") {
        a.kind = Action::kLog;
        a.label = c.attribute("label").as_string();
        a.expr = Expr(c, "expr");
      } else if (name == "assign") {
        a.kind = Action::kAssign;
        a.location = c.attribute("location").as_string();
        if (a.location.empty()) Error(a.line, "<assign> needs location=");
        a.expr = Expr(c, "expr", true);
      } else if (name == "if") {
        a.kind = Action::kIf;
        Action::Branch branch;
        branch.cond = Expr(c, "cond", true);
        // Children up to the next elseif/else belong to the current branch.
        pugi::xml_document holder;
        pugi::xml_node current = holder.append_child("block");
        for (pugi::xml_node k = c.first_child(); k; k = k.next_sibling()) {
          const std::string_view kn = Local(k.name());
          if (kn == "elseif" || kn == "else") {
            branch.actions = ReadActionsFrom(current, c);
            a.branches.push_back(std::move(branch));
            branch = Action::Branch{};
            if (kn == "elseif") branch.cond = Expr(k, "cond", true);
            holder.remove_child(current);
            current = holder.append_child("block");
          } else {
            current.append_copy(k);
          }
        }
        branch.actions = ReadActionsFrom(current, c);
        a.branches.push_back(std::move(branch));
      } else if (name == "script") {
        Error(a.line, "<script> is not supported: use <assign> and the expression language");
        continue;
      } else {
        Error(a.line, "<" + std::string(name) + "> is not executable content enrol supports");
        continue;
      }
      out.push_back(std::move(a));
    }
    return out;
  }

  // Copies lose their offsets; line numbers are taken from the original <if>.
  std::vector<Action> ReadActionsFrom(const pugi::xml_node& copy, const pugi::xml_node& original) {
    std::vector<Action> actions = ReadActions(copy);
    std::function<void(std::vector<Action>&)> fix = [&](std::vector<Action>& v) {
      for (Action& x : v) {
        x.line = Line(original);
        for (auto& b : x.branches) fix(b.actions);
      }
    };
    fix(actions);
    return actions;
  }

  static bool IsStateElement(std::string_view n) {
    return n == "state" || n == "parallel" || n == "final" || n == "history";
  }

  void ReadChildren(const pugi::xml_node& el, int parent) {
    for (pugi::xml_node c = el.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      const std::string_view name = Local(c.name());
      if (IsStateElement(name)) {
        if (name == "history" && parent == 0) Error(Line(c), "<history> cannot be a child of <scxml>");
        ReadState(c, parent);
      } else if (name == "transition") {
        if (parent == 0) {
          Error(Line(c), "<transition> cannot be a child of <scxml>");
          continue;
        }
        ReadTransition(c, parent);
      } else if (name == "onentry") {
        chart_->states[parent].onentry.push_back(ReadActions(c));
      } else if (name == "onexit") {
        chart_->states[parent].onexit.push_back(ReadActions(c));
      } else if (name == "invoke") {
        ReadInvoke(c, parent);
      } else if (name == "initial") {
        pugi::xml_node t = c.child("transition");
        if (!t) {
          Error(Line(c), "<initial> needs a <transition>");
          continue;
        }
        initial_elements_[parent] = {t.attribute("target").as_string(), Line(c)};
        const int ti = ReadTransition(t, parent, /*attach=*/false);
        chart_->states[parent].initial_transition = ti;
      } else if (name == "datamodel") {
        if (parent != 0) {
          Error(Line(c), "<datamodel> is supported at the top level only");
          continue;
        }
        for (pugi::xml_node d : c.children()) {
          if (Local(d.name()) != "data") continue;
          const std::string id = d.attribute("id").as_string();
          if (id.empty()) Error(Line(d), "<data> needs id=");
          Expression e = Expr(d, "expr");
          if (e.empty() && !std::string(d.child_value()).empty()) {
            auto lit = Expression::Parse(d.child_value());
            if (!lit) Error(Line(d), lit.error().message);
            else e = *lit;
          }
          chart_->data.emplace_back(id, e);
        }
      } else if (name == "roles" && IsEnrolElement(c)) {
        if (parent != 0) {
          Error(Line(c), "<enrol:roles> belongs at the top level, in <scxml>");
          continue;
        }
        ReadRoles(c);
      } else if (name == "person-events" && IsEnrolElement(c)) {
        if (parent != 0) {
          Error(Line(c), "<enrol:person-events> belongs at the top level, in <scxml>");
          continue;
        }
        ReadPersonEvents(c);
      } else if (name == "donedata" || name == "script" || name == "final") {
        Error(Line(c), "<" + std::string(name) + "> is not supported here");
      } else {
        Error(Line(c), "unknown element <" + std::string(name) + ">");
      }
    }
  }

  // True when `el`'s prefix is bound to enrol's namespace on the root.
  bool IsEnrolElement(const pugi::xml_node& el) const {
    const char* colon = std::strchr(el.name(), ':');
    if (!colon) return false;
    const std::string attr = "xmlns:" + std::string(el.name(), colon);
    for (pugi::xml_node n = el; n; n = n.parent()) {
      if (const pugi::xml_attribute a = n.attribute(attr.c_str())) {
        return std::string_view(a.as_string()) == kEnrolWorkflowNamespace;
      }
    }
    return false;
  }

  void ReadPersonEvents(const pugi::xml_node& el) {
    for (pugi::xml_node e = el.first_child(); e; e = e.next_sibling()) {
      if (e.type() != pugi::node_element) continue;
      if (Local(e.name()) != "event") {
        Error(Line(e), "<" + std::string(e.name()) + "> is not allowed in <enrol:person-events> (only <enrol:event>)");
        continue;
      }
      PersonEventSpec spec;
      spec.line = Line(e);
      spec.name = e.attribute("name").as_string();
      if (spec.name.empty()) {
        Error(spec.line, "<enrol:event> needs name=");
        continue;
      }
      if (IsEngineEventName(spec.name)) {
        Error(spec.line, "'" + spec.name + "' cannot be a person's event: " +
                             spec.name.substr(0, spec.name.find('.')) + ".* events come only from the engine");
      }
      for (const auto& other : chart_->person_events) {
        if (other.name == spec.name) Error(spec.line, "person event '" + spec.name + "' is declared twice");
      }
      spec.by = e.attribute("by").as_string("office");
      if (spec.by != "school" && spec.by != "office") {
        Error(spec.line, "by=\"" + spec.by + "\" is not known (school: the case's school and the office; office: "
                         "the education office only)");
      }
      spec.label = e.attribute("label").as_string();
      raw_person_states_.push_back(Words(e.attribute("in").as_string()));
      if (raw_person_states_.back().empty()) {
        Error(spec.line, "<enrol:event name=\"" + spec.name + "\"> needs in= (the states that accept it)");
      }
      for (pugi::xml_node f = e.first_child(); f; f = f.next_sibling()) {
        if (f.type() != pugi::node_element) continue;
        if (Local(f.name()) != "field") {
          Error(Line(f), "<" + std::string(f.name()) + "> is not allowed in <enrol:event> (only <enrol:field>)");
          continue;
        }
        PersonField field;
        field.line = Line(f);
        field.name = f.attribute("name").as_string();
        field.type = f.attribute("type").as_string("text");
        field.required = f.attribute("required").as_bool(false);
        field.max_length = f.attribute("maxlength").as_int(500);
        field.label = f.attribute("label").as_string();
        if (field.name.empty()) Error(field.line, "<enrol:field> needs name=");
        if (field.type != "text" && field.type != "school" && field.type != "boolean" && field.type != "date") {
          Error(field.line, "field type '" + field.type + "' is not known (text, school, boolean, date)");
        }
        if (field.max_length < 1 || field.max_length > 4000) {
          Error(field.line, "maxlength must be between 1 and 4000");
        }
        for (const auto& other : spec.fields) {
          if (other.name == field.name) Error(field.line, "field '" + field.name + "' is declared twice");
        }
        spec.fields.push_back(std::move(field));
      }
      chart_->person_events.push_back(std::move(spec));
    }
  }

  void ReadRoles(const pugi::xml_node& el) {
    WorkflowRoles& r = chart_->roles;
    r.line = Line(el);
    auto need = [&](const char* attr) {
      const std::string v = el.attribute(attr).as_string();
      if (v.empty()) Error(r.line, std::string("<enrol:roles> needs ") + attr + "=");
      return v;
    };
    r.protected_flag = need("protected");
    r.school = need("school");
    const std::string deferred = need("deferred");
    const size_t eq = deferred.find('=');
    if (!deferred.empty() && (eq == std::string::npos || eq == 0 || eq + 1 == deferred.size())) {
      Error(r.line, "<enrol:roles> deferred= takes FIELD=VALUE (the data field and the value it gets)");
    } else if (!deferred.empty()) {
      r.deferral_field = deferred.substr(0, eq);
      r.deferral_value = deferred.substr(eq + 1);
    }
    r.print_wait = need("print-wait");
    r.manual = need("manual");
    r.protection_stop = need("protection-stop");
    for (pugi::xml_attribute a : el.attributes()) {
      static const std::set<std::string> kKnown = {"protected", "school", "deferred", "print-wait", "manual",
                                                   "protection-stop"};
      if (!kKnown.count(a.name())) Error(r.line, "<enrol:roles> has no attribute " + std::string(a.name()));
    }
  }

  // The roles name data fields, states and an event that exist.
  void ResolveRoles() {
    const WorkflowRoles& r = chart_->roles;
    if (r.line == 0) return;
    auto data = [&](const std::string& id, const char* role) {
      if (id.empty()) return;
      for (const auto& [name, e] : chart_->data) {
        if (name == id) return;
      }
      Error(r.line, std::string("<enrol:roles> ") + role + "= names '" + id + "', which is no <data> of the datamodel");
    };
    data(r.protected_flag, "protected");
    data(r.school, "school");
    data(r.deferral_field, "deferred");
    for (const auto& [id, role] : {std::pair{r.print_wait, "print-wait"}, std::pair{r.manual, "manual"}}) {
      if (!id.empty() && chart_->Find(id) < 0) {
        Error(r.line, std::string("<enrol:roles> ") + role + "= names '" + id + "', which is not a state");
      }
    }
    if (!r.protection_stop.empty() && !IsEngineEventName(r.protection_stop)) {
      Error(r.line, "<enrol:roles> protection-stop= names '" + r.protection_stop +
                        "', which is not an engine event (register.*, done.*, error.*, post.*)");
    }
  }

  void ResolvePersonStates() {
    for (size_t i = 0; i < chart_->person_events.size(); ++i) {
      PersonEventSpec& spec = chart_->person_events[i];
      for (const std::string& id : raw_person_states_[i]) {
        const int s = chart_->Find(id);
        if (s < 0) {
          Error(spec.line, "person event '" + spec.name + "': in= names '" + id + "', which is not a state");
        } else {
          spec.states.push_back(s);
        }
      }
    }
  }

  void ReadState(const pugi::xml_node& el, int parent) {
    const std::string_view name = Local(el.name());
    State s;
    s.parent = parent;
    s.depth = chart_->states[parent].depth + 1;
    s.line = Line(el);
    s.id = el.attribute("id").as_string();
    if (s.id.empty()) s.id = "_state" + std::to_string(chart_->states.size());
    if (name == "parallel") s.kind = StateKind::kParallel;
    else if (name == "final") s.kind = StateKind::kFinal;
    else if (name == "history") {
      const std::string type = el.attribute("type").as_string("shallow");
      if (type != "shallow" && type != "deep") Error(s.line, "history type must be shallow or deep");
      s.kind = type == "deep" ? StateKind::kHistoryDeep : StateKind::kHistoryShallow;
    } else {
      bool has_children = false;
      for (pugi::xml_node c : el.children()) has_children = has_children || IsStateElement(Local(c.name()));
      s.kind = has_children ? StateKind::kCompound : StateKind::kAtomic;
    }
    const int index = static_cast<int>(chart_->states.size());
    if (!chart_->by_id.emplace(s.id, index).second) {
      Error(s.line, "state id '" + s.id + "' is used twice");
    }
    chart_->states.push_back(s);
    chart_->states[parent].children.push_back(index);
    ReadChildren(el, index);
    State& me = chart_->states[index];
    if (me.kind == StateKind::kHistoryShallow || me.kind == StateKind::kHistoryDeep) {
      if (me.transitions.size() != 1) {
        Error(me.line, "<history> needs exactly one <transition> (its default)");
      }
    }
    if (me.kind == StateKind::kCompound) ResolveInitial(index, el.attribute("initial").as_string(), me.line);
  }

  int ReadTransition(const pugi::xml_node& el, int source, bool attach = true) {
    Transition t;
    t.source = source;
    t.line = Line(el);
    t.events = Words(el.attribute("event").as_string());
    t.cond = Expr(el, "cond");
    const std::string type = el.attribute("type").as_string("external");
    if (type != "internal" && type != "external") Error(t.line, "transition type must be internal or external");
    t.internal = type == "internal";
    t.actions = ReadActions(el);
    t.order = static_cast<int>(chart_->transitions.size());
    const int index = t.order;
    raw_targets_.push_back({index, el.attribute("target").as_string()});
    chart_->transitions.push_back(std::move(t));
    if (attach) chart_->states[source].transitions.push_back(index);
    return index;
  }

  void ReadInvoke(const pugi::xml_node& el, int state) {
    Invoke inv;
    inv.line = Line(el);
    inv.type = el.attribute("type").as_string();
    inv.id = el.attribute("id").as_string();
    State& s = chart_->states[state];
    if (inv.id.empty()) inv.id = s.id + ".invoke" + std::to_string(s.invokes.size());
    if (inv.type.empty()) Error(inv.line, "<invoke> needs type= (the connector to start)");
    if (!invoke_types_.empty() && !inv.type.empty() &&
        std::find(invoke_types_.begin(), invoke_types_.end(), inv.type) == invoke_types_.end()) {
      std::string known;
      for (const auto& k : invoke_types_) known += (known.empty() ? "" : ", ") + k;
      Error(inv.line, "unknown invoke type '" + inv.type + "' (known: " + known + ")");
    }
    for (pugi::xml_node p : el.children()) {
      const std::string_view pn = Local(p.name());
      if (pn == "param") {
        inv.params.emplace_back(p.attribute("name").as_string(), Expr(p, "expr", true));
      } else if (pn == "finalize" || pn == "content") {
        Error(Line(p), "<" + std::string(pn) + "> in <invoke> is not supported");
      }
    }
    s.invokes.push_back(std::move(inv));
  }

  void ResolveInitial(int state, const std::string& attr, int line) {
    State& s = chart_->states[state];
    if (s.initial_transition >= 0) {
      if (!attr.empty()) Error(line, "a state has both initial= and <initial>");
      return;
    }
    std::string target = attr;
    if (target.empty()) {
      for (int c : s.children) {
        const StateKind k = chart_->states[c].kind;
        if (k != StateKind::kHistoryShallow && k != StateKind::kHistoryDeep) {
          target = chart_->states[c].id;
          break;
        }
      }
    }
    if (target.empty()) {
      if (state == 0) Error(line, "<scxml> has no state");
      return;
    }
    Transition t;
    t.source = state;
    t.line = line;
    t.order = static_cast<int>(chart_->transitions.size());
    raw_targets_.push_back({t.order, target});
    s.initial_transition = t.order;
    chart_->transitions.push_back(std::move(t));
  }

  void ResolveTargets() {
    for (const auto& [index, raw] : raw_targets_) {
      Transition& t = chart_->transitions[index];
      for (const std::string& id : Words(raw)) {
        const int target = chart_->Find(id);
        if (target < 0) {
          Error(t.line, "transition target '" + id + "' is not a state");
        } else {
          t.targets.push_back(target);
        }
      }
    }
    for (const Transition& t : chart_->transitions) {
      if (chart_->states[t.source].initial_transition == t.order) {
        for (int target : t.targets) {
          if (!chart_->IsDescendant(target, t.source)) {
            Error(t.line, "the initial state '" + chart_->states[target].id + "' is not inside '" +
                              chart_->states[t.source].id + "'");
          }
        }
      }
    }
    // A history's default is a state inside its parent, never the history
    // itself or another history (entering it would loop without end).
    for (size_t h = 1; h < chart_->states.size(); ++h) {
      const State& st = chart_->states[h];
      if (st.kind != StateKind::kHistoryShallow && st.kind != StateKind::kHistoryDeep) continue;
      for (int ti : st.transitions) {
        for (int target : chart_->transitions[ti].targets) {
          const StateKind k = chart_->states[target].kind;
          if (k == StateKind::kHistoryShallow || k == StateKind::kHistoryDeep ||
              !chart_->IsDescendant(target, st.parent) || target == st.parent) {
            Error(chart_->transitions[ti].line, "the default of history '" + st.id + "' must be a state inside '" +
                                                    chart_->states[st.parent].id + "', not a history or outside it");
          }
        }
      }
    }
  }

  // Problems the engine survives but a municipality should hear about.
  void Check() {
    const Chart& c = *chart_;
    // Reachability: from the root's initial, through every transition target
    // and default entry.
    std::vector<bool> reached(c.states.size(), false);
    std::vector<int> todo = {0};
    while (!todo.empty()) {
      const int s = todo.back();
      todo.pop_back();
      if (reached[s]) continue;
      reached[s] = true;
      const State& st = c.states[s];
      if (st.parent >= 0) todo.push_back(st.parent);
      if (st.kind == StateKind::kParallel) todo.insert(todo.end(), st.children.begin(), st.children.end());
      if (st.initial_transition >= 0) {
        for (int t : c.transitions[st.initial_transition].targets) todo.push_back(t);
      }
      for (int ti : st.transitions) {
        for (int t : c.transitions[ti].targets) todo.push_back(t);
      }
    }
    // Transitions of ancestors also lead somewhere from every descendant.
    for (size_t s = 1; s < c.states.size(); ++s) {
      if (!reached[s]) {
        bool from_ancestor_reached = false;
        (void)from_ancestor_reached;
        Warn(c.states[s].line, "state '" + c.states[s].id + "' cannot be reached");
      }
    }
    // A compound state with no final child and no transition leaving it
    // (from itself or a descendant) traps the case.
    for (size_t s = 1; s < c.states.size(); ++s) {
      const State& st = c.states[s];
      if (st.kind != StateKind::kCompound && st.kind != StateKind::kParallel) continue;
      bool way_out = false;
      for (int ch : st.children) way_out = way_out || c.states[ch].kind == StateKind::kFinal;
      for (const Transition& t : c.transitions) {
        if (way_out) break;
        const bool from_inside = t.source == static_cast<int>(s) || c.IsDescendant(t.source, static_cast<int>(s));
        if (!from_inside || c.states[t.source].initial_transition == t.order) continue;
        for (int target : t.targets) {
          if (target != static_cast<int>(s) && !c.IsDescendant(target, static_cast<int>(s))) way_out = true;
        }
      }
      // Transitions on ancestors leave it too.
      for (int a = st.parent; a > 0 && !way_out; a = c.states[a].parent) {
        way_out = !c.states[a].transitions.empty();
      }
      if (!way_out) Warn(st.line, "compound state '" + st.id + "' has no way out (no final child, no transition out)");
    }
    // In('x') naming a state that does not exist.
    auto check_expr = [&](const Expression& e, int line) {
      for (const auto& id : e.StatesReferenced()) {
        if (c.Find(id) < 0) Warn(line, "In('" + id + "') names no state");
      }
    };
    for (const Transition& t : c.transitions) check_expr(t.cond, t.line);
    CheckInvokesHandled();
    CheckFinalReachable();
    CheckPersonEvents();
  }

  // True when a transition on `s` or one of its ancestors takes `event`.
  bool Handles(int s, const std::string& event) const {
    const Chart& c = *chart_;
    for (int a = s; a > 0; a = c.states[a].parent) {
      for (int ti : c.states[a].transitions) {
        for (const std::string& d : c.transitions[ti].events) {
          if (d == "*" || Interpreter::NameMatches(d, event)) return true;
        }
      }
    }
    return false;
  }

  // An invoke whose outcome its state does not take leaves the case waiting
  // forever: the system answered, or the education office cancelled or
  // skipped the work, and nothing moves.
  void CheckInvokesHandled() {
    const Chart& c = *chart_;
    for (size_t s = 1; s < c.states.size(); ++s) {
      for (const Invoke& inv : c.states[s].invokes) {
        const bool done = Handles(static_cast<int>(s), "done.invoke." + inv.id);
        const bool error = Handles(static_cast<int>(s), "error.communication");
        if (!done && !error) {
          Warn(inv.line, "state '" + c.states[s].id + "' handles neither done.invoke." + inv.id +
                             " nor error.communication: the case would wait forever");
        } else if (!done) {
          Warn(inv.line, "state '" + c.states[s].id + "' does not handle done.invoke." + inv.id);
        } else if (!error) {
          Warn(inv.line, "state '" + c.states[s].id + "' does not handle error.communication of invoke '" +
                             inv.id + "' (a failed or cancelled job would leave the case there)");
        }
      }
    }
  }

  // Every state must lead to a top-level final state by some path
  // (conditions aside): otherwise a case that enters it never ends.
  void CheckFinalReachable() {
    const Chart& c = *chart_;
    const size_t n = c.states.size();
    std::vector<std::vector<int>> next(n);
    for (size_t s = 1; s < n; ++s) {
      const State& st = c.states[s];
      for (int a = static_cast<int>(s); a > 0; a = c.states[a].parent) {
        for (int ti : c.states[a].transitions) {
          for (int t : c.transitions[ti].targets) next[s].push_back(t);
        }
      }
      if (st.kind == StateKind::kCompound || st.kind == StateKind::kParallel) {
        next[s].insert(next[s].end(), st.children.begin(), st.children.end());
      }
      if ((st.kind == StateKind::kHistoryShallow || st.kind == StateKind::kHistoryDeep) && st.parent > 0) {
        const auto& siblings = c.states[st.parent].children;
        next[s].insert(next[s].end(), siblings.begin(), siblings.end());
      }
    }
    std::vector<bool> ends(n, false);
    for (size_t s = 1; s < n; ++s) ends[s] = c.states[s].kind == StateKind::kFinal && c.states[s].parent == 0;
    for (bool changed = true; changed;) {
      changed = false;
      for (size_t s = 1; s < n; ++s) {
        if (ends[s]) continue;
        for (int t : next[s]) {
          if (ends[t]) {
            ends[s] = changed = true;
            break;
          }
        }
      }
    }
    for (size_t s = 1; s < n; ++s) {
      if (!ends[s]) Warn(c.states[s].line, "no final state can be reached from state '" + c.states[s].id + "'");
    }
  }

  void CheckPersonEvents() {
    const Chart& c = *chart_;
    std::set<std::string> sent;  // events the chart makes itself (<send>, <raise>)
    std::function<void(const std::vector<Action>&)> collect = [&](const std::vector<Action>& block) {
      for (const Action& a : block) {
        if (a.kind == Action::kSend || a.kind == Action::kRaise) sent.insert(a.event);
        for (const auto& b : a.branches) collect(b.actions);
      }
    };
    for (const State& st : c.states) {
      for (const auto& b : st.onentry) collect(b);
      for (const auto& b : st.onexit) collect(b);
    }
    for (const Transition& t : c.transitions) collect(t.actions);
    for (const PersonEventSpec& spec : c.person_events) {
      if (sent.count(spec.name)) {
        Warn(spec.line, "'" + spec.name + "' is sent by the workflow itself; a person should not send it");
      }
      for (int s : spec.states) {
        bool handled = Handles(s, spec.name);
        for (size_t d = 1; d < c.states.size() && !handled; ++d) {
          if (c.IsDescendant(static_cast<int>(d), s)) {
            for (int ti : c.states[d].transitions) {
              for (const std::string& e : c.transitions[ti].events) handled = handled || Interpreter::NameMatches(e, spec.name);
            }
          }
        }
        if (!handled) {
          Warn(spec.line, "person event '" + spec.name + "' is accepted in '" + c.states[s].id +
                              "' but no transition there takes it");
        }
      }
    }
    // A transition on an event nobody can send is dead, or a person event
    // that was not declared.
    for (const Transition& t : c.transitions) {
      for (const std::string& e : t.events) {
        if (e == "*" || IsEngineEventName(e) || sent.count(e) || c.PersonEvent(e)) {
          continue;
        }
        Warn(t.line, "event '" + e + "' is neither a declared person event nor sent by the engine or the workflow");
      }
    }
  }

  std::string_view text_;
  std::vector<Diagnostic>* problems_;
  const std::vector<std::string>& invoke_types_;
  std::vector<size_t> line_starts_;
  std::shared_ptr<Chart> chart_;
  std::vector<Diagnostic> errors_;
  std::vector<std::pair<int, std::string>> raw_targets_;
  std::map<int, std::pair<std::string, int>> initial_elements_;
  std::vector<std::vector<std::string>> raw_person_states_;
};

}  // namespace

Result<std::shared_ptr<const Chart>> ReadScxml(std::string_view text,
                                               std::vector<Diagnostic>* problems,
                                               const std::vector<std::string>& known_invoke_types) {
  Reader r(text, problems, known_invoke_types);
  return r.Read();
}

Result<int64_t> ParseDelay(std::string_view t) {
  const std::string text(t);
  auto bad = [&]() {
    return InvalidArgument("'" + text.substr(0, 40) +
                           "' is not a delay: use 500ms, 30s, 10min, 2h, 14d or an ISO 8601 "
                           "duration such as P14D or PT2H");
  };
  // A year and a day: no timer of a school year's workflow waits longer.
  constexpr double kMaxDelayMs = 366.0 * 86400e3;
  auto too_long = [&]() {
    return InvalidArgument("'" + text.substr(0, 40) + "' is longer than the longest delay allowed (366 days)");
  };
  if (text.empty() || text.size() > 40) return bad();
  if (text[0] == 'P') {
    // PnW | PnDTnHnMnS (no months or years).
    int64_t ms = 0;
    bool in_time = false, any = false;
    size_t i = 1;
    while (i < text.size()) {
      if (text[i] == 'T') {
        in_time = true;
        ++i;
        continue;
      }
      size_t j = i;
      while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
      if (j == i || j >= text.size()) return bad();
      const double n = std::strtod(text.substr(i, j - i).c_str(), nullptr);
      const char unit = text[j];
      double factor = 0;
      if (!in_time && unit == 'W') factor = 7 * 86400e3;
      else if (!in_time && unit == 'D') factor = 86400e3;
      else if (in_time && unit == 'H') factor = 3600e3;
      else if (in_time && unit == 'M') factor = 60e3;
      else if (in_time && unit == 'S') factor = 1e3;
      else if (unit == 'Y' || (!in_time && unit == 'M')) {
        return InvalidArgument("'" + text + "': months and years are not accepted in delays (their length varies); use days");
      } else {
        return bad();
      }
      if (!(n * factor <= kMaxDelayMs) || ms + n * factor > kMaxDelayMs) return too_long();
      ms += static_cast<int64_t>(std::llround(n * factor));
      any = true;
      i = j + 1;
    }
    if (!any) return bad();
    return ms;
  }
  size_t j = 0;
  while (j < text.size() && (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.')) ++j;
  if (j == 0) return bad();
  const double n = std::strtod(text.substr(0, j).c_str(), nullptr);
  const std::string unit = text.substr(j);
  double factor = 0;
  if (unit == "ms") factor = 1;
  else if (unit == "s") factor = 1e3;
  else if (unit == "min" || unit == "m") factor = 60e3;
  else if (unit == "h") factor = 3600e3;
  else if (unit == "d") factor = 86400e3;
  else return bad();
  if (!(n * factor <= kMaxDelayMs)) return too_long();
  return static_cast<int64_t>(std::llround(n * factor));
}

}  // namespace enrol::sc
