#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace enrol {
namespace {

class WorkflowCliTest : public ::testing::Test {
 protected:
  testing::CommandResult Enrol(const std::string& args) {
    return testing::Run("cd " + dir_.path().string() + " && " + testing::EnrolBinary() + " --config " +
                        testing::DemoConfig() + " " + args);
  }
  std::string Write(const std::string& name, const std::string& body) {
    testing::WriteFile(dir_.File(name), body);
    return dir_.File(name);
  }
  testing::TempDir dir_;
  const std::string workflow_ = testing::SourceDir() + "/workflows/enrolment.scxml";
};

TEST_F(WorkflowCliTest, CheckAcceptsTheEnrolmentWorkflow) {
  auto r = Enrol("workflow check " + workflow_);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(": ok"), std::string::npos);
}

TEST_F(WorkflowCliTest, CheckReportsEachProblemWithItsLine) {
  const std::string f = Write("bad.scxml", R"(<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">
<state id="a">
  <transition event="go" target="nowhere"/>
  <transition event="x" cond="grade ==" target="a"/>
  <invoke type="fax"/>
</state>
</scxml>)");
  auto r = Enrol("workflow check " + f);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("bad.scxml:3: transition target 'nowhere' is not a state"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad.scxml:4: expression 'grade =='"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("bad.scxml:5: unknown invoke type 'fax'"), std::string::npos) << r.out;
}

TEST_F(WorkflowCliTest, CheckReportsUnreachableAndTraps) {
  const std::string f = Write("warn.scxml", R"(<scxml xmlns="http://www.w3.org/2005/07/scxml" version="1.0">
<state id="a"><transition event="go" target="trap"/></state>
<state id="trap"><state id="inner"/></state>
<state id="island"/>
</scxml>)");
  auto r = Enrol("workflow check " + f);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("warn.scxml:3: compound state 'trap' has no way out"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("warn.scxml:4: state 'island' cannot be reached"), std::string::npos) << r.out;
}

TEST_F(WorkflowCliTest, GraphPrintsDot) {
  auto r = Enrol("workflow graph " + workflow_);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind("digraph \"enrolment\" {", 0), 0u) << r.out.substr(0, 200);
  EXPECT_NE(r.out.find("subgraph \"cluster_dispatching\""), std::string::npos);
  EXPECT_NE(r.out.find("\"completed\" [shape=doublecircle]"), std::string::npos);
  EXPECT_NE(r.out.find("[label=\"approve\""), std::string::npos);
}

TEST_F(WorkflowCliTest, SimulateRunsToTheFinalState) {
  auto r = Enrol("workflow simulate " + workflow_ + " --invoke-ok --data '{\"school\":\"S01\"}' --event approve");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("final: completed"), std::string::npos);
  const size_t last = r.out.find_last_not_of('\n');
  EXPECT_EQ(r.out.substr(r.out.rfind('\n', last - 1) + 1), "final: completed\n");
}

TEST_F(WorkflowCliTest, SimulateWithoutInvokeOkFailsInvokes) {
  auto r = Enrol("workflow simulate " + workflow_);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("error.communication -> manual_handling"), std::string::npos) << r.out;
}

TEST_F(WorkflowCliTest, SimulateEventDataAndErrors) {
  auto r = Enrol("workflow simulate " + workflow_ + " --invoke-ok --event 'reject={\"reason\":\"x\"}' " +
                  "--event 'reassign={\"school\":\"S02\",\"reason\":\"x\"}' --event approve");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("reject -> rejected"), std::string::npos) << r.out;
  EXPECT_EQ(Enrol("workflow simulate " + workflow_ + " --event 'reject={bad'").exit_code, 2);
  EXPECT_EQ(Enrol("workflow simulate " + workflow_ + " --data '[1]'").exit_code, 2);
  EXPECT_EQ(Enrol("workflow simulate nope.scxml").exit_code, 2);
}

}  // namespace
}  // namespace enrol
