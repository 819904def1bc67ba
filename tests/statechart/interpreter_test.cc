#include "engine/statechart/interpreter.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

namespace enrol::sc {
namespace {

namespace json = boost::json;

std::shared_ptr<const Chart> Load(const std::string& body, const std::string& attrs = "") {
  const std::string text = "<scxml xmlns=\"http://www.w3.org/2005/07/scxml\" version=\"1.0\" " + attrs +
                           ">\n" + body + "\n</scxml>";
  auto c = ReadScxml(text, nullptr);
  EXPECT_TRUE(c) << c.error().message;
  return c ? *c : nullptr;
}

class Machine {
 public:
  explicit Machine(std::shared_ptr<const Chart> c, json::object input = {}) : interp_(c) {
    last_ = interp_.Start(inst_, input);
  }
  Machine& Send(const std::string& name, json::value data = nullptr, std::string invoke_id = "") {
    Event e;
    e.name = name;
    e.data = std::move(data);
    e.invoke_id = std::move(invoke_id);
    last_ = interp_.Apply(inst_, e);
    return *this;
  }
  std::string Config() const {
    std::string s;
    for (const auto& id : inst_.AtomicStateIds(interp_.chart())) s += (s.empty() ? "" : " ") + id;
    return s;
  }
  std::vector<std::string> Logs() const {
    std::vector<std::string> out;
    for (const Effect& e : last_.effects) {
      if (e.kind == Effect::kLog) out.push_back(e.name);
    }
    return out;
  }
  const Effect* First(Effect::Kind k) const {
    for (const Effect& e : last_.effects) {
      if (e.kind == k) return &e;
    }
    return nullptr;
  }
  Instance inst_;
  Interpreter interp_;
  StepOutcome last_;
};

TEST(InterpreterTest, EntersTheInitialConfiguration) {
  Machine m(Load(R"X(<state id="a"><state id="a1"/><state id="a2"/></state><state id="b"/>)X"));
  EXPECT_EQ(m.Config(), "a1");
  EXPECT_TRUE(m.inst_.running);
}

TEST(InterpreterTest, InitialAttributeAndInitialElement) {
  Machine m1(Load(R"X(<state id="a" initial="a2"><state id="a1"/><state id="a2"/></state>)X"));
  EXPECT_EQ(m1.Config(), "a2");
  Machine m2(Load(R"X(<state id="a"><initial><transition target="a2"><log label="init"/></transition></initial>
    <state id="a1"/><state id="a2"/></state>)X"));
  EXPECT_EQ(m2.Config(), "a2");
  EXPECT_EQ(m2.Logs(), std::vector<std::string>{"init"});
  Machine m3(Load(R"X(<state id="x"/><state id="y"/>)X", R"X(initial="y")X"));
  EXPECT_EQ(m3.Config(), "y");
}

TEST(InterpreterTest, FirstTransitionInDocumentOrderWins) {
  Machine m(Load(R"X(<state id="a"><transition event="go" target="b"/><transition event="go" target="c"/></state>
    <state id="b"/><state id="c"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "b");
  EXPECT_TRUE(m.last_.handled);
}

TEST(InterpreterTest, DescendantTransitionPreemptsAncestor) {
  Machine m(Load(R"X(<state id="p"><transition event="go" target="out1"/>
      <state id="c"><transition event="go" target="out2"/></state></state>
    <state id="out1"/><state id="out2"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "out2");
}

TEST(InterpreterTest, AncestorTransitionWhenDescendantHasNone) {
  Machine m(Load(R"X(<state id="p"><transition event="go" target="out1"/><state id="c"/></state><state id="out1"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "out1");
}

TEST(InterpreterTest, ExitInReverseAndEntryInDocumentOrder) {
  Machine m(Load(R"X(
    <state id="p"><onexit><log label="exit p"/></onexit>
      <state id="c"><onexit><log label="exit c"/></onexit><transition event="go" target="q2"><log label="t"/></transition></state>
    </state>
    <state id="q"><onentry><log label="enter q"/></onentry>
      <state id="q1"/><state id="q2"><onentry><log label="enter q2"/></onentry></state></state>)X"));
  m.Send("go");
  EXPECT_EQ(m.Logs(), (std::vector<std::string>{"exit c", "exit p", "t", "enter q", "enter q2"}));
}

TEST(InterpreterTest, InternalEventsBeforeExternal) {
  Machine m(Load(R"X(<state id="a"><transition event="go" target="b"/></state>
    <state id="b"><onentry><raise event="inner"/></onentry><transition event="inner" target="c"/>
      <transition event="next" target="d"/></state>
    <state id="c"><transition event="next" target="e"/></state><state id="d"/><state id="e"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "c");  // the raised event was taken in the same macrostep
  m.Send("next");
  EXPECT_EQ(m.Config(), "e");
}

TEST(InterpreterTest, EventlessTransitionsRunToAStableState) {
  Machine m(Load(R"X(<datamodel><data id="n" expr="0"/></datamodel>
    <state id="loop"><transition cond="n &lt; 3" target="loop"><assign location="n" expr="n + 1"/></transition>
      <transition cond="n == 3" target="done"/></state><state id="done"/>)X"));
  EXPECT_EQ(m.Config(), "done");
  EXPECT_EQ(m.inst_.data.at("n").as_int64(), 3);
}

TEST(InterpreterTest, DoneStateForCompound) {
  Machine m(Load(R"X(<state id="work"><state id="w1"><transition event="go" target="wf"/></state><final id="wf"/>
      <transition event="done.state.work" target="after"/></state><state id="after"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "after");
}

TEST(InterpreterTest, DoneStateForParallelWhenEveryRegionIsFinal) {
  Machine m(Load(R"X(<parallel id="par">
      <state id="r1"><state id="r1a"><transition event="a" target="r1f"/></state><final id="r1f"/></state>
      <state id="r2"><state id="r2a"><transition event="b" target="r2f"/></state><final id="r2f"/></state>
      <transition event="done.state.par" target="after"/></parallel><state id="after"/>)X"));
  EXPECT_EQ(m.Config(), "r1a r2a");
  m.Send("a");
  EXPECT_EQ(m.Config(), "r1f r2a");
  m.Send("b");
  EXPECT_EQ(m.Config(), "after");
}

TEST(InterpreterTest, ParallelRegionsTakeTheSameEventTogether) {
  Machine m(Load(R"X(<parallel id="par">
      <state id="r1"><state id="x1"><transition event="go" target="y1"/></state><state id="y1"/></state>
      <state id="r2"><state id="x2"><transition event="go" target="y2"/></state><state id="y2"/></state>
    </parallel>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "y1 y2");
}

TEST(InterpreterTest, TransitionLeavingAParallelPreemptsRegionTransitions) {
  Machine m(Load(R"X(<parallel id="par">
      <state id="r1"><state id="x1"><transition event="go" target="out"/></state></state>
      <state id="r2"><state id="x2"><transition event="go" target="y2"/></state><state id="y2"/></state>
    </parallel><state id="out"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "out");
}

TEST(InterpreterTest, ShallowHistory) {
  Machine m(Load(R"X(<state id="p"><history id="h" type="shallow"><transition target="p1"/></history>
      <state id="p1"><transition event="next" target="p2"/></state>
      <state id="p2"><state id="p2a"><transition event="deeper" target="p2b"/></state><state id="p2b"/></state>
      <transition event="leave" target="out"/></state>
    <state id="out"><transition event="back" target="h"/></state>)X"));
  m.Send("next").Send("deeper");
  EXPECT_EQ(m.Config(), "p2b");
  m.Send("leave").Send("back");
  EXPECT_EQ(m.Config(), "p2a");  // shallow: p2 remembered, its default entered
}

TEST(InterpreterTest, DeepHistory) {
  Machine m(Load(R"X(<state id="p"><history id="h" type="deep"><transition target="p1"/></history>
      <state id="p1"><transition event="next" target="p2"/></state>
      <state id="p2"><state id="p2a"><transition event="deeper" target="p2b"/></state><state id="p2b"/></state>
      <transition event="leave" target="out"/></state>
    <state id="out"><transition event="back" target="h"/></state>)X"));
  m.Send("next").Send("deeper").Send("leave").Send("back");
  EXPECT_EQ(m.Config(), "p2b");
}

TEST(InterpreterTest, HistoryDefaultWhenNeverVisited) {
  Machine m(Load(R"X(<state id="out"><transition event="in" target="h"/></state>
    <state id="p"><history id="h"><transition target="p2"><log label="default"/></transition></history>
      <state id="p1"/><state id="p2"/></state>)X"));
  m.Send("in");
  EXPECT_EQ(m.Config(), "p2");
  EXPECT_EQ(m.Logs(), std::vector<std::string>{"default"});
}

TEST(InterpreterTest, InternalTransitionDoesNotExitItsSource) {
  const std::string body = R"X(<state id="p"><onexit><log label="exit p"/></onexit><onentry><log label="enter p"/></onentry>
      <state id="c1"/><state id="c2"/><transition event="go" target="c2" type="TYPE"/></state>)X";
  std::string internal = body;
  internal.replace(internal.find("TYPE"), 4, "internal");
  Machine mi(Load(internal));
  mi.Send("go");
  EXPECT_EQ(mi.Config(), "c2");
  EXPECT_TRUE(mi.Logs().empty());
  std::string external = body;
  external.replace(external.find("TYPE"), 4, "external");
  Machine me(Load(external));
  me.Send("go");
  EXPECT_EQ(me.Logs(), (std::vector<std::string>{"exit p", "enter p"}));
}

TEST(InterpreterTest, EventDescriptorsMatchByPrefixToken) {
  EXPECT_TRUE(Interpreter::NameMatches("error", "error.execution"));
  EXPECT_TRUE(Interpreter::NameMatches("error.*", "error.execution"));
  EXPECT_TRUE(Interpreter::NameMatches("*", "anything"));
  EXPECT_TRUE(Interpreter::NameMatches("done.invoke.draft", "done.invoke.draft.7"));
  EXPECT_FALSE(Interpreter::NameMatches("err", "error.execution"));
  EXPECT_FALSE(Interpreter::NameMatches("error.execution.x", "error.execution"));
  Machine m(Load(R"X(<state id="a"><transition event="letter approved" target="b"/></state><state id="b"/>)X"));
  m.Send("letter.rejected");
  EXPECT_EQ(m.Config(), "b");
}

TEST(InterpreterTest, UnknownEventChangesNothing) {
  Machine m(Load(R"X(<state id="a"><transition event="go" target="b"/></state><state id="b"/>)X"));
  m.Send("nonsense");
  EXPECT_FALSE(m.last_.handled);
  EXPECT_EQ(m.Config(), "a");
}

TEST(InterpreterTest, ConditionsReadDataAndEvent) {
  Machine m(Load(R"X(<datamodel><data id="grade" expr="1"/><data id="protected" expr="false"/></datamodel>
    <state id="a"><transition event="go" cond="grade == 1 and not protected and _event.data.school == 'S01'" target="b"/>
      <transition event="go" target="c"/></state><state id="b"/><state id="c"/>)X"));
  m.Send("go", json::object{{"school", "S01"}});
  EXPECT_EQ(m.Config(), "b");
}

TEST(InterpreterTest, InPredicate) {
  Machine m(Load(R"X(<parallel id="par"><state id="r1"><state id="x"><transition event="go" target="y"/></state><state id="y"/></state>
    <state id="r2"><state id="w"><transition event="check" cond="In('y')" target="z"/></state><state id="z"/></state></parallel>)X"));
  m.Send("check");
  EXPECT_EQ(m.Config(), "x w");
  m.Send("go").Send("check");
  EXPECT_EQ(m.Config(), "y z");
}

TEST(InterpreterTest, ExpressionErrorRaisesErrorExecutionAndStopsTheBlock) {
  Machine m(Load(R"X(<datamodel><data id="x" expr="1"/></datamodel>
    <state id="a"><transition event="go" target="b"/></state>
    <state id="b"><onentry><log label="before"/><assign location="x" expr="missing + 1"/><log label="after"/></onentry>
      <transition event="error.execution" target="failed"/></state><state id="failed"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Logs(), std::vector<std::string>{"before"});
  EXPECT_EQ(m.Config(), "failed");
}

TEST(InterpreterTest, BadConditionIsFalseAndRaisesErrorExecution) {
  Machine m(Load(R"X(<state id="a"><transition event="go" cond="nope == 1" target="b"/>
      <transition event="error.execution" target="c"/></state><state id="b"/><state id="c"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "c");
}

TEST(InterpreterTest, AssignToUndeclaredDataIsAnError) {
  Machine m(Load(R"X(<state id="a"><onentry><assign location="undeclared" expr="1"/></onentry>
      <transition event="error.execution" target="b"/></state><state id="b"/>)X"));
  EXPECT_EQ(m.Config(), "b");
}

TEST(InterpreterTest, IfElseifElse) {
  Machine m(Load(R"X(<datamodel><data id="g" expr="5"/></datamodel>
    <state id="a"><onentry><if cond="g == 1"><log label="one"/><elseif cond="g == 5"/><log label="five"/>
      <else/><log label="other"/></if></onentry></state>)X"));
  EXPECT_EQ(m.Logs(), std::vector<std::string>{"five"});
}

TEST(InterpreterTest, SendWithDelayAndCancel) {
  Machine m(Load(R"X(<state id="a"><onentry><send event="remind" id="r1" delay="P14D"/>
      <send event="soon" delay="90s"><param name="n" expr="2"/></send></onentry>
      <transition event="approve" target="b"/><onexit><cancel sendid="r1"/></onexit></state><state id="b"/>)X"));
  const Effect* s = m.First(Effect::kSchedule);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->id, "r1");
  EXPECT_EQ(s->delay_ms, 14LL * 86400 * 1000);
  EXPECT_EQ(m.last_.effects[1].delay_ms, 90000);
  EXPECT_EQ(m.last_.effects[1].data.at("n").as_int64(), 2);
  m.Send("approve");
  const Effect* c = m.First(Effect::kCancelSchedule);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->id, "r1");
}

TEST(InterpreterTest, DelayExprReadsConfiguration) {
  auto chart = Load(R"X(<state id="a"><onentry><send event="remind" delayexpr="config.reminder"/></onentry></state>)X");
  Interpreter interp(chart);
  Instance inst;
  const json::value config = json::object{{"reminder", "PT2H"}};
  auto out = interp.Start(inst, {}, &config);
  ASSERT_EQ(out.effects.size(), 1u);
  EXPECT_EQ(out.effects[0].delay_ms, 2 * 3600 * 1000);
}

TEST(InterpreterTest, InvokeStartsAtMacrostepEndAndIsCancelledOnExit) {
  Machine m(Load(R"X(<datamodel><data id="school" expr="'S01'"/></datamodel>
    <state id="idle"><transition event="go" target="drafting"/></state>
    <state id="drafting"><invoke id="draft" type="letters"><param name="school" expr="school"/></invoke>
      <onentry><raise event="bounce"/></onentry>
      <transition event="done.invoke.draft" target="drafted"/>
      <transition event="abort" target="idle"/></state>
    <state id="drafted"/>)X"));
  m.Send("go");
  const Effect* start = m.First(Effect::kStartInvoke);
  ASSERT_TRUE(start);
  EXPECT_EQ(start->name, "letters");
  EXPECT_EQ(start->state, "drafting");
  EXPECT_EQ(start->data.at("school"), "S01");
  const std::string first_id = start->id;
  m.Send("abort");
  const Effect* cancel = m.First(Effect::kCancelInvoke);
  ASSERT_TRUE(cancel);
  EXPECT_EQ(cancel->id, first_id);
  m.Send("go");
  const std::string second_id = m.First(Effect::kStartInvoke)->id;
  EXPECT_NE(second_id, first_id);
  m.Send("done.invoke.draft." + first_id.substr(6), nullptr, first_id);  // the cancelled one
  EXPECT_EQ(m.Config(), "drafting");
  m.Send("done.invoke." + second_id, json::object{{"pdf", "x"}}, second_id);
  EXPECT_EQ(m.Config(), "drafted");
}

TEST(InterpreterTest, InvokeNotStartedWhenItsStateIsLeftInTheSameMacrostep) {
  Machine m(Load(R"X(<state id="a"><transition event="go" target="b"/></state>
    <state id="b"><invoke type="x"/><transition target="c"/></state><state id="c"/>)X"));
  m.Send("go");
  EXPECT_EQ(m.Config(), "c");
  EXPECT_FALSE(m.First(Effect::kStartInvoke));
}

TEST(InterpreterTest, TopLevelFinalEndsTheInstance) {
  Machine m(Load(R"X(<state id="a"><onexit><log label="bye"/></onexit><transition event="go" target="end"/></state><final id="end"/>)X"));
  m.Send("go");
  EXPECT_FALSE(m.inst_.running);
  EXPECT_TRUE(m.First(Effect::kFinished));
  m.Send("go");
  EXPECT_FALSE(m.last_.handled);
}

TEST(InterpreterTest, InstanceRoundTripsThroughJson) {
  auto chart = Load(R"X(<datamodel><data id="n" expr="7"/></datamodel>
    <state id="p"><history id="h" type="deep"><transition target="p1"/></history>
      <state id="p1"><transition event="next" target="p2"/></state><state id="p2"><invoke type="x"/></state>
      <transition event="leave" target="out"/></state><state id="out"/>)X");
  Machine m(chart);
  m.Send("next");
  const json::object saved = m.inst_.ToJson(*chart);
  auto back = Instance::FromJson(*chart, saved);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->configuration, m.inst_.configuration);
  EXPECT_EQ(back->invokes, m.inst_.invokes);
  EXPECT_EQ(back->data, m.inst_.data);
  EXPECT_EQ(back->ToJson(*chart), saved);
}

TEST(InterpreterTest, FailingInvokeParamLoopingBackToItsStateStopsAtTheMicrostepLimit) {
  // The invoke's parameter fails, error.execution re-enters the state, whose
  // invoke fails again: this once recursed until the stack overflowed.
  auto c = Load(R"(<state id="a">
      <invoke id="i" type="t"><param name="p" expr="missing.deep.path + 1"/></invoke>
      <transition event="error.execution" target="a"/>
    </state>)");
  Machine m(c);
  int errors = 0;
  for (const Effect& e : m.last_.effects) errors += e.kind == Effect::kError ? 1 : 0;
  EXPECT_GT(errors, 100);
  bool limit_reported = false;
  for (const Effect& e : m.last_.effects) {
    if (e.kind == Effect::kError && json::serialize(e.data).find("microsteps") != std::string::npos) {
      limit_reported = true;
    }
  }
  EXPECT_TRUE(limit_reported);
  EXPECT_EQ(m.Config(), "a");
}

}  // namespace
}  // namespace enrol::sc
