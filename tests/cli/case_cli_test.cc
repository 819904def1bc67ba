// The case commands as a user runs them.
#include <signal.h>

#include <chrono>
#include <regex>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/support/demo_config.h"

namespace enrol {
namespace {

namespace json = boost::json;

class CaseCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteDemoConfig(dir_, [this](json::object& o) { o["connectors"].as_object()["simulator_db"] = dir_.File("sims.db"); });
    ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 900 --seed 9 --school-year 2027 --out x.json").exit_code, 0);
    ASSERT_EQ(Enrol("init").exit_code, 0);
    ASSERT_EQ(Enrol("import x.json").exit_code, 0);
  }
  testing::CommandResult Enrol(const std::string& args) {
    return testing::Run("cd " + dir_.path().string() + " && ENROL_CONFIG=" + dir_.File("config.json") + " " +
                        testing::EnrolBinary() + " " + args);
  }
  static json::value Json(const testing::CommandResult& r) {
    boost::system::error_code ec;
    auto v = json::parse(r.out, ec);
    EXPECT_FALSE(ec) << r.out.substr(0, 400);
    return v;
  }
  testing::TempDir dir_;
};

TEST_F(CaseCliTest, IntakeTwiceCreatesNoDuplicates) {
  auto first = Json(Enrol("--json intake --school-year 2027"));
  EXPECT_GT(first.at("created").as_int64(), 100);
  auto second = Json(Enrol("--json intake --school-year 2027"));
  EXPECT_EQ(second.at("created").as_int64(), 0);
  EXPECT_EQ(second.at("existing").as_int64(), first.at("created").as_int64());
  auto text = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("cases by school and state"), std::string::npos);
  EXPECT_EQ(Enrol("intake --school-year 2027 --grades 3").exit_code, 2);
}

TEST_F(CaseCliTest, ApproveASchoolThenShowACase) {
  ASSERT_EQ(Enrol("intake --school-year 2027").exit_code, 0);
  auto before = Json(Enrol("--json case list --school S01 --state awaiting_approval"));
  ASSERT_GT(before.as_array().size(), 0u);
  auto approve = Json(Enrol("--json case event --school S01 --state awaiting_approval approve --as sekretaer"));
  EXPECT_EQ(approve.at("applied").as_int64(), static_cast<int64_t>(before.as_array().size()));
  auto done = Json(Enrol("--json case list --school S01 --status completed"));
  EXPECT_EQ(done.as_array().size(), before.as_array().size());
  const std::string key(done.as_array()[0].at("key").as_string());
  auto show = Enrol("case show " + key);
  EXPECT_EQ(show.exit_code, 0);
  for (const char* what : {"status: completed", "archive", "student_system", "dispatch", "person:sekretaer", "history:"}) {
    EXPECT_NE(show.out.find(what), std::string::npos) << what << "\n" << show.out;
  }
  auto shown = Json(Enrol("--json case show " + key));
  EXPECT_EQ(shown.at("jobs").as_array().size(), 4u);
  EXPECT_EQ(Enrol("audit verify").exit_code, 0);
}

TEST_F(CaseCliTest, EventErrorsSayWhatWasWrong) {
  ASSERT_EQ(Enrol("intake --school-year 2027").exit_code, 0);
  auto nowhere = Enrol("case event 999999 approve");
  EXPECT_EQ(nowhere.exit_code, 2);
  EXPECT_NE(nowhere.out.find("no case 999999"), std::string::npos);
  auto wrong = Enrol("case event 1 manual.resolved");
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_NE(wrong.out.find("does not accept"), std::string::npos) << wrong.out;
  EXPECT_EQ(Enrol("case event approve").exit_code, 2);  // no case, no selection
  EXPECT_EQ(Enrol("case event 1 reject --data '[1]'").exit_code, 2);
  ASSERT_EQ(Enrol("case event 1 approve").exit_code, 0);
  auto closed = Enrol("case event 1 approve");
  EXPECT_EQ(closed.exit_code, 1);
  EXPECT_NE(closed.out.find("takes no more events"), std::string::npos) << closed.out;
}

TEST_F(CaseCliTest, IncidentsListRetrySkipCancel) {
  json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
  cfg.as_object()["connectors"].as_object()["simulator_fail_always"] = true;
  cfg.as_object()["connectors"].as_object().erase("letters");  // the simulator, failing, serves letters too
  cfg.as_object()["workflow"].as_object()["retry"] = json::object{{"attempts", 1}};
  testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto list = Json(Enrol("--json incidents list"));
  ASSERT_GT(list.as_array().size(), 10u);
  EXPECT_NE(std::string(list.as_array()[0].at("error").as_string()).find("unavailable"), std::string::npos);
  EXPECT_EQ(Enrol("incidents retry").exit_code, 2);  // say which
  EXPECT_EQ(Enrol("incidents skip --all").exit_code, 2);  // needs a reason
  const std::string first_id = std::to_string(list.as_array()[0].at("id").as_int64());
  auto skip = Json(Enrol("--json incidents skip " + first_id + " --reason 'sent by hand'"));
  EXPECT_EQ(skip.at("incidents").as_int64(), 1);
  auto cancel = Json(Enrol("--json incidents cancel --school S01 --reason 'renderer gone'"));
  EXPECT_GT(cancel.at("incidents").as_int64(), 0);
  auto manual = Json(Enrol("--json case list --school S01 --state manual_handling"));
  EXPECT_EQ(manual.as_array().size(), static_cast<size_t>(cancel.at("incidents").as_int64()));
  auto retry = Json(Enrol("--json incidents retry --all"));
  EXPECT_GT(retry.at("incidents").as_int64(), 0);
  EXPECT_EQ(retry.at("new_incidents").as_int64(), retry.at("incidents").as_int64());  // still failing
  EXPECT_EQ(Enrol("audit verify").exit_code, 0);
}

TEST_F(CaseCliTest, RunStopsCleanlyOnSigterm) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const std::string out = dir_.File("run.out");
  auto r = testing::Run("cd " + dir_.path().string() + " && (ENROL_CONFIG=" + dir_.File("config.json") + " " +
                        testing::EnrolBinary() + " run --poll-ms 200 > " + out + " 2>&1 & echo $! > pid; "
                        "for i in $(seq 1 200); do grep -q 'worker running' " + out + " && break; sleep 0.05; done; "
                        "kill -TERM $(cat pid); wait $(cat pid); echo exit=$?)");
  EXPECT_NE(r.out.find("exit=0"), std::string::npos) << r.out;
  EXPECT_NE(testing::ReadFile(out).find("stopped by signal"), std::string::npos) << testing::ReadFile(out);
}

TEST_F(CaseCliTest, WithoutConnectorsConfiguredTheEngineSaysSo) {
  json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
  cfg.as_object().erase("connectors");
  testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  auto r = Enrol("intake --school-year 2027");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("set \"connectors\": {\"mode\": \"simulator\"}"), std::string::npos) << r.out;
}

TEST_F(CaseCliTest, MigrateWithNothingToMove) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto r = Enrol("workflow migrate");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("0 active case(s) moved"), std::string::npos) << r.out;
}

TEST_F(CaseCliTest, NoNationalIdInCaseOutput) {
  ASSERT_EQ(Enrol("intake --school-year 2027").exit_code, 0);
  std::string all = Enrol("case list").out + Enrol("case show 1").out + Enrol("--json case show 2").out +
                    Enrol("incidents list --all").out;
  std::smatch m;
  EXPECT_FALSE(std::regex_search(all, m, std::regex("(^|[^0-9])[0-9]{11}([^0-9]|$)"))) << m.str();
}

}  // namespace
}  // namespace enrol
