// Integration: the case engine over SQLite, the connector simulators and a
// clock the test moves.
#include "engine/app/case_engine.h"

#include <filesystem>
#include <random>
#include <regex>
#include <set>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/register/freg_reader.h"
#include "connectors/simulators/simulated_systems.h"
#include "engine/app/import_extract.h"
#include "engine/app/kill_point.h"
#include "engine/config/config_loader.h"
#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"
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

  void Open(sim::SimulatorOptions sim_options = {}, const std::string& audit_key = "",
            const json::object& retry = {}) {
    engine_.reset();
    cases_.reset();
    persons_.reset();
    simulators_.reset();
    db_.reset();
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(store::Migrate(*db_));
    persons_ = std::move(*store::SqlitePersonStore::Create(*db_));
    cases_ = std::move(*store::SqliteCaseStore::Create(*db_, audit_key));
    auto settings = config::LoadSettings(testing::DemoConfig());
    ASSERT_TRUE(settings) << settings.error().message;
    settings_ = std::move(*settings);
    if (!retry.empty()) settings_.workflow_config.as_object()["retry"] = retry;
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

  // The family again, with the child's or the mother's address protected.
  void ImportProtected(const std::string& name, bool child_protected, bool mother_protected) {
    testing::DocSpec child{kChild, "2020-03-14", "Storgata", 5, true};
    testing::DocSpec mother{kMother, "1988-05-05", "Storgata", 5, false};
    if (child_protected) child.gradering = "fortrolig";
    if (mother_protected) mother.gradering = "strengtFortrolig";
    Import({testing::PersonDoc(child), testing::PersonDoc(mother),
            PersonDoc(kFather, "1987-02-02", "Storgata", 5, false)},
           name);
  }

  std::string State() { return TheCase().state; }

  // A new, empty database and simulator store in the same folder.
  void Reset() {
    engine_.reset();
    cases_.reset();
    persons_.reset();
    simulators_.reset();
    db_.reset();
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) std::filesystem::remove(entry.path());
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

  // Dispatch, student system and archive each fail their first call, so
  // that an approved case waits for a retry.
  void OpenWithEachSystemFailingOnce() {
    sim::SimulatorOptions o;
    o.fail_first_by_type = {{"dispatch", 1}, {"student_system", 1}, {"archive", 1}};
    Open(o);
  }

  void ExpectNoEffectMade() {
    for (const char* system : {"dispatch", "student_system", "archive"}) {
      EXPECT_EQ(*simulators_->EffectCount(system), 0) << system;
    }
  }

  // Another process on the same database: its own connection, stores and
  // engine (the web server's importer, a second worker, the command line).
  struct OtherProcess {
    std::unique_ptr<sql::Database> db;
    std::unique_ptr<store::SqlitePersonStore> persons;
    std::unique_ptr<store::SqliteCaseStore> cases;
    std::unique_ptr<CaseEngine> engine;
  };
  std::unique_ptr<OtherProcess> AnotherProcess() {
    auto o = std::make_unique<OtherProcess>();
    o->db = std::move(*sql::Database::Open(dir_.File("enrol.db")));
    o->persons = std::move(*store::SqlitePersonStore::Create(*o->db));
    o->cases = std::move(*store::SqliteCaseStore::Create(*o->db));
    o->engine = std::make_unique<CaseEngine>(*o->cases, *o->persons, clock_, ids_, settings_, simulators_->All());
    EXPECT_TRUE(o->engine->LoadWorkflow(testing::ReadFile(testing::SourceDir() + "/workflows/enrolment.scxml")));
    return o;
  }
  // The family again with the mother fortrolig, imported and its protection
  // changes applied by `other`; returns how many cases that reached.
  int ImportProtectedMotherIn(OtherProcess& other) {
    testing::DocSpec child{kChild, "2020-03-14", "Storgata", 5, true};
    testing::DocSpec mother{kMother, "1988-05-05", "Storgata", 5, false};
    mother.gradering = "fortrolig";
    testing::WriteFile(dir_.File("v2.json"), "[" + testing::PersonDoc(child) + "," + testing::PersonDoc(mother) + "," +
                                                 PersonDoc(kFather, "1987-02-02", "Storgata", 5, false) + "]");
    freg::FregExtractOpener opener(settings_.national_ids);
    ImportOptions o;
    o.municipality = "5099";
    auto imported = ImportExtracts({dir_.File("v2.json")}, o, opener, *other.persons, clock_);
    EXPECT_TRUE(imported) << imported.error().message;
    if (!imported) return -1;
    auto applied = other.engine->ApplyProtectionChanges(imported->import_id);
    EXPECT_TRUE(applied) << applied.error().message;
    return applied ? *applied : -1;
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
  std::unique_ptr<sql::Database> db_;
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

// A worker that stopped without giving its claims back (killed, or its
// database full) leaves its jobs leased: `case stuck` says so, with whose
// lease and for how long, and the jobs run again once it lapses.
TEST_F(CaseEngineTest, ACaseHeldOnlyByALeaseIsShownAsStuckUntilTheLeaseLapses) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  PersonCommand approve;
  approve.event = "approve";
  approve.actor = "person:test";
  ASSERT_TRUE(engine_->ApplyPersonEvent(TheCase().id, approve));  // its jobs are queued, the worker not run
  EXPECT_EQ(engine_->StuckCases()->size(), 0u);
  // Another worker's claim, left behind: the case's next jobs are held.
  ASSERT_TRUE(cases_->Begin());
  auto claimed = cases_->ClaimJobs("worker-gone", engine_->NowMs(), engine_->NowMs() + 60000, 100);
  ASSERT_TRUE(claimed);
  ASSERT_TRUE(cases_->Commit());
  ASSERT_FALSE(claimed->empty());
  auto stuck = engine_->StuckCases();
  ASSERT_TRUE(stuck) << stuck.error().message;
  ASSERT_EQ(stuck->size(), 1u);
  EXPECT_NE(stuck->front().reason.find("held only by a lease"), std::string::npos) << stuck->front().reason;
  EXPECT_NE(stuck->front().reason.find("worker-gone"), std::string::npos) << stuck->front().reason;
  clock_.Advance(std::chrono::minutes(2));
  auto later = engine_->StuckCases();
  ASSERT_TRUE(later);
  EXPECT_EQ(later->size(), 0u);
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
  EXPECT_EQ(n->done, 1);
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
  ASSERT_EQ(engine_->CancelIncidents(f, "person:test", "the renderer is gone")->done, 1);
  EXPECT_EQ(TheCase().state, "manual_handling");
  EXPECT_EQ(TheCase().instance.at("data").at("manual_reasons"), "letter_failed");
  f.school = "S99";
  EXPECT_EQ(engine_->SkipIncidents(f, "person:test", "x")->done, 0);
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

TEST_F(CaseEngineTest, ACaseThatClosesAfterTheStudentSystemHasThePupilEndsTheEnrolment) {
  sim::SimulatorOptions o;
  o.fail_first_by_type = {{"archive", 1}};  // the case waits in dispatching
  Open(o);
  ImportFamily("Storgata", 5);
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  EXPECT_EQ(*simulators_->EffectCount("student_system"), 1);
  ImportFamily("Storgata", 5, "v2.json", "bosatt", "5001");  // moved away
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(TheCase().status, "closed");
  EXPECT_EQ(TheCase().instance.at("data").at("closed_because"), "register.left_municipality");
  EXPECT_EQ(*simulators_->EffectCount("student_system"), 2);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM jobs WHERE type='student_system' AND params->>'ended' = 1"), 1);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM jobs WHERE type='archive' AND status='queued'"), 0);  // cancelled with the case
}

TEST_F(CaseEngineTest, ACaseThatClosesBeforeTheStudentSystemHasThePupilJustCloses) {
  ImportFamily("Storgata", 5);
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ImportFamily("Storgata", 5, "v2.json", "bosatt", "5001");
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  EXPECT_EQ(TheCase().status, "closed");
  EXPECT_EQ(*simulators_->EffectCount("student_system"), 0);
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


// ---- engine integrity: events from people

TEST_F(CaseEngineTest, PersonCannotSendTheEnginesEvents) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  const int64_t audit_rows = Count("SELECT COUNT(*) FROM audit");
  const std::string before = State();
  for (const char* e : {"done.invoke.draft_letter.1", "register.died", "error.communication", "error.execution",
                        "approval.escalate"}) {
    auto r = Person(e, std::string("r-") + e, json::object{{"letter_version", 1}});
    ASSERT_FALSE(r) << e;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << e;
    EXPECT_NE(r.error().message.find("it accepts: approve, reject (reason)"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit"), audit_rows);
  EXPECT_EQ(State(), before);
  EXPECT_EQ(TheCase().status, "active");
}

TEST_F(CaseEngineTest, EngineEventsAreNamedAsTheEnginesOwn) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  const int64_t audit_rows = Count("SELECT COUNT(*) FROM audit");
  auto r = Person("done.invoke.draft_letter.1", "r1", json::object{{"letter_version", 1}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("comes only from the engine"), std::string::npos) << r.error().message;
  auto unknown = Person("frobnicate", "r2");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("is not an event a person may send"), std::string::npos);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit"), audit_rows);
  EXPECT_EQ(State(), "awaiting_approval");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM person_requests"), 0);
}

TEST_F(CaseEngineTest, PersonEventDataIsCheckedAgainstTheDeclaration) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  auto no_reason = Person("reject", "r1");
  ASSERT_FALSE(no_reason);
  EXPECT_NE(no_reason.error().message.find("'reject' needs reason"), std::string::npos) << no_reason.error().message;
  auto control = Person("reject", "r2", json::object{{"reason", std::string("a\0b", 3)}});
  ASSERT_FALSE(control);
  EXPECT_NE(control.error().message.find("control characters"), std::string::npos);
  auto extra = Person("approve", "r3", json::object{{"letter_version", 1}});
  ASSERT_FALSE(extra);
  EXPECT_NE(extra.error().message.find("takes no field 'letter_version'"), std::string::npos);
  auto nowhere = Person("reassign", "r4", json::object{{"school", "S99"}, {"reason", "x"}});
  ASSERT_FALSE(nowhere);
  EXPECT_NE(nowhere.error().message.find("there is no school 'S99'"), std::string::npos) << nowhere.error().message;
  auto number = Person("reassign", "r5", json::object{{"school", 2}, {"reason", "x"}});
  ASSERT_FALSE(number);
  EXPECT_EQ(State(), "awaiting_approval");
  auto ok = Person("reassign", "r6", json::object{{"school", "S02"}, {"reason", "sibling there"}});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(TheCase().school, "S02");
}

TEST_F(CaseEngineTest, SchoolMustTeachTheGrade) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  std::string upper;
  for (const auto& school : settings_.municipality.schools) {
    if (!school.grades.Contains(1)) upper = school.id;
  }
  ASSERT_FALSE(upper.empty());
  auto r = Person("reassign", "r1", json::object{{"school", upper}, {"reason", "x"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("does not teach grade 1"), std::string::npos) << r.error().message;
}

TEST_F(CaseEngineTest, AnEventTheCaseNoLongerAcceptsIsRefusedWithWhatItAccepts) {
  sim::SimulatorOptions o;
  o.fail_first_by_type = {{"dispatch", 1}};
  Open(o);
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  ASSERT_NE(State().find("sending"), std::string::npos);  // the dispatch waits for its retry
  auto second = Person("approve", "r2");
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().message.find("does not accept 'approve' now"), std::string::npos) << second.error().message;
  EXPECT_NE(second.error().message.find("it accepts: deferred ([reason])"), std::string::npos);
}

TEST_F(CaseEngineTest, ARepeatWithoutRequestIdIsNotAppliedTwice) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("reject", "", json::object{{"reason", "wrong name"}}));
  ASSERT_EQ(State(), "rejected");
  auto again = Person("reject", "", json::object{{"reason", "wrong name"}});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->duplicate);
  EXPECT_NE(again->note.find("--request-id"), std::string::npos);
  EXPECT_EQ(TheCase().instance.at("data").at("rejections").as_int64(), 1);
  // Another request since, and the same words are another request.
  ASSERT_TRUE(Person("reassign", "", json::object{{"school", "S02"}, {"reason", "the other school"}}));
  ASSERT_EQ(State(), "awaiting_approval");
  ASSERT_TRUE(Person("reject", "", json::object{{"reason", "wrong name"}}));
  EXPECT_EQ(TheCase().instance.at("data").at("rejections").as_int64(), 2);
}

TEST_F(CaseEngineTest, ARequestIdUsedForAnotherRequestIsRefused) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("reject", "click-1", json::object{{"reason", "a"}}));
  auto other = Person("reject", "click-1", json::object{{"reason", "b"}});
  ASSERT_FALSE(other);
  EXPECT_NE(other.error().message.find("was used for another request"), std::string::npos);
  auto same = Person("reject", "click-1", json::object{{"reason", "a"}});
  ASSERT_TRUE(same);
  EXPECT_TRUE(same->duplicate);
  EXPECT_EQ(TheCase().instance.at("data").at("rejections").as_int64(), 1);
}

TEST_F(CaseEngineTest, TheAuditRowOfAPersonsEventHoldsItsData) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("reassign", "r1", json::object{{"school", "S02"}, {"reason", "sibling at S02"}}));
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE actor='person:test' AND detail LIKE "
                  "'reassign {%\"school\":\"S02\"%' AND detail LIKE '%sibling at S02%'"), 1);
}

// ---- effects exactly once

TEST_F(CaseEngineTest, JobKeysAreUuidsMadeWithTheJob) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  auto jobs = cases_->JobsOf(TheCase().id);
  ASSERT_EQ(jobs->size(), 4u);
  std::set<std::string> keys;
  for (const auto& j : *jobs) {
    EXPECT_EQ(j.key.size(), 36u) << j.key;
    EXPECT_EQ(j.key.find(TheCase().key), std::string::npos);  // nothing derived from the case
    keys.insert(j.key);
    EXPECT_EQ(simulators_->CallsPerKey(j.type)->count(j.key), 1u) << j.type;
  }
  EXPECT_EQ(keys.size(), 4u);
}

TEST(SimulatedSystemsTest, ARequestThatChangesBetweenAttemptsIsRefused) {
  auto sims = sim::SimulatedSystems::Open({});
  ASSERT_TRUE(sims);
  JobRequest r;
  r.idempotency_key = "k1";
  r.params = json::object{{"case_ref", "2026/1/P1"}};
  EXPECT_TRUE((*sims)->Execute("archive", r).ok);
  r.attempt = 2;
  EXPECT_TRUE((*sims)->Execute("archive", r).ok);  // the attempt is not part of the request
  r.params["letter"] = 2;
  const JobOutcome changed = (*sims)->Execute("archive", r);
  EXPECT_FALSE(changed.ok);
  EXPECT_FALSE(changed.retryable);
}

TEST_F(CaseEngineTest, AJobLeasedByAnotherWorkerIsLeftAloneUntilTheLeaseLapses) {
  sim::SimulatorOptions o;
  o.fail_first_attempts = 1;
  Open(o);
  ImportFamily();
  // A second worker on the same database claims the letter job and "dies".
  auto other_db = sql::Database::Open(dir_.File("enrol.db"));
  ASSERT_TRUE(other_db);
  auto other = store::SqliteCaseStore::Create(**other_db);
  ASSERT_TRUE(other);
  // Intake runs the job at once; its first call fails, so the retry waits
  // and the other worker can claim it.
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_EQ(State(), "drafting");
  clock_.Advance(std::chrono::minutes(1));
  const int64_t now = engine_->NowMs();
  ASSERT_TRUE((*other)->Begin());
  auto claimed = (*other)->ClaimJobs("dead-worker", now, now + 120000, 10);
  ASSERT_TRUE((*other)->Commit());
  ASSERT_EQ(claimed->size(), 1u);
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(State(), "drafting");
  EXPECT_EQ(*simulators_->EffectCount("letters"), 0);
  clock_.Advance(std::chrono::minutes(3));  // the lease lapses
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(State(), "awaiting_approval");
  EXPECT_EQ(*simulators_->EffectCount("letters"), 1);
}

TEST_F(CaseEngineTest, EachOutcomeIsCommittedAsItArrives) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  // Three jobs of one case finished: three transactions, each with its own
  // connector audit row in order (no batch).
  EXPECT_EQ(Count("SELECT COUNT(*) FROM jobs WHERE status='done' AND lease_owner=''"), 4);
}

// ---- no stuck cases, no poisoned worker

TEST_F(CaseEngineTest, ADamagedCaseBecomesAnIncidentAndTheWorkerGoesOn) {
  sim::SimulatorOptions o;
  o.fail_first_attempts = 1;
  Open(o);
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(db_->Exec("UPDATE cases SET instance='{not json'"));
  clock_.Advance(std::chrono::minutes(1));
  auto w = engine_->RunUntilIdle();
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->incidents, 1);
  auto incidents = cases_->ListIncidents({});
  ASSERT_EQ(incidents->size(), 1u);
  EXPECT_NE(incidents->front().error.find("is damaged"), std::string::npos) << incidents->front().error;
  EXPECT_NE(incidents->front().error.find("2026/1/P1"), std::string::npos);
  auto stuck = engine_->StuckCases();
  ASSERT_TRUE(stuck);
  ASSERT_EQ(stuck->size(), 1u);
  EXPECT_NE(stuck->front().reason.find("damaged"), std::string::npos);
  auto person = Person("approve", "r1");
  ASSERT_FALSE(person);
  EXPECT_NE(person.error().message.find("damaged"), std::string::npos);
}

TEST_F(CaseEngineTest, NoCaseIsStuckAfterAnIntake) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  auto stuck = engine_->StuckCases();
  ASSERT_TRUE(stuck);
  EXPECT_TRUE(stuck->empty());
}

// Property: whatever people, the register, the systems and the education
// office do, in any order, no case is ever stuck, and every case can still
// end. Sequences come from fixed seeds, so a failure repeats.
TEST_F(CaseEngineTest, PropertyNoSequenceOfEventsLeavesACaseStuck) {
  const std::vector<std::string> person_events = {"approve", "reject", "reassign", "manual.resolved",
                                                  "manual.closed", "deferred"};
  int steps = 0, ended_by_policy = 0;
  for (uint32_t seed = 1; seed <= 40; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937 rng(seed);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
    Reset();
    sim::SimulatorOptions o;
    o.fail_first_attempts = pick(3);
    Open(o, "", json::object{{"attempts", 1 + pick(3)}});
    ImportFamily();
    ASSERT_TRUE(engine_->Intake(2026, {1}));
    int imports = 0;
    std::string trace;
    for (int step = 0; step < 25 && TheCase().status == "active"; ++step) {
      const int action = pick(6);
      trace += std::to_string(action);
      ++steps;
      if (action <= 1) {  // a person
        const std::string& e = person_events[pick(static_cast<int>(person_events.size()))];
        if (e == "deferred" && pick(4) != 0) continue;  // rarely: it ends the case
        json::object data;
        if (e == "reject" || e == "manual.closed") data["reason"] = "r" + std::to_string(step);
        if (e == "reassign") data = json::object{{"school", pick(2) ? "S01" : "S02"}, {"reason", "x"}};
        auto r = Person(e, "", data);
        if (!r) {
          EXPECT_TRUE(r.error().code == ErrorCode::kInvalidArgument ||
                      r.error().code == ErrorCode::kFailedPrecondition)
              << r.error().message;
        }
      } else if (action == 2) {  // the register changes
        const std::string name = "r" + std::to_string(++imports) + ".json";
        const int kind = pick(3);
        if (kind == 0) ImportFamily("Storgata", pick(2) ? 20 : 5, name);
        if (kind == 1) ImportProtected(name, pick(2) == 0, pick(2) == 0);
        if (kind == 2) ImportFamily("Storgata", 5, name);
        if (pick(2)) {
          ASSERT_TRUE(engine_->ApplyProtectionChanges(persons_->Imports()->back().id));
        } else {
          ASSERT_TRUE(engine_->Intake(2026, {1}));
        }
      } else if (action == 3) {  // time passes
        clock_.Advance(std::chrono::minutes(1 + pick(60 * 24 * 10)));
        ASSERT_TRUE(engine_->RunUntilIdle());
      } else {  // the education office and its incidents
        const int how = pick(3);
        auto n = how == 0 ? engine_->RetryIncidents({}, "person:office")
                 : how == 1 ? engine_->SkipIncidents({}, "person:office", "by hand")
                            : engine_->CancelIncidents({}, "person:office", "given up");
        ASSERT_TRUE(n) << n.error().message;
        ASSERT_TRUE(engine_->RunUntilIdle());
      }
      auto stuck = engine_->StuckCases();
      ASSERT_TRUE(stuck);
      ASSERT_TRUE(stuck->empty()) << "after actions " << trace << ": " << stuck->front().reason;
    }
    // Every case can still end: the office and the school do what the case
    // asks for until it reaches a final state.
    for (int round = 0; round < 40 && TheCase().status == "active"; ++round) {
      clock_.Advance(std::chrono::minutes(11));
      ASSERT_TRUE(engine_->RunUntilIdle());
      ASSERT_TRUE(engine_->RetryIncidents({}, "person:office"));
      ASSERT_TRUE(engine_->RunUntilIdle());
      const CaseRecord c = TheCase();
      if (c.status != "active") break;
      if (c.state == "awaiting_approval") (void)Person("approve", "");
      if (c.state == "manual_handling") {
        if (c.instance.at("data").at("protected") == json::value(true) || round > 20) {
          (void)Person("manual.closed", "", json::object{{"reason", "by hand"}});
        } else {
          (void)Person("manual.resolved", "");
        }
      }
    }
    ended_by_policy += TheCase().status != "active" ? 1 : 0;
    EXPECT_NE(TheCase().status, "active") << "after actions " << trace << " the case is still in " << State();
  }
  EXPECT_GT(steps, 150);  // the sequences are long enough to mean something
  std::cout << "[ property ] " << steps << " random actions over 40 cases, all of them ended\n";
}

TEST_F(CaseEngineTest, CancelOrSkipInEveryInvokingStateMovesTheCase) {
  for (const char* type : {"dispatch", "student_system", "archive"}) {
    for (bool skip : {false, true}) {
      SCOPED_TRACE(std::string(type) + (skip ? " skip" : " cancel"));
      Reset();
      sim::SimulatorOptions o;
      o.fail_first_by_type = {{type, 1000}};
      Open(o, "", json::object{{"attempts", 1}});
      ImportFamily();
      ASSERT_TRUE(engine_->Intake(2026, {1}));
      ASSERT_TRUE(Person("approve", "r1"));
      ASSERT_EQ(cases_->ListIncidents({})->size(), 1u);
      IncidentFilter all;
      if (skip) {
        ASSERT_EQ(engine_->SkipIncidents(all, "person:office", "done by hand")->done, 1);
        EXPECT_EQ(TheCase().status, "completed");
        EXPECT_EQ(TheCase().instance.at("data").at("receipts").at(type == std::string("dispatch") ? "dispatch" : type)
                      .at("skipped"), json::value(true));
      } else {
        ASSERT_EQ(engine_->CancelIncidents(all, "person:office", "not to be done")->done, 1);
        EXPECT_EQ(State(), "manual_handling");
        EXPECT_EQ(TheCase().instance.at("data").at("manual_reasons"), "work_failed_or_cancelled");
        // The office can resolve it: a new letter, new work.
        ASSERT_TRUE(Person("manual.resolved", "r2"));
        EXPECT_EQ(State(), "awaiting_approval");
      }
      auto stuck = engine_->StuckCases();
      EXPECT_TRUE(stuck && stuck->empty());
    }
  }
}

TEST_F(CaseEngineTest, ASkippedLetterGoesToManualHandling) {
  sim::SimulatorOptions o;
  o.fail_always = true;
  Open(o, "", json::object{{"attempts", 1}});
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_EQ(engine_->SkipIncidents({}, "person:office", "x")->done, 1);
  EXPECT_EQ(State(), "manual_handling");
  EXPECT_EQ(TheCase().instance.at("data").at("manual_reasons"), "letter_skipped");
}

TEST_F(CaseEngineTest, ALockedDatabaseIsWaitedOutNotAnError) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  auto other = sql::Database::Open(dir_.File("enrol.db"));
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->Exec("BEGIN IMMEDIATE"));
  std::atomic<bool> stop{true};  // give up the lock wait at once
  db_->SetStopFlag(&stop);
  clock_.Advance(std::chrono::hours(24 * 8));  // the reminder is due
  auto r = engine_->RunDue();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->busy);
  ASSERT_TRUE((*other)->Exec("ROLLBACK"));
  db_->SetStopFlag(nullptr);
  r = engine_->RunDue();
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->busy);
  EXPECT_EQ(r->timers_fired, 1);
}

TEST_F(CaseEngineTest, AnOldTimerFiringDoesNotDeleteOneSetAgain) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  const int64_t id = TheCase().id;
  auto timers = cases_->TimersOf(id);
  ASSERT_FALSE(timers->empty());
  TimerRecord t = timers->front();
  ASSERT_TRUE(cases_->Begin());
  TimerRecord again = t;
  again.due_ms += 1000;
  ASSERT_TRUE(cases_->PutTimer(again));  // set again meanwhile
  EXPECT_FALSE(*cases_->DeleteTimer(id, t.send_id, t.due_ms));
  EXPECT_TRUE(*cases_->DeleteTimer(id, t.send_id, again.due_ms));
  ASSERT_TRUE(cases_->Commit());
}

// ---- protection reaches every effect

TEST_F(CaseEngineTest, ProtectionSetBetweenApprovalAndDispatchStopsEveryEffect) {
  OpenWithEachSystemFailingOnce();
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  ImportProtected("v2.json", true, false);  // the register, not yet an event on the case
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(State(), "manual_handling");
  EXPECT_EQ(TheCase().instance.at("data").at("protected"), json::value(true));
  ExpectNoEffectMade();
  EXPECT_EQ(Count("SELECT COUNT(*) FROM audit WHERE detail LIKE '%not run: the case has a protected address%'"), 1);
}

TEST_F(CaseEngineTest, ProtectionSetBetweenDispatchAndArchiveStopsTheArchive) {
  sim::SimulatorOptions o;
  o.fail_first_by_type = {{"archive", 1}};
  Open(o);
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  EXPECT_EQ(*simulators_->EffectCount("dispatch"), 1);
  ImportProtected("v2.json", false, true);  // a guardian this time
  clock_.Advance(std::chrono::minutes(1));
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(*simulators_->EffectCount("archive"), 0);
  EXPECT_EQ(State(), "manual_handling");
}

TEST_F(CaseEngineTest, AnImportedProtectionReachesTheOpenCaseAtOnce) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_EQ(State(), "awaiting_approval");
  ImportProtected("v2.json", false, true);
  auto imports = persons_->Imports();
  auto n = engine_->ApplyProtectionChanges(imports->back().id);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(State(), "manual_handling");
  EXPECT_EQ(Count("SELECT COUNT(*) FROM timers"), 0);  // no reminder for a letter that will not go
  auto again = engine_->ApplyProtectionChanges(imports->back().id);
  EXPECT_EQ(*again, 0);
  auto intake = engine_->Intake(2026, {1});  // the intake sees the same change: applied once
  ASSERT_TRUE(intake);
  EXPECT_EQ(State(), "manual_handling");
}

// Once an import's protection changes have reached every open case (the
// check is recorded), the worker reads each case's own flag before an
// effect; an import not checked yet sends it to the register.
TEST_F(CaseEngineTest, ACheckedImportLetsTheWorkerTrustTheCasesOwnFlag) {
  OpenWithEachSystemFailingOnce();
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ImportFamily("Storgata", 5, "v2.json");  // no change of protection
  const int64_t latest = persons_->Imports()->back().id;
  auto n = engine_->ApplyProtectionChanges(latest);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM protection_checks WHERE import_id=" + std::to_string(latest)), 1);
  ASSERT_TRUE(Person("approve", "r1"));  // each system fails its first call
  // The register still says unprotected: only the case's flag says so.
  ASSERT_TRUE(db_->Exec("UPDATE cases SET protected=1"));
  clock_.Advance(std::chrono::minutes(11));
  ASSERT_TRUE(engine_->RunUntilIdle());
  ExpectNoEffectMade();
  EXPECT_EQ(State(), "manual_handling");
}

TEST_F(CaseEngineTest, AnImportNotCheckedYetSendsTheWorkerToTheRegister) {
  OpenWithEachSystemFailingOnce();
  ImportFamily();
  ASSERT_TRUE(engine_->ApplyProtectionChanges(persons_->Imports()->back().id));
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  ImportProtected("v2.json", false, true);  // checked by no one yet: the case's flag is stale
  EXPECT_EQ(Count("SELECT protected FROM cases"), 0);
  clock_.Advance(std::chrono::minutes(11));
  ASSERT_TRUE(engine_->RunUntilIdle());
  ExpectNoEffectMade();
  EXPECT_EQ(State(), "manual_handling");
}

// Defect (issue 19): the case's flag was set from the child alone, so a
// register change after a guardian became protected unprotected the case.
TEST_F(CaseEngineTest, AProtectedGuardianKeepsTheCaseProtectedThroughLaterRegisterChanges) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ImportProtected("v2.json", false, true);  // the mother becomes strengt fortrolig
  ASSERT_TRUE(engine_->ApplyProtectionChanges(persons_->Imports()->back().id));
  ASSERT_EQ(Count("SELECT protected FROM cases"), 1);
  // The child moves (within the school's area); the mother is still protected.
  testing::DocSpec child{kChild, "2020-03-14", "Storgata", 7, true};
  testing::DocSpec mother{kMother, "1988-05-05", "Storgata", 7, false};
  mother.gradering = "strengtFortrolig";
  Import({testing::PersonDoc(child), testing::PersonDoc(mother), PersonDoc(kFather, "1987-02-02", "Storgata", 7, false)},
         "v3.json");
  auto s = engine_->Intake(2026, {1});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_GE(s->register_events, 1);
  EXPECT_EQ(TheCase().instance.at("data").at("protected"), json::value(true));
  EXPECT_EQ(Count("SELECT protected FROM cases"), 1);
  EXPECT_EQ(State(), "manual_handling");
}

// A test double around a simulator: runs `before` once, at its first call
// (another process's work that lands while the worker's pass is under way).
class CallbackConnector final : public Connector {
 public:
  CallbackConnector(Connector& inner, std::function<void()> before, bool in_process = false)
      : inner_(inner), before_(std::move(before)), in_process_(in_process) {}
  JobOutcome Execute(const JobRequest& r) override {
    if (before_) std::exchange(before_, nullptr)();
    return inner_.Execute(r);
  }
  [[nodiscard]] bool InProcess() const override { return in_process_; }

 private:
  Connector& inner_;
  std::function<void()> before_;
  bool in_process_;
};

// Defect (issue 19): the worker read each case's protection when it claimed
// the job and which import was checked once per pass, so a protection
// imported and checked by another process during the pass was missed.
TEST_F(CaseEngineTest, AProtectionImportedDuringAPassStopsTheEffectsNotYetBegun) {
 for (const bool in_process : {false, true}) {  // each outcome committed alone, or a window of calls at once
  SCOPED_TRACE(in_process ? "in-process window" : "one call, one commit");
  Reset();
  Open();
  ImportFamily();
  ASSERT_TRUE(engine_->ApplyProtectionChanges(persons_->Imports()->back().id));
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  PersonCommand approve{"approve", nullptr, "person:test", "r1"};
  ASSERT_TRUE(engine_->ApplyPersonEvent(TheCase().id, approve));
  // Another process (the web server's upload) imports a protected guardian
  // and applies it while the worker's first call is being made.
  auto other = AnotherProcess();
  auto systems = simulators_->All();
  CallbackConnector dispatch(*systems.at("dispatch"), [&] {
    EXPECT_EQ(ImportProtectedMotherIn(*other), 1);  // the case re-screens; its queued jobs are cancelled
  }, in_process);
  systems["dispatch"] = &dispatch;
  engine_ = std::make_unique<CaseEngine>(*cases_, *persons_, clock_, ids_, settings_, systems);
  ASSERT_TRUE(engine_->LoadWorkflow(testing::ReadFile(testing::SourceDir() + "/workflows/enrolment.scxml")));
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(*simulators_->EffectCount("dispatch"), 1);  // begun before the import
  EXPECT_EQ(*simulators_->EffectCount("student_system"), 0);
  EXPECT_EQ(*simulators_->EffectCount("archive"), 0);
  EXPECT_EQ(State(), "manual_handling");
  engine_.reset();  // before the connector it holds goes
 }
}

// Defect (issue 19): ApplyProtectionChanges listed the open cases before its
// transaction began, so a case created in between was never reached while
// the import was still marked checked. No other writer may come between.
TEST_F(CaseEngineTest, NoCaseCanBeCreatedBetweenTheProtectionListingAndItsCheck) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ImportProtected("v2.json", false, true);
  auto other = sql::Database::Open(dir_.File("enrol.db"));
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->Exec("PRAGMA busy_timeout=0"));
  int passed = 0;
  SetTestPoint([&](std::string_view name) {
    if (name != "protection_changes.listed") return;
    ++passed;
    // Another process's intake would write its new cases now.
    EXPECT_FALSE((*other)->Exec("BEGIN IMMEDIATE")) << "another writer got in after the cases were listed";
    (void)(*other)->Exec("ROLLBACK");
  });
  auto n = engine_->ApplyProtectionChanges(persons_->Imports()->back().id);
  SetTestPoint({});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(passed, 1);
  EXPECT_EQ(*n, 1);
}

// Defect (issue 19): an intake builds its cohorts from the newest import and
// then creates cases batch by batch; a protection imported and checked by
// another process in between was not in the cohorts, so the new case was
// created unprotected and the worker, trusting the checked import, drafted
// its letter with the protected guardian's name and address.
TEST_F(CaseEngineTest, AProtectionImportedDuringAnIntakeReachesTheCasesItCreates) {
  ImportFamily();
  ASSERT_TRUE(engine_->ApplyProtectionChanges(persons_->Imports()->back().id));
  auto other = AnotherProcess();
  SetTestPoint([&](std::string_view name) {
    if (name == "intake.cohorts_built") {
      EXPECT_EQ(ImportProtectedMotherIn(*other), 0);  // no case yet
    }
  });
  auto s = engine_->Intake(2026, {1});
  SetTestPoint({});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->created, 1);
  EXPECT_EQ(Count("SELECT protected FROM cases"), 1);
  EXPECT_EQ(State(), "manual_handling");
  EXPECT_EQ(*simulators_->EffectCount("letters"), 0);
}

// Defect (issue 19): incidents were listed outside the transaction that
// re-queued their jobs, and a job was re-queued without checking that it
// still waited on the incident: an incident cancelled in between (by another
// person, or by an event that cancelled the work) was run all the same.
TEST_F(CaseEngineTest, AnIncidentCancelledWhileARetryRunsIsNotRunAgain) {
  sim::SimulatorOptions o;
  o.fail_always = true;
  Open(o, "", json::object{{"attempts", 1}});
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_EQ(cases_->ListIncidents({})->size(), 1u);
  auto other = AnotherProcess();
  bool fired = false;
  SetTestPoint([&](std::string_view name) {
    if (name != "incidents.listed" || fired) return;
    fired = true;
    auto cancelled = other->engine->CancelIncidents({}, "person:other", "not to be done");
    ASSERT_TRUE(cancelled) << cancelled.error().message;
    EXPECT_EQ(cancelled->done, 1);
  });
  auto n = engine_->RetryIncidents({}, "person:test");
  SetTestPoint({});
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->done, 0);
  ASSERT_EQ(n->refused.size(), 1u);
  EXPECT_NE(n->refused.front().find("no longer open"), std::string::npos) << n->refused.front();
  EXPECT_EQ(cases_->JobsOf(TheCase().id)->front().status, "cancelled");
  EXPECT_EQ(State(), "manual_handling");
}

// One incident the action does not fit is refused alone; the rest go on.
TEST_F(CaseEngineTest, OneIncidentThatCannotBeRetriedDoesNotStopTheOthers) {
  sim::SimulatorOptions o;
  o.fail_first_attempts = 1;
  Open(o, "", json::object{{"attempts", 1}});
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));  // the letter's job: an incident
  IncidentRecord own;  // and an incident of a case itself (as a damaged case gets)
  own.case_id = TheCase().id;
  own.kind = "case";
  own.error = "the case's own";
  own.created_at = engine_->NowText();
  ASSERT_TRUE(cases_->Begin());
  ASSERT_TRUE(cases_->InsertIncident(own));
  ASSERT_TRUE(cases_->Commit());
  ASSERT_EQ(cases_->ListIncidents({})->size(), 2u);
  auto n = engine_->RetryIncidents({}, "person:test");
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(n->done, 1);
  ASSERT_EQ(n->refused.size(), 1u);
  EXPECT_NE(n->refused.front().find("the case's own"), std::string::npos) << n->refused.front();
  ASSERT_TRUE(engine_->RunUntilIdle());
  EXPECT_EQ(State(), "awaiting_approval");
}

// Defect (issue 19): the web app checked who may act on a case before the
// engine's transaction, against the case as it was read then. The engine
// now checks the command's user inside the transaction that applies it.
TEST_F(CaseEngineTest, AUserIsCheckedAgainstTheCaseAsItIsWhenTheEventIsApplied) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_EQ(TheCase().school, "S01");
  User secretary;
  secretary.name = "sek.a";
  secretary.role = Role::kSecretary;
  secretary.schools = {"S01"};
  // The school's own secretary may not send the office's events.
  PersonCommand office_event{"manual.closed", json::object{{"reason", "x"}}, "person:sek.a", "r0", secretary};
  auto forbidden = engine_->ApplyPersonEvent(TheCase().id, office_event);
  ASSERT_FALSE(forbidden);
  EXPECT_EQ(forbidden.error().code, ErrorCode::kPermissionDenied);
  // Reassigned to another school (the office did it a moment ago).
  PersonCommand reassign{"reassign", json::object{{"school", "S02"}, {"reason", "parents asked"}}, "person:office", "r1"};
  auto moved = engine_->ApplyPersonEvent(TheCase().id, reassign);
  ASSERT_TRUE(moved) << moved.error().message;
  ASSERT_TRUE(engine_->RunUntilIdle());
  ASSERT_EQ(State(), "awaiting_approval");
  PersonCommand approve{"approve", nullptr, "person:sek.a", "r2", secretary};
  auto refused = engine_->ApplyPersonEvent(TheCase().id, approve);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(refused.error().message, "no case " + std::to_string(TheCase().id));  // as for a case that does not exist
  EXPECT_EQ(State(), "awaiting_approval");
  // Protected since: not even the school it belongs to sees it.
  secretary.schools = {"S02"};
  ImportProtected("v2.json", false, true);
  ASSERT_TRUE(engine_->ApplyProtectionChanges(persons_->Imports()->back().id));
  PersonCommand moved_away{"moved", json::object{{"reason", "the school heard so"}}, "person:sek.a", "r3", secretary};
  auto hidden = engine_->ApplyPersonEvent(TheCase().id, moved_away);
  ASSERT_FALSE(hidden);
  EXPECT_EQ(hidden.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(State(), "manual_handling");
  User office;
  office.name = "kontoret";
  office.role = Role::kAdmin;
  PersonCommand closed{"manual.closed", json::object{{"reason", "x"}}, "person:kontoret", "r4", office};
  EXPECT_TRUE(engine_->ApplyPersonEvent(TheCase().id, closed));
}

// Defect (issue 19): "reject" redrafted an identical letter that was back in
// the inbox at once, unmarked, and "approve all shown" sent it. A rejected
// case now waits for a correction: new register data, a reassign, or the
// education office; it is never approved as it was.
TEST_F(CaseEngineTest, ARejectedLetterWaitsForACorrectionAndIsNeverApprovedAsItWas) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_EQ(*simulators_->EffectCount("letters"), 1);
  ASSERT_TRUE(Person("reject", "r1", json::object{{"reason", "wrong school year"}}));
  EXPECT_EQ(State(), "rejected");
  EXPECT_EQ(*simulators_->EffectCount("letters"), 1);  // no identical redraft
  EXPECT_EQ(TheCase().instance.at("data").at("last_rejection"), "wrong school year");
  auto approve = Person("approve", "r2");
  ASSERT_FALSE(approve);
  EXPECT_NE(approve.error().message.find("does not accept 'approve' now"), std::string::npos) << approve.error().message;
  // Waiting on nothing the engine does, but on people: not stuck.
  EXPECT_TRUE(engine_->StuckCases()->empty());
  // New register data (the child moved) re-screens it and drafts anew.
  ImportFamily("Storgata", 9, "v2.json");
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  EXPECT_EQ(State(), "awaiting_approval");
  EXPECT_EQ(*simulators_->EffectCount("letters"), 2);
  // Or the office resolves it.
  ASSERT_TRUE(Person("reject", "r3", json::object{{"reason", "still wrong"}}));
  ASSERT_EQ(State(), "rejected");
  ASSERT_TRUE(Person("manual.resolved", "r4", json::object{{"note", "checked with the parents"}}));
  EXPECT_EQ(State(), "awaiting_approval");
  EXPECT_EQ(*simulators_->EffectCount("letters"), 3);
}

// Defect (issue 19): post.printed, the print batch's receipt, was a person
// event any admin could send from the web for a letter never printed. It
// comes only from the print batch now (CaseEngine::RecordPrinted), and only
// to a case waiting for its print.
TEST_F(CaseEngineTest, OnlyThePrintBatchMarksALetterPrinted) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  User office;
  office.name = "kontoret";
  office.role = Role::kAdmin;
  PersonCommand printed{"post.printed", json::object{{"batch", "forged.pdf"}}, "person:kontoret", "r1", office};
  auto r = engine_->ApplyPersonEvent(TheCase().id, printed);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("comes only from the engine"), std::string::npos) << r.error().message;
  auto early = engine_->RecordPrinted(TheCase().id, 1, "batch.pdf abc", "person:kontoret");
  ASSERT_FALSE(early);  // not waiting for a print
  EXPECT_EQ(early.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(Count("SELECT COUNT(*) FROM case_events WHERE name='post.printed'"), 0);
  EXPECT_EQ(State(), "awaiting_approval");
}

// The workflow's vocabulary is bound by name in the workflow file
// (<enrol:roles>): a workflow whose manual state, print state and protected
// flag are called otherwise runs the same, with no change in the engine.
TEST_F(CaseEngineTest, RenamedStatesAndFieldsNeedOnlyTheirRolesInTheWorkflowFile) {
  std::string text = testing::ReadFile(testing::SourceDir() + "/workflows/enrolment.scxml");
  text = std::regex_replace(text, std::regex(R"(\bmanual_handling\b)"), "kontorets_behandling");
  text = std::regex_replace(text, std::regex(R"(\bprinting\b)"), "utskrift");
  text = std::regex_replace(text, std::regex(R"((^|[^\w.])protected(?!\w))"), "$1skjermet");
  text = std::regex_replace(text, std::regex(R"(<enrol:roles skjermet=)"), "<enrol:roles protected=");
  ASSERT_EQ(text.find("\"manual_handling\""), std::string::npos);
  ASSERT_NE(text.find("<data id=\"skjermet\""), std::string::npos);
  engine_ = std::make_unique<CaseEngine>(*cases_, *persons_, clock_, ids_, settings_, simulators_->All());
  ASSERT_TRUE(engine_->LoadWorkflow(text));
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_EQ(State(), "awaiting_approval");
  ImportProtected("v2.json", false, true);
  auto n = engine_->ApplyProtectionChanges(persons_->Imports()->back().id);
  ASSERT_TRUE(n) << n.error().message;
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(State(), "kontorets_behandling");
  EXPECT_EQ(TheCase().instance.at("data").at("skjermet"), json::value(true));
  EXPECT_TRUE(TheCase().protected_case);
  EXPECT_EQ(Count("SELECT protected FROM cases"), 1);
  // Without its roles, a workflow is refused with what is missing.
  const std::string bare = std::regex_replace(text, std::regex(R"(<enrol:roles[^>]*/>)"), "");
  auto refused = engine_->LoadWorkflow(bare);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("declares no <enrol:roles>"), std::string::npos) << refused.error().message;
  // A role that names nothing is an error with its line.
  const std::string wrong = std::regex_replace(text, std::regex(R"(print-wait="utskrift")"), "print-wait=\"printing\"");
  auto bad = engine_->LoadWorkflow(wrong);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("print-wait= names 'printing', which is not a state"), std::string::npos)
      << bad.error().message;
}

// ---- an audit log that shows tampering

TEST_F(CaseEngineTest, AuditRowsCutOffTheEndAreFoundAgainstTheHead) {
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  auto v = cases_->VerifyAudit();
  ASSERT_TRUE(v && v->ok);
  const AuditHead head{v->head_seq, v->head_hash};
  EXPECT_TRUE(cases_->VerifyAudit(head)->ok);
  ASSERT_TRUE(db_->Exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq >= " +
                        std::to_string(head.seq - 1)));
  EXPECT_TRUE(cases_->VerifyAudit()->ok);  // the chain alone cannot tell
  auto cut = cases_->VerifyAudit(head);
  EXPECT_FALSE(cut->ok);
  EXPECT_NE(cut->problem.find("rows were removed from the end"), std::string::npos) << cut->problem;
}

TEST_F(CaseEngineTest, AKeyedChainRewrittenWithoutTheKeyIsFound) {
  const std::string key = "a test key of thirty-two bytes..";
  Open({}, key);
  ImportFamily();
  ASSERT_TRUE(engine_->Intake(2026, {1}));
  ASSERT_TRUE(Person("approve", "r1"));
  auto v = cases_->VerifyAudit();
  ASSERT_TRUE(v && v->ok) << v->problem;
  EXPECT_EQ(v->keyed_rows, v->rows);
  // Someone with the database but not the key rewrites every row, forging
  // row 2, and chains them again with plain SHA-256 and with a guessed key.
  for (const std::string& forger_key : {std::string(), std::string("guessed key guessed key")}) {
    ASSERT_TRUE(db_->Exec("DROP TRIGGER IF EXISTS audit_no_update"));
    auto rows = db_->Prepare("SELECT seq, at, case_id, actor, kind, detail FROM audit ORDER BY seq");
    std::vector<std::tuple<int64_t, std::string, AuditEntry>> all;
    while (*rows->Step()) {
      AuditEntry e{rows->ColumnInt(2), rows->ColumnText(3), rows->ColumnText(4), rows->ColumnText(5)};
      if (rows->ColumnInt(0) == 2) e.detail = "forged";
      all.emplace_back(rows->ColumnInt(0), rows->ColumnText(1), e);
    }
    std::string prev(64, '0');
    for (const auto& [seq, at, e] : all) {
      const std::string h = store::AuditHash(prev, seq, at, e, forger_key);
      auto up = db_->Prepare("UPDATE audit SET detail=?, prev_hash=?, hash=? WHERE seq=?");
      ASSERT_TRUE(up->Bind(1, e.detail).Bind(2, prev).Bind(3, h).Bind(4, seq).Run());
      prev = h;
    }
    auto forged = cases_->VerifyAudit();
    ASSERT_TRUE(forged);
    EXPECT_FALSE(forged->ok) << (forger_key.empty() ? "plain" : "guessed key");
  }
  // Without the key, a keyed log cannot be verified at all.
  auto unkeyed = store::SqliteCaseStore::Create(*db_);
  auto without = (*unkeyed)->VerifyAudit();
  EXPECT_FALSE(without->ok);
}

}  // namespace
}  // namespace enrol::app
