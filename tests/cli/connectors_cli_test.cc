// The whole workflow against the three systems' simulators, as the demo runs
// it: digital post (SvarUt), the student system (OneRoster 1.2) and the
// archive (Noark 5), in the engine's process and over HTTP, with faults:
// every case ends completed with three receipts and one effect in each
// system; a letter digital post could not deliver is printed once.
#include <chrono>
#include <filesystem>
#include <set>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/sql/sqlite.h"
#include "tests/support/demo_config.h"
#include "tests/support/xml_schema.h"

namespace enrol {
namespace {

namespace json = boost::json;

class ConnectorsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Configure([](json::object&) {});
    ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 400 --seed 5 --school-year 2027 --out x.json").exit_code, 0);
    ASSERT_EQ(Enrol("init").exit_code, 0);
    ASSERT_EQ(Enrol("import x.json").exit_code, 0);
  }
  void Configure(const std::function<void(json::object& connectors)>& change) {
    testing::WriteDemoConfig(
        dir_,
        [&](json::object& o) {
          json::object& c = o["connectors"].as_object();
          c["simulator_db"] = dir_.File("sims.db");
          c["archive"].as_object()["simulator_db"] = dir_.File("archive.db");
          c["student_system"].as_object()["simulator_db"] = dir_.File("sis.db");
          c["dispatch"].as_object()["simulator_db"] = dir_.File("post.db");
          o["workflow"].as_object()["retry"] =
              json::object{{"attempts", 60}, {"backoff", "PT0.02S"}, {"max_backoff", "PT0.1S"}};
          o["workflow"].as_object()["post_poll_after"] = "PT0.05S";
          change(c);
        },
        testing::DemoConnectors::kAll);
  }
  testing::CommandResult Enrol(const std::string& args) { return testing::EnrolIn(dir_, args); }
  static json::value Json(const testing::CommandResult& r) { return testing::OutputJson(r); }
  int64_t Sql(const std::string& db, const std::string& sql) {
    auto d = sql::Database::Open(dir_.File(db));
    EXPECT_TRUE(d) << db;
    if (!d) return -1;
    auto q = (*d)->Prepare(sql);
    EXPECT_TRUE(q) << sql;
    if (!q || !*q->Step()) return -1;
    return q->ColumnInt(0);
  }
  // Runs the worker until no job is queued and no case follows its post,
  // printing the undelivered letters of each school as they come.
  void RunToTheEnd() {
    for (int round = 0; round < 400; ++round) {
      ASSERT_EQ(Enrol("run --until-idle --linger-ms 300").exit_code, 0);
      auto printing = Json(Enrol("--json case list --state printing")).as_array();
      std::set<std::string> schools;
      for (const auto& c : printing) schools.insert(std::string(c.at("school").as_string()));
      for (const auto& s : schools) {
        auto r = Enrol("letters print-batch --school " + s + " --undelivered --as kontoret --out print-" + s + "-" +
                       std::to_string(round) + ".pdf");
        ASSERT_EQ(r.exit_code, 0) << r.out;
      }
      if (Sql("enrol.db", "SELECT COUNT(*) FROM jobs WHERE status='queued'") == 0 &&
          Json(Enrol("--json case list --status active --state dispatching")).as_array().empty() && schools.empty()) {
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "the cases did not settle";
  }
  // Every approved case completed, with a receipt from each system, and each
  // system holding exactly one effect per case.
  void ExpectEveryCaseDoneOnceInEachSystem(const std::string& school, size_t approved) {
    auto done = Json(Enrol("--json case list " + (school.empty() ? "" : "--school " + school) + " --status completed")).as_array();
    EXPECT_EQ(done.size(), approved);
    for (const auto& c : done) {
      const json::value shown = Json(Enrol("--json case show " + std::string(c.at("key").as_string())));
      const json::value& r = shown.at("data").at("receipts");
      EXPECT_EQ(r.at("dispatch").at("protocol"), "svarut-v2");
      EXPECT_EQ(r.at("student_system").at("protocol"), "oneroster-1.2");
      EXPECT_EQ(r.at("archive").at("protocol"), "noark5");
    }
    const auto n = static_cast<int64_t>(approved);
    // Digital post: one forsendelse per eksternReferanse, at least one per case.
    EXPECT_EQ(Sql("post.db", "SELECT COUNT(*) FROM forsendelser"), Sql("post.db", "SELECT COUNT(DISTINCT eksternref) FROM forsendelser"));
    EXPECT_GE(Sql("post.db", "SELECT COUNT(*) FROM forsendelser"), n);
    // The student system: one enrollment per case, entered once.
    EXPECT_EQ(Sql("sis.db", "SELECT COUNT(*) FROM objects WHERE collection='enrollments'"), n);
    EXPECT_EQ(Sql("sis.db", "SELECT MAX(versions) FROM objects WHERE collection='enrollments'"), 1);
    // The archive: one journalpost and file per case.
    EXPECT_EQ(Sql("archive.db", "SELECT COUNT(*) FROM objects WHERE kind='journalpost'"), n);
    EXPECT_EQ(Sql("archive.db", "SELECT COUNT(*) FROM files"), n);
    EXPECT_EQ(Sql("enrol.db", "SELECT COUNT(*) FROM incidents"), 0);
  }
  testing::TempDir dir_;
};

TEST_F(ConnectorsCliTest, EveryApprovedCaseEndsCompletedWithThreeReceipts) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const size_t approving = Json(Enrol("--json case list --state awaiting_approval")).as_array().size();
  ASSERT_GT(approving, 40u);
  ASSERT_EQ(Enrol("case event --state awaiting_approval approve --as sekretaer").exit_code, 0);
  RunToTheEnd();
  auto done = Json(Enrol("--json case list --status completed")).as_array();
  EXPECT_EQ(done.size(), approving);
  const auto n = static_cast<int64_t>(approving);
  EXPECT_EQ(Sql("sis.db", "SELECT COUNT(*) FROM objects WHERE collection='enrollments'"), n);
  EXPECT_EQ(Sql("archive.db", "SELECT COUNT(*) FROM objects WHERE kind='journalpost'"), n);
  EXPECT_EQ(Sql("post.db", "SELECT COUNT(*) FROM forsendelser"), Sql("post.db", "SELECT COUNT(DISTINCT eksternref) FROM forsendelser"));
  // Some guardians had no digital mailbox: their letters were printed, once.
  const int64_t undeliverable = Sql("post.db", "SELECT COUNT(*) FROM forsendelser WHERE digital=0");
  EXPECT_GT(undeliverable, 0);
  const int64_t printed = Sql("enrol.db", "SELECT COUNT(*) FROM case_events WHERE name='post.printed'");
  EXPECT_GT(printed, 0);
  EXPECT_LE(printed, undeliverable);
  auto again = Enrol("letters print-batch --school S01 --undelivered --as kontoret --out again.pdf");
  EXPECT_EQ(again.exit_code, 2) << again.out;
  EXPECT_NE(again.out.find("no undelivered letters"), std::string::npos) << again.out;
  EXPECT_EQ(Sql("enrol.db", "SELECT COUNT(*) FROM incidents"), 0);
}

TEST_F(ConnectorsCliTest, OverHttpAgainstTheSimulatorProcesses) {
  auto start = [&](const std::string& what, const std::string& name) {
    auto started = testing::Run("cd " + dir_.path().string() + " && (" + testing::EnrolBinary() + " simulate " + what +
                                " --listen 127.0.0.1:0 --db " + name + ".db > " + name + ".out 2>&1 & echo $! > " +
                                name + ".pid); for i in $(seq 1 100); do grep -q listening " + name +
                                ".out && break; sleep 0.05; done; cat " + name + ".out");
    const size_t at = started.out.find("http://127.0.0.1:");
    EXPECT_NE(at, std::string::npos) << started.out;
    return at == std::string::npos ? std::string() : started.out.substr(at, started.out.find(' ', at) - at);
  };
  const std::string sis = start("sis", "served-sis"), post = start("post", "served-post");
  ASSERT_FALSE(sis.empty() || post.empty());
  Configure([&](json::object& c) {
    c["student_system"].as_object().erase("simulator_db");
    c["student_system"].as_object()["url"] = sis;
    c["dispatch"].as_object().erase("simulator_db");
    c["dispatch"].as_object()["url"] = post;
  });
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const size_t approving = Json(Enrol("--json case list --school S02 --state awaiting_approval")).as_array().size();
  ASSERT_GT(approving, 2u);
  ASSERT_EQ(Enrol("case event --school S02 --state awaiting_approval approve --as sekretaer").exit_code, 0);
  RunToTheEnd();
  testing::Run("cd " + dir_.path().string() + " && kill $(cat served-sis.pid) $(cat served-post.pid)");
  EXPECT_EQ(Json(Enrol("--json case list --school S02 --status completed")).as_array().size(), approving);
  const auto n = static_cast<int64_t>(approving);
  EXPECT_EQ(Sql("served-sis.db", "SELECT COUNT(*) FROM objects WHERE collection='enrollments'"), n);
  EXPECT_GE(Sql("served-post.db", "SELECT COUNT(*) FROM forsendelser"), n);
  EXPECT_EQ(Sql("served-post.db", "SELECT COUNT(*) FROM forsendelser"),
            Sql("served-post.db", "SELECT COUNT(DISTINCT eksternref) FROM forsendelser"));
}

// A student system that imports files: one PIFU-IMS document per case in
// the drop folder, each valid against the national profile's XSD.
TEST_F(ConnectorsCliTest, AStudentSystemThatImportsFilesGetsOnePifuDocumentPerCase) {
  Configure([&](json::object& c) {
    c["student_system"] = json::object{{"protocol", "pifu-ims"}, {"folder", dir_.File("pifu")}};
  });
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const size_t approving = Json(Enrol("--json case list --school S01 --state awaiting_approval")).as_array().size();
  ASSERT_GT(approving, 2u);
  ASSERT_EQ(Enrol("case event --school S01 --state awaiting_approval approve --as sekretaer").exit_code, 0);
  RunToTheEnd();
  auto done = Json(Enrol("--json case list --school S01 --status completed")).as_array();
  EXPECT_EQ(done.size(), approving);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.File("pifu"))) {
    ASSERT_NE(entry.path().filename().string()[0], '.') << entry.path();
    ++files;
    if (testing::HaveReference("student-system/pifu-ims/PIFU-IMS_SAS.xsd")) {
      EXPECT_EQ(testing::ValidateXml(testing::Reference("student-system/pifu-ims/PIFU-IMS_SAS.xsd"),
                                     testing::ReadFile(entry.path().string())),
                "")
          << entry.path();
    }
  }
  EXPECT_EQ(files, approving);
  const json::value shown = Json(Enrol("--json case show " + std::string(done[0].at("key").as_string())));
  EXPECT_EQ(shown.at("data").at("receipts").at("student_system").at("protocol"), "pifu-ims");
}

// A protected-address pupil is entered in the student system only when the
// education office orders it, at the school it chooses; nothing else goes.
TEST_F(ConnectorsCliTest, TheEducationOfficeEntersAProtectedPupilInTheStudentSystem) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto waiting = Json(Enrol("--json case list --school S01 --state awaiting_approval")).as_array();
  ASSERT_GT(waiting.size(), 0u);
  const std::string key(waiting[0].at("key").as_string());
  json::value extract = json::parse(testing::ReadFile(dir_.File("x.json")));
  testing::ProtectEveryone(extract);
  testing::WriteFile(dir_.File("y.json"), json::serialize(extract));
  ASSERT_EQ(Enrol("import y.json").exit_code, 0);
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  ASSERT_EQ(Json(Enrol("--json case show " + key)).at("state"), "manual_handling");
  // Without a school it is refused, with what it needs.
  auto bad = Enrol("case event " + key + " student_system.protected --data '{\"reason\": \"x\"}' --as kontoret");
  EXPECT_EQ(bad.exit_code, 2) << bad.out;
  auto ordered = Enrol("case event " + key +
                       " student_system.protected --data '{\"school\": \"S02\", \"reason\": \"vedtak\"}' --as kontoret");
  ASSERT_EQ(ordered.exit_code, 0) << ordered.out;
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  const json::value shown = Json(Enrol("--json case show " + key));
  EXPECT_EQ(shown.at("state"), "manual_handling");
  EXPECT_EQ(shown.at("data").at("receipts").at("student_system").at("protocol"), "oneroster-1.2");
  EXPECT_EQ(Sql("sis.db", "SELECT COUNT(*) FROM objects WHERE collection='enrollments'"), 1);
  EXPECT_EQ(Sql("sis.db", "SELECT COUNT(*) FROM objects WHERE collection='orgs' AND sourced_id LIKE 'skole-%'"), 1);
  // Nothing else left the engine for the protected cases.
  EXPECT_EQ(Sql("post.db", "SELECT COUNT(*) FROM forsendelser"), 0);
  EXPECT_EQ(Sql("archive.db", "SELECT COUNT(*) FROM objects WHERE kind='journalpost'"), 0);
}

TEST_F(ConnectorsCliTest, AWrongConnectorSectionIsRefusedWithWhatIsWrong) {
  auto refused = [&](const std::function<void(json::object&)>& change, const std::string& want) {
    Configure(change);
    auto r = Enrol("intake --school-year 2027 --grades 1");
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_NE(r.out.find(want), std::string::npos) << r.out;
  };
  refused([](json::object& c) { c["dispatch"].as_object().erase("konto_id"); }, "connectors.dispatch.konto_id is required");
  refused([](json::object& c) { c["dispatch"].as_object()["protocol"] = "digipost"; }, "must be \"svarut\"");
  refused([](json::object& c) { c["student_system"].as_object()["protocol"] = "vigo"; },
          "must be \"oneroster\" (OneRoster 1.2 REST) or \"pifu-ims\"");
  refused([](json::object& c) { c["student_system"] = json::object{{"protocol", "pifu-ims"}}; },
          "connectors.student_system.folder is required with pifu-ims");
  refused([](json::object& c) {
    c["student_system"].as_object().erase("simulator_db");
    c["student_system"].as_object()["url"] = "https://sas.example/ims/oneroster/rostering/v1p2";
    c["student_system"].as_object()["oauth2"] = json::object{{"token_url", "https://login.example/token"},
                                                             {"client_id_env", "ENROL_TEST_UNSET_ID"},
                                                             {"client_secret_env", "ENROL_TEST_UNSET_SECRET"}};
  }, "connectors.student_system.oauth2.client_id_env names ENROL_TEST_UNSET_ID, which is not set");
  refused([](json::object& c) { c["dispatch"].as_object()["in_flight"] = 0; },
          "connectors.dispatch.in_flight must be a number from 1 to 256");
  EXPECT_EQ(Json(Enrol("--json case list")).as_array().size(), 0u);  // nothing was started
}

// Each fault kind on all three systems at once: every case still ends
// completed, with exactly one effect per case in each system.
class ConnectorsFaultTest : public ConnectorsCliTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(ConnectorsFaultTest, EveryCaseEndsWithOneEffectInEachSystem) {
  Configure([](json::object& c) {
    int seed = 11;
    for (const char* system : {"dispatch", "student_system", "archive"}) {
      json::object f{{"seed", seed++}, {"slow_ms", 20}};
      f[GetParam()] = 0.08;
      c[system].as_object()["simulator_faults"] = std::move(f);
    }
  });
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  // Every school's cases: some hundreds of requests to each system, so that
  // each sees faults whatever order the calls in flight take.
  const size_t approving = Json(Enrol("--json case list --state awaiting_approval")).as_array().size();
  ASSERT_GT(approving, 40u);
  ASSERT_EQ(Enrol("case event --state awaiting_approval approve --as sekretaer").exit_code, 0);
  RunToTheEnd();
  ExpectEveryCaseDoneOnceInEachSystem("", approving);
  // The faults did happen: each system's jobs took more than one attempt (a
  // slow answer is still an answer).
  if (std::string(GetParam()) != "slow") {
    for (const char* types : {"'dispatch','post_status'", "'student_system'", "'archive'"}) {
      EXPECT_GT(Sql("enrol.db", std::string("SELECT MAX(attempts) FROM jobs WHERE type IN (") + types + ")"), 1) << types;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, ConnectorsFaultTest, ::testing::Values("error", "throttle", "drop", "timeout", "slow"));

}  // namespace
}  // namespace enrol
