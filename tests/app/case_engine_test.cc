// Integration: the case engine over SQLite, the connector simulators and a
// clock the test moves.
#include "engine/app/case_engine.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/register/freg_reader.h"
#include "connectors/simulators/simulated_systems.h"
#include "engine/app/import_extract.h"
#include "engine/config/config_loader.h"
#include "engine/store/sqlite.h"
#include "engine/store/sqlite_case_store.h"
#include "engine/store/sqlite_person_store.h"
#include "tests/support/freg_docs.h"
#include "tests/support/test_support.h"

namespace enrol::app {
namespace {

namespace json = boost::json;

using testing::kChild;
using testing::kFather;
using testing::kMother;

std::string PersonDoc(const std::string& id, const std::string& born, const std::string& street, int number,
                      bool child, const std::string& status = "bosatt", const std::string& kommune = "5099") {
  return testing::PersonDoc({id, born, street, number, child, status, kommune});
}

class TestClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return now; }
  void Advance(std::chrono::milliseconds d) { now += d; }
  std::chrono::system_clock::time_point now{std::chrono::seconds(1795000000)};
};

// A test double for the UUIDs: distinct and repeatable.
class CountingIds final : public IdGenerator {
 public:
  std::string NewUuid() override {
    char buf[40];
    std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012llu", static_cast<unsigned long long>(++n_));
    return buf;
  }

 private:
  uint64_t n_ = 0;
};

class CaseEngineTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(sim::SimulatorOptions sim_options = {}) {
    engine_.reset();
    cases_.reset();
    persons_.reset();
    simulators_.reset();
    db_.reset();
    auto db = store::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(store::Migrate(*db_));
    persons_ = std::move(*store::SqlitePersonStore::Create(*db_));
    cases_ = std::move(*store::SqliteCaseStore::Create(*db_));
    auto settings = config::LoadSettings(testing::DemoConfig());
    ASSERT_TRUE(settings) << settings.error().message;
    settings_ = std::move(*settings);
    sim_options.db_path = dir_.File("simulated-systems.db");
    auto sims = sim::SimulatedSystems::Open(sim_options);
    ASSERT_TRUE(sims) << sims.error().message;
    simulators_ = std::move(*sims);
    engine_ = std::make_unique<CaseEngine>(*cases_, *persons_, clock_, ids_, settings_, simulators_->All());
    ASSERT_TRUE(engine_->LoadWorkflow(testing::ReadFile(testing::SourceDir() + "/workflows/enrolment.scxml")));
  }

  void Import(const std::vector<std::string>& docs, const std::string& name) {
    std::string content = "[";
    for (size_t i = 0; i < docs.size(); ++i) content += (i ? "," : "") + docs[i];
    testing::WriteFile(dir_.File(name), content + "]");
    freg::FregExtractOpener opener(settings_.national_ids);
    ImportOptions o;
    o.municipality = "5099";
    auto s = ImportExtracts({dir_.File(name)}, o, opener, *persons_, clock_);
    ASSERT_TRUE(s) << s.error().message;
  }

  void ImportFamily(const std::string& street = "Storgata", int number = 5, const std::string& name = "v1.json",
                    const std::string& status = "bosatt", const std::string& kommune = "5099") {
    Import({PersonDoc(kChild, "2020-03-14", street, number, true, status, kommune),
            PersonDoc(kMother, "1988-05-05", street, number, false),
            PersonDoc(kFather, "1987-02-02", street, number, false)},
           name);
  }

  CaseRecord TheCase() {
    auto list = cases_->ListCases({});
    EXPECT_TRUE(list);
    EXPECT_EQ(list->size(), 1u);
    return list->front();
  }

  Result<ApplyResult> Person(const std::string& event, const std::string& id, json::value data = nullptr) {
    PersonCommand cmd;
    cmd.event = event;
    cmd.data = std::move(data);
    cmd.actor = "person:test";
    cmd.request_id = id;
    auto r = engine_->ApplyPersonEvent(TheCase().id, cmd);
    if (r) {
      auto w = engine_->RunUntilIdle();
      EXPECT_TRUE(w) << w.error().message;
    }
    return r;
  }

  // Moves the clock past every backoff (at most 10 min) until the retries
  // of the default policy (5 attempts) are spent.
  void ExhaustRetries() {
    for (int i = 0; i < 10; ++i) {
      clock_.Advance(std::chrono::minutes(11));
      auto w = engine_->RunUntilIdle();
      ASSERT_TRUE(w) << w.error().message;
    }
  }

  int64_t Count(const std::string& sql) {
    auto q = db_->Prepare(sql);
    EXPECT_TRUE(q) << q.error().message;
    EXPECT_TRUE(*q->Step());
    return q->ColumnInt(0);
  }

  testing::TempDir dir_;
  TestClock clock_;
  CountingIds ids_;
  Settings settings_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::SqlitePersonStore> persons_;
  std::unique_ptr<store::SqliteCaseStore> cases_;
  std::unique_ptr<sim::SimulatedSystems> simulators_;
  std::unique_ptr<CaseEngine> engine_;
};

TEST_F(CaseEngineTest, IntakeCreatesCasesOnceAndRunsUntilTheyWait) {
  ImportFamily();
  auto s = engine_->Intake(2026, {1, 5, 8});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->created, 1);
  EXPECT_EQ(s->worker.jobs_done, 1);  // the letter
  CaseRecord c = TheCase();
  EXPECT_EQ(c.key, "2026/1/P1");
  EXPECT_EQ(c.school, "S01");
  EXPECT_EQ(c.state, "awaiting_approval");
  auto again = engine_->Intake(2026, {1});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->created, 0);
  EXPECT_EQ(again->existing, 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM cases"), 1);
}

TEST_F(CaseEngineTest, IntakeWithoutImportSaysWhatToDo) {
  auto s = engine_->Intake(2026, {1});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("enrol import"), std::string::npos);
}

TEST_F(CaseEngineTest, ApprovalRunsTheThreeConnectorsToCompletion) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  auto r = Person("approve", "e1");
  ASSERT_TRUE(r) << r.error().message;
  CaseRecord c = TheCase();
  EXPECT_EQ(c.status, "completed");
  const json::object& data = c.instance.at("data").as_object();
  EXPECT_TRUE(data.at("receipts").as_object().contains("archive"));
  EXPECT_TRUE(data.at("receipts").as_object().contains("student_system"));
  EXPECT_EQ(data.at("letter_sent"), json::value(true));
  for (const char* system : {"letters", "dispatch", "student_system", "archive"}) {
    EXPECT_EQ(*simulators_->EffectCount(system), 1) << system;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timers"), 0);  // approval cancelled the reminders
}

TEST_F(CaseEngineTest, AnEventIdIsAppliedOnce) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("reject", "same-id", json::object{{"reason", "x"}}));
  auto again = Person("reject", "same-id", json::object{{"reason", "x"}});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->duplicate);
  EXPECT_EQ(TheCase().instance.at("data").at("rejections").as_int64(), 1);
}

TEST_F(CaseEngineTest, EventThatDoesNotApplyIsRefusedAndWritesNothing) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  const int64_t audit_rows = Count("SELECT COUNT(*) FROM audit");
  auto r = Person("manual.resolved", "e1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().message.find("does not accept 'manual.resolved' now"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("it accepts: approve, reject (reason), reassign (school, reason), deferred ([reason])"), std::string::npos) << r.error().message;
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit"), audit_rows);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM case_events WHERE event_id='e1'"), 0);
}

TEST_F(CaseEngineTest, EventForAClosedCaseIsRefused) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "e1"));
  auto r = Person("reject", "e2");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("is completed"), std::string::npos);
}

TEST_F(CaseEngineTest, TimersFireWhenDueEvenAfterARestart) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timers"), 2);
  clock_.Advance(std::chrono::hours(24 * 8));
  Open();  // a new engine over the same files: the timers are in the database
  auto w = engine_->RunUntilIdle();
  ASSERT_TRUE(w);
  EXPECT_EQ(w->timers_fired, 1);
  EXPECT_EQ(TheCase().instance.at("data").at("reminded"), json::value(true));
  EXPECT_EQ(TheCase().instance.at("data").at("escalated"), json::value(false));
  clock_.Advance(std::chrono::hours(24 * 7));
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(TheCase().instance.at("data").at("escalated"), json::value(true));
}

TEST_F(CaseEngineTest, FailingConnectorIsRetriedWithBackoffThenAnIncident) {
  sim::SimulatorOptions o;
  o.fail_always = true;
  Open(o);
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  auto job = cases_->JobsOf(TheCase().id);
  ASSERT_EQ(job->size(), 1u);
  EXPECT_EQ(job->front().attempts, 1);
  EXPECT_EQ(job->front().status, "queued");
  const int64_t first_wait = job->front().next_ms - engine_->NowMs();
  EXPECT_GE(first_wait, 8000);   // 10 s +- 20 %
  EXPECT_LE(first_wait, 12000);
  ExhaustRetries();
  job = cases_->JobsOf(TheCase().id);
  EXPECT_EQ(job->front().status, "incident");
  EXPECT_EQ(job->front().attempts, 5);
  auto incidents = cases_->ListIncidents({});
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_NE(incidents->front().error.find("unavailable"), std::string::npos);
  EXPECT_EQ(TheCase().state, "drafting");
}

TEST_F(CaseEngineTest, IncidentRetryRunsTheJobAgain) {
  sim::SimulatorOptions o;
  o.fail_first_attempts = 5;
  Open(o);
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ExhaustRetries();
  ASSERT_EQ(cases_->ListIncidents({})->size(), 1u);
  IncidentFilter all;
  auto n = engine_->RetryIncidents(all, "person:test");
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(TheCase().state, "awaiting_approval");
  EXPECT_TRUE(cases_->ListIncidents({})->empty());
}

TEST_F(CaseEngineTest, IncidentSkipAndCancel) {
  sim::SimulatorOptions o;
  o.fail_always = true;
  Open(o);
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ExhaustRetries();
  IncidentFilter f;
  f.school = "S01";
  ASSERT_EQ(*engine_->CancelIncidents(f, "person:test", "the renderer is gone"), 1);
  EXPECT_EQ(TheCase().state, "manual_handling");
  EXPECT_EQ(TheCase().instance.at("data").at("manual_reasons"), "letter_failed");
  f.school = "S99";
  EXPECT_EQ(*engine_->SkipIncidents(f, "person:test", "x"), 0);
}

TEST_F(CaseEngineTest, MovedChildIsRescreenedAndLetterRedrafted) {
  ImportFamily("Storgata", 5);
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  EXPECT_EQ(TheCase().school, "S01");
  ImportFamily("Storgata", 20, "v2.json");  // 12C and up: S02
  auto s = engine_->Intake(2026, {1});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->register_events, 1);
  CaseRecord c = TheCase();
  EXPECT_EQ(c.school, "S02");
  EXPECT_EQ(c.state, "awaiting_approval");
  EXPECT_EQ(*simulators_->EffectCount("letters"), 2);
  auto again = engine_->Intake(2026, {1});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->register_events, 0);  // applied once
}

TEST_F(CaseEngineTest, ChildWhoMovedAwayClosesTheCase) {
  ImportFamily("Storgata", 5);
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ImportFamily("Storgata", 5, "v2.json", "bosatt", "5001");
  auto s = engine_->Intake(2026, {1});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(TheCase().status, "closed");
  EXPECT_EQ(TheCase().instance.at("data").at("closed_because"), "register.left_municipality");
}

TEST_F(CaseEngineTest, DeferredStartCarriesTheChildToNextYear) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("deferred", "e1"));
  EXPECT_EQ(TheCase().status, "closed");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM deferrals WHERE to_year=2027"), 1);
  auto next = engine_->Intake(2027, {1});
  ASSERT_TRUE(next) << next.error().message;
  EXPECT_EQ(next->created, 1);
  auto c = cases_->FindCaseByKey("2027/1/P1");
  ASSERT_TRUE(c && *c);
  EXPECT_EQ((*c)->state, "awaiting_approval");
}

TEST_F(CaseEngineTest, AuditVerifyDetectsChangesAndGaps) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "e1"));
  auto ok = cases_->VerifyAudit();
  ASSERT_TRUE(ok);
  EXPECT_TRUE(ok->ok);
  EXPECT_GT(ok->rows, 4);
  EXPECT_FALSE(db_->Exec("UPDATE audit SET detail='x' WHERE seq=2"));  // append-only
  ASSERT_TRUE(db_->Exec("DROP TRIGGER audit_no_update; UPDATE audit SET detail='forged' WHERE seq=2"));
  auto changed = cases_->VerifyAudit();
  ASSERT_TRUE(changed);
  EXPECT_FALSE(changed->ok);
  EXPECT_NE(changed->problem.find("row 2 was changed"), std::string::npos);
  ASSERT_TRUE(db_->Exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq=2"));
  auto gap = cases_->VerifyAudit();
  EXPECT_NE(gap->problem.find("row 2 is missing"), std::string::npos);
}

TEST_F(CaseEngineTest, MigrationMovesCasesOnlyWhenEveryStateExists) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  const std::string v1 = engine_->current_workflow();
  std::string source = testing::ReadFile(testing::SourceDir() + "/workflows/enrolment.scxml");
  std::string renamed = source;
  for (size_t at = renamed.find("awaiting_approval"); at != std::string::npos;
       at = renamed.find("awaiting_approval", at)) {
    renamed.replace(at, 17, "waiting_for_school");
  }
  ASSERT_TRUE(engine_->LoadWorkflow(renamed));
  auto refused = engine_->MigrateCases("person:test");
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("2026/1/P1"), std::string::npos);
  EXPECT_NE(refused.error().message.find("awaiting_approval"), std::string::npos);
  EXPECT_EQ(TheCase().workflow, v1);
  std::string compatible = source;
  compatible.replace(compatible.find("<final id=\"closed\"/>"), 20, "<final id=\"closed\"/><final id=\"archived_only\"/>");
  ASSERT_TRUE(engine_->LoadWorkflow(compatible));
  auto moved = engine_->MigrateCases("person:test");
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(*moved, 1);
  EXPECT_EQ(TheCase().workflow, engine_->current_workflow());
  ASSERT_TRUE(Person("approve", "e1"));
  EXPECT_EQ(TheCase().status, "completed");
}

TEST_F(CaseEngineTest, NewCasesArePinnedToTheVersionTheyStartedWith) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  const std::string v1 = TheCase().workflow;
  std::string source = testing::ReadFile(testing::SourceDir() + "/workflows/enrolment.scxml");
  source.replace(source.find("<final id=\"closed\"/>"), 20, "<final id=\"closed\"/><final id=\"x\"/>");
  ASSERT_TRUE(engine_->LoadWorkflow(source));
  ASSERT_TRUE(Person("approve", "e1"));
  EXPECT_EQ(TheCase().workflow, v1);
  EXPECT_EQ(TheCase().status, "completed");
}

}  // namespace
}  // namespace enrol::app
