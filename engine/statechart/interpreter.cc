#include "engine/statechart/interpreter.h"

#include <algorithm>
#include <deque>
#include <set>

#include <boost/json.hpp>

namespace enrol::sc {
namespace json = boost::json;

bool Instance::Active(int state) const {
  return std::binary_search(configuration.begin(), configuration.end(), state);
}

std::vector<std::string> Instance::AtomicStateIds(const Chart& chart) const {
  std::vector<std::string> out;
  for (int s : configuration) {
    const StateKind k = chart.states[s].kind;
    if (k == StateKind::kAtomic || k == StateKind::kFinal) out.push_back(chart.states[s].id);
  }
  return out;
}

json::object Instance::TakeJson(const Chart& chart) && {
  json::object data_taken = std::move(data);
  data = json::object();
  json::object o = ToJson(chart);
  o["data"] = std::move(data_taken);
  return o;
}

Result<Instance> Instance::FromJson(const Chart& chart, json::object&& o) {
  json::value data_taken;
  if (auto* d = o.if_contains("data"); d && d->is_object()) {
    data_taken = std::move(*d);
    *d = json::object();
  }
  ENROL_ASSIGN_OR_RETURN(Instance inst, FromJson(chart, static_cast<const json::object&>(o)));
  if (data_taken.is_object()) inst.data = std::move(data_taken.get_object());
  return inst;
}

json::object Instance::ToJson(const Chart& chart) const {
  json::object o;
  json::array conf;
  for (int s : configuration) conf.push_back(json::string(chart.states[s].id));
  o["configuration"] = std::move(conf);
  json::object hist;
  for (const auto& [h, states] : history) {
    json::array a;
    for (int s : states) a.push_back(json::string(chart.states[s].id));
    hist[chart.states[h].id] = std::move(a);
  }
  o["history"] = std::move(hist);
  o["data"] = data;
  o["next_id"] = next_id;
  json::object inv;
  for (const auto& [id, state] : invokes) inv[id] = state;
  o["invokes"] = std::move(inv);
  o["running"] = running;
  return o;
}

Result<Instance> Instance::FromJson(const Chart& chart, const json::object& o) {
  Instance inst;
  auto state_of = [&](const json::value& v) -> Result<int> {
    const int s = v.is_string() ? chart.Find(std::string(v.get_string())) : -1;
    if (s < 0) {
      return FailedPrecondition("state '" + (v.is_string() ? std::string(v.get_string()) : "?") +
                                "' is not in this version of the workflow");
    }
    return s;
  };
  if (const auto* conf = o.if_contains("configuration"); conf && conf->is_array()) {
    for (const auto& v : conf->get_array()) {
      ENROL_ASSIGN_OR_RETURN(int s, state_of(v));
      inst.configuration.push_back(s);
    }
  }
  std::sort(inst.configuration.begin(), inst.configuration.end());
  if (const auto* hist = o.if_contains("history"); hist && hist->is_object()) {
    for (const auto& [k, v] : hist->get_object()) {
      ENROL_ASSIGN_OR_RETURN(int h, state_of(json::value(k)));
      std::vector<int> states;
      for (const auto& s : v.get_array()) {
        ENROL_ASSIGN_OR_RETURN(int x, state_of(s));
        states.push_back(x);
      }
      inst.history[h] = std::move(states);
    }
  }
  if (const auto* d = o.if_contains("data"); d && d->is_object()) inst.data = d->get_object();
  if (const auto* n = o.if_contains("next_id"); n && n->is_int64()) inst.next_id = n->get_int64();
  if (const auto* inv = o.if_contains("invokes"); inv && inv->is_object()) {
    for (const auto& [k, v] : inv->get_object()) {
      ENROL_ASSIGN_OR_RETURN(int s, state_of(v));
      (void)s;
      inst.invokes[std::string(k)] = std::string(v.get_string());
    }
  }
  if (const auto* r = o.if_contains("running"); r && r->is_bool()) inst.running = r->get_bool();
  return inst;
}

bool Interpreter::NameMatches(std::string_view d, std::string_view name) {
  if (d == "*") return true;
  if (d.size() >= 2 && d.substr(d.size() - 2) == ".*") d.remove_suffix(2);
  if (name.size() < d.size() || name.substr(0, d.size()) != d) return false;
  return name.size() == d.size() || name[d.size()] == '.';
}

namespace {

using StateSet = std::set<int>;  // ordered by index = document order

class Run {
 public:
  static constexpr int kMaxMicrosteps = 10000;

  Run(const Chart& chart, Instance& inst, const json::value* config)
      : c_(chart), inst_(inst), config_value_(config) {}

  StepOutcome Start(const json::object& input, const json::value* config) {
    inst_ = Instance{};
    inst_.running = true;
    for (const auto& [id, expr] : c_.data) {
      auto v = expr.Evaluate(Scope());
      if (!v) {
        RaiseError(v.error().message, 0);
        inst_.data[id] = nullptr;
      } else {
        inst_.data[id] = *v;
      }
    }
    for (const auto& [k, v] : input) inst_.data[k] = v;
    (void)config;
    const Transition& initial = c_.transitions[c_.states[0].initial_transition];
    EnterStates({&initial});
    Macrostep();
    return std::move(out_);
  }

  StepOutcome Apply(const Event& e) {
    if (!inst_.running) return std::move(out_);
    if (!e.invoke_id.empty() && !inst_.invokes.count(e.invoke_id)) return std::move(out_);
    if (!e.invoke_id.empty() && Interpreter::NameMatches("done.invoke", e.name)) {
      inst_.invokes.erase(e.invoke_id);  // the invoke has finished
    }
    SetEvent(e, "external");
    auto enabled = SelectTransitions(&e);
    if (!enabled.empty()) {
      out_.handled = true;
      Microstep(enabled, e.name);
    }
    Macrostep();
    return std::move(out_);
  }

 private:
  // ---- helpers
  const State& S(int s) const { return c_.states[s]; }
  bool IsAtomic(int s) const { return S(s).kind == StateKind::kAtomic || S(s).kind == StateKind::kFinal; }
  bool IsCompound(int s) const { return S(s).kind == StateKind::kCompound || S(s).kind == StateKind::kRoot; }
  bool IsHistory(int s) const {
    return S(s).kind == StateKind::kHistoryShallow || S(s).kind == StateKind::kHistoryDeep;
  }
  bool Desc(int s, int a) const { return c_.IsDescendant(s, a); }
  bool Active(int s) const { return config_.count(s) > 0; }

  Expression::Scope Scope() const {
    Expression::Scope scope;
    scope.data = &inst_.data;
    scope.event = event_.is_null() ? nullptr : &event_;
    scope.config = config_value_;
    scope.in_state = [this](std::string_view id) {
      const int s = c_.Find(std::string(id));
      return s >= 0 && Active(s);
    };
    return scope;
  }

  void SetEvent(const Event& e, const char* type) {
    json::object o;
    o["name"] = e.name;
    o["data"] = e.data;
    o["type"] = type;
    if (!e.invoke_id.empty()) o["invokeid"] = e.invoke_id;
    if (!e.send_id.empty()) o["sendid"] = e.send_id;
    event_ = std::move(o);
  }

  void RaiseError(const std::string& message, int line) {
    Event e;
    e.name = "error.execution";
    json::object d;
    d["message"] = message;
    if (line) d["line"] = line;
    Effect fx;
    fx.kind = Effect::kError;
    fx.name = "error.execution";
    fx.data = d;
    out_.effects.push_back(std::move(fx));
    e.data = std::move(d);
    internal_.push_back(std::move(e));
  }

  std::vector<int> ProperAncestors(int s, int stop) const {
    std::vector<int> out;
    for (int p = S(s).parent; p >= 0 && p != stop; p = S(p).parent) out.push_back(p);
    return out;
  }

  // ---- selection
  std::vector<const Transition*> SelectTransitions(const Event* e) {
    std::vector<const Transition*> enabled;
    for (int atomic : config_) {
      if (!IsAtomic(atomic)) continue;
      std::vector<int> chain = {atomic};
      for (int a : ProperAncestors(atomic, -1)) chain.push_back(a);
      bool found = false;
      for (int s : chain) {
        for (int ti : S(s).transitions) {
          const Transition& t = c_.transitions[ti];
          if (e) {
            if (t.events.empty()) continue;
            bool match = false;
            for (const auto& d : t.events) match = match || Interpreter::NameMatches(d, e->name);
            if (!match) continue;
          } else if (!t.events.empty()) {
            continue;
          }
          if (!ConditionHolds(t)) continue;
          if (std::find(enabled.begin(), enabled.end(), &t) == enabled.end()) enabled.push_back(&t);
          found = true;
          break;
        }
        if (found) break;
      }
    }
    return RemoveConflicts(enabled);
  }

  bool ConditionHolds(const Transition& t) {
    auto ok = t.cond.EvaluateCondition(Scope());
    if (!ok) {
      RaiseError(ok.error().message, t.line);
      return false;
    }
    return *ok;
  }

  std::vector<const Transition*> RemoveConflicts(const std::vector<const Transition*>& enabled) {
    std::vector<const Transition*> filtered;
    for (const Transition* t1 : enabled) {
      bool preempted = false;
      std::vector<const Transition*> remove;
      const StateSet x1 = ExitSet({t1});
      for (const Transition* t2 : filtered) {
        const StateSet x2 = ExitSet({t2});
        bool intersect = false;
        for (int s : x1) intersect = intersect || x2.count(s);
        if (intersect) {
          if (Desc(t1->source, t2->source)) {
            remove.push_back(t2);
          } else {
            preempted = true;
            break;
          }
        }
      }
      if (!preempted) {
        for (const Transition* r : remove) filtered.erase(std::find(filtered.begin(), filtered.end(), r));
        filtered.push_back(t1);
      }
    }
    return filtered;
  }

  // ---- domains
  std::vector<int> EffectiveTargets(const Transition& t) const {
    std::vector<int> out;
    for (int s : t.targets) {
      if (IsHistory(s)) {
        auto it = inst_.history.find(s);
        if (it != inst_.history.end()) {
          out.insert(out.end(), it->second.begin(), it->second.end());
        } else {
          for (int x : EffectiveTargets(c_.transitions[S(s).transitions.front()])) out.push_back(x);
        }
      } else {
        out.push_back(s);
      }
    }
    return out;
  }

  int FindLcca(const std::vector<int>& states) const {
    for (int anc : ProperAncestors(states.front(), -1)) {
      if (!IsCompound(anc)) continue;
      bool all = true;
      for (size_t i = 1; i < states.size(); ++i) all = all && Desc(states[i], anc);
      if (all) return anc;
    }
    return 0;
  }

  int Domain(const Transition& t) const {
    const std::vector<int> targets = EffectiveTargets(t);
    if (targets.empty()) return -1;
    if (t.internal && IsCompound(t.source)) {
      bool all = true;
      for (int s : targets) all = all && Desc(s, t.source);
      if (all) return t.source;
    }
    std::vector<int> list = {t.source};
    list.insert(list.end(), targets.begin(), targets.end());
    return FindLcca(list);
  }

  StateSet ExitSet(const std::vector<const Transition*>& ts) const {
    StateSet out;
    for (const Transition* t : ts) {
      if (t->targets.empty()) continue;
      const int domain = Domain(*t);
      for (int s : config_) {
        if (Desc(s, domain)) out.insert(s);
      }
    }
    return out;
  }

  // ---- microstep
  void Microstep(const std::vector<const Transition*>& enabled, const std::string& event_name) {
    for (const Transition* t : enabled) {
      std::string targets;
      for (int s : t->targets) targets += (targets.empty() ? "" : " ") + S(s).id;
      out_.trace.push_back(S(t->source).id + " -[" + (event_name.empty() ? "" : event_name) + "]-> " +
                           (targets.empty() ? "(no target)" : targets));
    }
    ExitStates(enabled);
    for (const Transition* t : enabled) Execute(t->actions);
    EnterStates(enabled);
  }

  void ExitStates(const std::vector<const Transition*>& enabled) {
    const StateSet exit = ExitSet(enabled);
    for (int s : exit) to_invoke_.erase(s);
    std::vector<int> order(exit.rbegin(), exit.rend());  // reverse document order
    for (int s : order) {
      for (int h : S(s).children) {
        if (!IsHistory(h)) continue;
        std::vector<int> remembered;
        for (int x : config_) {
          const bool deep = S(h).kind == StateKind::kHistoryDeep;
          if (deep ? (IsAtomic(x) && Desc(x, s)) : S(x).parent == s) remembered.push_back(x);
        }
        inst_.history[h] = remembered;
      }
    }
    for (int s : order) {
      for (const auto& block : S(s).onexit) Execute(block);
      CancelInvokesOf(s);
      config_.erase(s);
    }
  }

  void CancelInvokesOf(int s) {
    for (auto it = inst_.invokes.begin(); it != inst_.invokes.end();) {
      if (it->second == S(s).id) {
        Effect e;
        e.kind = Effect::kCancelInvoke;
        e.id = it->first;
        e.state = S(s).id;
        out_.effects.push_back(std::move(e));
        it = inst_.invokes.erase(it);
      } else {
        ++it;
      }
    }
  }

  struct EntrySet {
    StateSet enter;
    StateSet default_entry;
    std::map<int, const std::vector<Action>*> history_content;
  };

  void AddDescendants(int s, EntrySet& es) {
    if (IsHistory(s)) {
      auto it = inst_.history.find(s);
      if (it != inst_.history.end()) {
        for (int x : it->second) AddDescendants(x, es);
        for (int x : it->second) AddAncestors(x, S(s).parent, es);
      } else {
        const Transition& t = c_.transitions[S(s).transitions.front()];
        es.history_content[S(s).parent] = &t.actions;
        for (int x : t.targets) AddDescendants(x, es);
        for (int x : t.targets) AddAncestors(x, S(s).parent, es);
      }
      return;
    }
    es.enter.insert(s);
    if (S(s).kind == StateKind::kCompound) {
      es.default_entry.insert(s);
      const Transition& init = c_.transitions[S(s).initial_transition];
      for (int x : init.targets) AddDescendants(x, es);
      for (int x : init.targets) AddAncestors(x, s, es);
    } else if (S(s).kind == StateKind::kParallel) {
      for (int child : S(s).children) {
        if (IsHistory(child)) continue;
        bool covered = false;
        for (int x : es.enter) covered = covered || x == child || Desc(x, child);
        if (!covered) AddDescendants(child, es);
      }
    }
  }

  void AddAncestors(int s, int ancestor, EntrySet& es) {
    for (int anc : ProperAncestors(s, ancestor)) {
      es.enter.insert(anc);
      if (S(anc).kind == StateKind::kParallel) {
        for (int child : S(anc).children) {
          if (IsHistory(child)) continue;
          bool covered = false;
          for (int x : es.enter) covered = covered || x == child || Desc(x, child);
          if (!covered) AddDescendants(child, es);
        }
      }
    }
  }

  bool InFinalState(int s) const {
    if (S(s).kind == StateKind::kCompound) {
      for (int c : S(s).children) {
        if (S(c).kind == StateKind::kFinal && Active(c)) return true;
      }
      return false;
    }
    if (S(s).kind == StateKind::kParallel) {
      for (int c : S(s).children) {
        if (!IsHistory(c) && !InFinalState(c)) return false;
      }
      return true;
    }
    return false;
  }

  void EnterStates(const std::vector<const Transition*>& enabled) {
    EntrySet es;
    for (const Transition* t : enabled) {
      for (int s : t->targets) AddDescendants(s, es);
      const int domain = Domain(*t);
      for (int s : EffectiveTargets(*t)) AddAncestors(s, domain, es);
    }
    for (int s : es.enter) {  // document order
      if (s == 0) continue;
      config_.insert(s);
      to_invoke_.insert(s);
      for (const auto& block : S(s).onentry) Execute(block);
      if (es.default_entry.count(s)) Execute(c_.transitions[S(s).initial_transition].actions);
      if (auto it = es.history_content.find(s); it != es.history_content.end()) Execute(*it->second);
      if (S(s).kind == StateKind::kFinal) {
        const int parent = S(s).parent;
        if (parent == 0) {
          inst_.running = false;
        } else {
          Event done;
          done.name = "done.state." + S(parent).id;
          internal_.push_back(done);
          const int grand = S(parent).parent;
          if (grand > 0 && S(grand).kind == StateKind::kParallel && InFinalState(grand)) {
            Event d2;
            d2.name = "done.state." + S(grand).id;
            internal_.push_back(d2);
          }
        }
      }
    }
  }

  // ---- executable content
  bool Execute(const std::vector<Action>& actions) {
    for (const Action& a : actions) {
      if (!ExecuteOne(a)) return false;  // an error stops the block
    }
    return true;
  }

  bool ExecuteOne(const Action& a) {
    switch (a.kind) {
      case Action::kRaise: {
        Event e;
        e.name = a.event;
        internal_.push_back(std::move(e));
        return true;
      }
      case Action::kLog: {
        Effect e;
        e.kind = Effect::kLog;
        e.name = a.label;
        if (!a.expr.empty()) {
          auto v = a.expr.Evaluate(Scope());
          if (!v) return Fail(v.error().message, a.line);
          e.data = *v;
        }
        out_.effects.push_back(std::move(e));
        return true;
      }
      case Action::kAssign: {
        auto v = a.expr.Evaluate(Scope());
        if (!v) return Fail(v.error().message, a.line);
        return Assign(a.location, std::move(*v), a.line);
      }
      case Action::kIf: {
        for (const auto& b : a.branches) {
          auto ok = b.cond.EvaluateCondition(Scope());
          if (!ok) return Fail(ok.error().message, a.line);
          if (*ok) return Execute(b.actions);
        }
        return true;
      }
      case Action::kSend: {
        Effect e;
        e.kind = Effect::kSchedule;
        e.name = a.event;
        e.id = a.send_id.empty() ? "send." + std::to_string(inst_.next_id++) : a.send_id;
        json::object params;
        for (const auto& [name, expr] : a.params) {
          auto v = expr.Evaluate(Scope());
          if (!v) return Fail(v.error().message, a.line);
          params[name] = *v;
        }
        e.data = std::move(params);
        if (!a.delay.empty()) {
          auto d = ParseDelay(a.delay);
          if (!d) return Fail(d.error().message, a.line);
          e.delay_ms = *d;
        } else if (!a.delay_expr.empty()) {
          auto v = a.delay_expr.Evaluate(Scope());
          if (!v) return Fail(v.error().message, a.line);
          if (v->is_string()) {
            auto d = ParseDelay(std::string(v->get_string()));
            if (!d) return Fail("delayexpr: " + d.error().message, a.line);
            e.delay_ms = *d;
          } else if (v->is_number()) {
            e.delay_ms = static_cast<int64_t>(v->to_number<double>());
          } else {
            return Fail("delayexpr must give a duration such as 'P14D' or a number of ms", a.line);
          }
        }
        out_.effects.push_back(std::move(e));
        return true;
      }
      case Action::kCancel: {
        Effect e;
        e.kind = Effect::kCancelSchedule;
        e.id = a.send_id;
        if (!a.send_id_expr.empty()) {
          auto v = a.send_id_expr.Evaluate(Scope());
          if (!v || !v->is_string()) return Fail("sendidexpr must give a string", a.line);
          e.id = std::string(v->get_string());
        }
        out_.effects.push_back(std::move(e));
        return true;
      }
    }
    return true;
  }

  bool Fail(const std::string& message, int line) {
    RaiseError(message, line);
    return false;
  }

  bool Assign(const std::string& location, json::value v, int line) {
    std::vector<std::string> path;
    size_t start = 0;
    for (;;) {
      const size_t dot = location.find('.', start);
      path.push_back(location.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    if (!inst_.data.contains(path[0])) {
      return Fail("assign to '" + location + "': '" + path[0] + "' is not declared in <datamodel>", line);
    }
    json::object* o = &inst_.data;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      json::value& next = (*o)[path[i]];
      if (next.is_null()) next = json::object();
      if (!next.is_object()) return Fail("assign to '" + location + "': '" + path[i] + "' is not an object", line);
      o = &next.get_object();
    }
    (*o)[path.back()] = std::move(v);
    return true;
  }

  // ---- macrostep
  // Runs to a stable configuration. Starting invokes may raise
  // error.execution (a parameter that fails), and its handling may start
  // invokes again: that is a loop here, not recursion, and every microstep
  // of it counts against the one limit.
  void Macrostep() {
    int guard = 0;
    bool looped = false;
    for (;;) {
      while (inst_.running) {
        if (++guard > kMaxMicrosteps) {
          looped = true;
          break;
        }
        auto enabled = SelectTransitions(nullptr);
        if (enabled.empty()) {
          if (internal_.empty()) break;
          Event e = std::move(internal_.front());
          internal_.pop_front();
          SetEvent(e, e.name.rfind("error.", 0) == 0 || e.name.rfind("done.", 0) == 0 ? "platform" : "internal");
          enabled = SelectTransitions(&e);
          if (enabled.empty()) continue;
          Microstep(enabled, e.name);
        } else {
          Microstep(enabled, "");
        }
      }
      if (looped) {
        internal_.clear();
        to_invoke_.clear();
        RaiseError("more than " + std::to_string(kMaxMicrosteps) +
                       " microsteps in one macrostep: the workflow loops", 0);
        internal_.clear();
        break;
      }
      if (!inst_.running) {
        Finish();
        break;
      }
      StartInvokes();
      // error.execution raised while starting invokes is handled now.
      if (internal_.empty()) break;
    }
    inst_.configuration.assign(config_.begin(), config_.end());
  }

  void StartInvokes() {
    for (int s : to_invoke_) {
      if (!Active(s)) continue;
      for (const Invoke& inv : S(s).invokes) {
        Effect e;
        e.kind = Effect::kStartInvoke;
        e.id = inv.id + "." + std::to_string(inst_.next_id++);
        e.name = inv.type;
        e.state = S(s).id;
        json::object params;
        bool ok = true;
        for (const auto& [name, expr] : inv.params) {
          auto v = expr.Evaluate(Scope());
          if (!v) {
            RaiseError(v.error().message, inv.line);
            ok = false;
            break;
          }
          params[name] = *v;
        }
        if (!ok) continue;
        e.data = std::move(params);
        inst_.invokes[e.id] = S(s).id;
        out_.effects.push_back(std::move(e));
      }
    }
    to_invoke_.clear();
  }

  void Finish() {
    std::vector<int> order(config_.rbegin(), config_.rend());
    for (int s : order) {
      for (const auto& block : S(s).onexit) Execute(block);
      CancelInvokesOf(s);
    }
    // The last configuration stays visible (a finished case shows its final
    // state); `running` false marks the end.
    internal_.clear();
    Effect e;
    e.kind = Effect::kFinished;
    out_.effects.push_back(std::move(e));
  }

 public:
  void Load() { config_ = StateSet(inst_.configuration.begin(), inst_.configuration.end()); }

 private:
  const Chart& c_;
  Instance& inst_;
  StateSet config_;
  StateSet to_invoke_;
  std::deque<Event> internal_;
  json::value event_;
  const json::value* config_value_;
  StepOutcome out_;
};

}  // namespace

StepOutcome Interpreter::Start(Instance& inst, const json::object& input,
                               const json::value* config) const {
  Run run(*chart_, inst, config);
  return run.Start(input, config);
}

StepOutcome Interpreter::Apply(Instance& inst, const Event& event, const json::value* config) const {
  Run run(*chart_, inst, config);
  run.Load();
  return run.Apply(event);
}

}  // namespace enrol::sc
