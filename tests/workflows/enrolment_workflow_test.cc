// The enrolment workflow (workflows/enrolment.scxml), path by path, in the
// simulator: no database, no connectors, a virtual clock.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/app/simulate_workflow.h"
#include "tests/support/test_support.h"

namespace enrol {
namespace {

namespace json = boost::json;

class EnrolmentWorkflowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = sc::ReadScxml(testing::ReadFile(testing::SourceDir() + "/workflows/enrolment.scxml"), &problems_,
                           {"letters", "dispatch", "post_status", "student_system", "archive"});
    ASSERT_TRUE(c) << c.error().message;
    chart_ = *c;
  }
  app::SimulationResult Run(std::vector<std::pair<std::string, json::value>> events,
                            json::object data = {{"case_ref", "2027/1/P1"}, {"school", "S01"}},
                            bool invoke_ok = true) {
    app::SimulationOptions o;
    o.invoke_ok = invoke_ok;
    o.data = std::move(data);
    o.config = json::object{{"approval_reminder_after", "P7D"}, {"approval_escalate_after", "P14D"}};
    for (auto& [name, d] : events) {
      sc::Event e;
      e.name = name;
      e.data = d;
      o.events.push_back(e);
    }
    return app::SimulateWorkflow(sc::Interpreter(chart_), o);
  }
  static std::string Final(const app::SimulationResult& r) {
    std::string s;
    for (const auto& x : r.final_configuration) s += (s.empty() ? "" : " ") + x;
    return s;
  }
  static int Count(const app::SimulationResult& r, const std::string& needle) {
    int n = 0;
    for (const auto& st : r.steps) {
      for (const auto& note : st.notes) n += note.find(needle) != std::string::npos;
    }
    return n;
  }
  std::vector<sc::Diagnostic> problems_;
  std::shared_ptr<const sc::Chart> chart_;
};

TEST_F(EnrolmentWorkflowTest, PassesTheChecker) {
  std::string all;
  for (const auto& p : problems_) all += std::to_string(p.line) + ": " + p.message + "\n";
  EXPECT_TRUE(problems_.empty()) << all;
}

TEST_F(EnrolmentWorkflowTest, ValidatesAgainstTheSubsetXsd) {
  if (testing::Run("command -v xmllint").exit_code != 0) GTEST_SKIP() << "xmllint not installed";
  auto r = testing::Run("xmllint --noout --schema " + testing::SourceDir() + "/schemas/scxml-subset.xsd " +
                        testing::SourceDir() + "/workflows/enrolment.scxml");
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

TEST_F(EnrolmentWorkflowTest, ApprovedLetterIsSentRegisteredAndArchived) {
  auto r = Run({{"approve", nullptr}});
  EXPECT_TRUE(r.finished);
  EXPECT_EQ(Final(r), "completed");
  EXPECT_EQ(Count(r, "(letters) ok"), 1);
  EXPECT_EQ(Count(r, "(dispatch) ok"), 1);
  EXPECT_EQ(Count(r, "(student_system) ok"), 1);
  EXPECT_EQ(Count(r, "(archive) ok"), 1);
}

TEST_F(EnrolmentWorkflowTest, RejectWaitsUntilReassignedThenApprove) {
  auto r = Run({{"reject", json::object{{"reason", "feil skole"}}}});
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(Final(r), "rejected");
  EXPECT_EQ(Count(r, "(letters) ok"), 1);
  r = Run({{"reject", json::object{{"reason", "feil skole"}}},
           {"reassign", json::object{{"school", "S02"}, {"reason", "feil skole"}}},
           {"approve", nullptr}});
  EXPECT_EQ(Final(r), "completed");
  EXPECT_EQ(Count(r, "(letters) ok"), 2);
}

TEST_F(EnrolmentWorkflowTest, ReminderThenEscalationWhenNotApproved) {
  auto r = Run({});
  EXPECT_FALSE(r.finished);
  EXPECT_EQ(Final(r), "awaiting_approval");
  ASSERT_GE(r.steps.size(), 4u);
  EXPECT_EQ(r.steps[r.steps.size() - 2].event, "approval.reminder");
  EXPECT_EQ(r.steps[r.steps.size() - 2].at_ms, 7LL * 86400000);
  EXPECT_EQ(r.steps.back().event, "approval.escalate");
  EXPECT_EQ(r.steps.back().at_ms, 14LL * 86400000);
}

TEST_F(EnrolmentWorkflowTest, ApprovalCancelsTheTimers) {
  auto r = Run({{"approve", nullptr}});
  EXPECT_EQ(Count(r, "timer reminder cancelled"), 1);
  EXPECT_EQ(Count(r, "approval.reminder -"), 0);
}

TEST_F(EnrolmentWorkflowTest, ProtectedAddressGoesToManualAndGetsNoLetter) {
  auto r = Run({{"manual.resolved", json::object{{"school", "S02"}}}},
               {{"case_ref", "x"}, {"protected", true}});
  EXPECT_EQ(Final(r), "manual_handling");
  EXPECT_EQ(Count(r, "(letters)"), 0);
  auto closed = Run({{"manual.closed", nullptr}}, {{"case_ref", "x"}, {"protected", true}});
  EXPECT_EQ(Final(closed), "closed");
  EXPECT_TRUE(closed.finished);
}

TEST_F(EnrolmentWorkflowTest, ManualHandlingResolvedReentersTheFlow) {
  auto r = Run({{"manual.resolved", json::object{{"school", "S05"}}}, {"approve", nullptr}},
               {{"case_ref", "x"}, {"needs_manual", true}, {"manual_reasons", "unplaced"}});
  EXPECT_EQ(Final(r), "completed");
}

TEST_F(EnrolmentWorkflowTest, RegisterChangeAfterSendingSupersedesTheLetter) {
  app::SimulationOptions o;
  o.invoke_ok = true;
  o.data = {{"case_ref", "x"}, {"school", "S01"}};
  o.config = json::object{{"approval_reminder_after", "P7D"}, {"approval_escalate_after", "P14D"}};
  sc::Interpreter interp(chart_);
  sc::Instance inst;
  // Drive by hand to stop between receipts.
  auto out = interp.Start(inst, o.data, &o.config);
  std::string draft_id = out.effects.back().id;
  out = interp.Apply(inst, sc::Event{"done.invoke." + draft_id, json::object{{"version", 1}}, draft_id, ""}, &o.config);
  out = interp.Apply(inst, sc::Event{"approve", nullptr, "", ""}, &o.config);
  std::string send_id;
  for (const auto& e : out.effects) {
    if (e.kind == sc::Effect::kStartInvoke && e.name == "dispatch") send_id = e.id;
  }
  out = interp.Apply(inst, sc::Event{"done.invoke." + send_id, json::object{{"receipt", "r1"}}, send_id, ""}, &o.config);
  EXPECT_EQ(inst.data.at("letter_sent"), json::value(true));
  EXPECT_EQ(inst.AtomicStateIds(*chart_), (std::vector<std::string>{"sent", "registering", "archiving"}));
  out = interp.Apply(inst, sc::Event{"register.moved", json::object{{"school", "S02"}}, "", ""}, &o.config);
  EXPECT_EQ(inst.data.at("superseded").as_int64(), 1);
  EXPECT_EQ(inst.data.at("school"), "S02");
  EXPECT_EQ(inst.AtomicStateIds(*chart_), std::vector<std::string>{"drafting"});
  int cancels = 0;
  for (const auto& e : out.effects) cancels += e.kind == sc::Effect::kCancelInvoke;
  EXPECT_EQ(cancels, 2);  // the student system and archive invokes still running
}

TEST_F(EnrolmentWorkflowTest, LeavingOrDyingOrDeferringClosesTheCase) {
  for (const char* event : {"register.left_municipality", "register.died", "deferred"}) {
    auto r = Run({{event, nullptr}});
    EXPECT_EQ(Final(r), "closed") << event;
    EXPECT_TRUE(r.finished);
  }
}

TEST_F(EnrolmentWorkflowTest, FailedLetterGoesToManualHandling) {
  auto r = Run({}, {{"case_ref", "x"}, {"school", "S01"}}, /*invoke_ok=*/false);
  EXPECT_EQ(Final(r), "manual_handling");
}

TEST_F(EnrolmentWorkflowTest, ReassignRedraftsForTheNewSchool) {
  auto r = Run({{"reassign", json::object{{"school", "S09"}}}, {"approve", nullptr}});
  EXPECT_EQ(Final(r), "completed");
  EXPECT_EQ(Count(r, "(letters) ok"), 2);
}

}  // namespace
}  // namespace enrol
