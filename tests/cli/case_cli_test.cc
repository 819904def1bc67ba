// The case commands as a user runs them.
#include <signal.h>

#include <chrono>
#include <cctype>
#include <filesystem>
#include <set>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"
#include "tests/support/demo_config.h"
#include "tests/support/personal_data.h"

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
  testing::CommandResult Enrol(const std::string& args) { return testing::EnrolIn(dir_, args); }
  static json::value Json(const testing::CommandResult& r) { return testing::OutputJson(r); }
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
  // The command returned once the approvals were committed: the letters are
  // not sent yet; the worker does that.
  EXPECT_EQ(approve.at("jobs_done").as_int64(), 0);
  EXPECT_EQ(Json(Enrol("--json case list --school S01 --status completed")).as_array().size(), 0u);
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
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
  EXPECT_EQ(Enrol("audit checkpoint").exit_code, 0);
  EXPECT_EQ(Enrol("audit verify").exit_code, 0);
}

// The global options come before or after the subcommand (the README shows
// `enrol case stuck --json`).
TEST_F(CaseCliTest, JsonAfterTheSubcommandIsTheGlobalFlag) {
  ASSERT_EQ(Enrol("intake --school-year 2027").exit_code, 0);
  for (const char* cmd : {"case stuck --json", "case list --school S01 --json", "--json case list --school S01"}) {
    auto r = Enrol(cmd);
    EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.out;
    EXPECT_TRUE(Json(r).is_array()) << cmd;
  }
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
  ASSERT_EQ(Enrol("case event 1 approve --run").exit_code, 0);
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
  // The archive files rendered letters only: it says so and starts nothing.
  auto refused = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.out.find("connectors.archive files the rendered letters"), std::string::npos) << refused.out;
  cfg.as_object()["connectors"].as_object().erase("archive");  // the generic simulator, failing, serves it
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
  EXPECT_EQ(Enrol("audit checkpoint").exit_code, 0);
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

// Looks for the extract's actual national ids, and the names and addresses
// of its protected persons, in every output of the case commands.
TEST_F(CaseCliTest, NoPersonalDataInCaseOutput) {
  const testing::PersonalData personal = testing::ReadPersonalData(dir_.File("x.json"));
  ASSERT_GT(personal.ids.size(), 1000u);
  ASSERT_FALSE(personal.protected_texts.empty());
  ASSERT_EQ(Enrol("intake --school-year 2027").exit_code, 0);
  std::string all = Enrol("case list").out + Enrol("--json case list").out + Enrol("case stuck").out +
                    Enrol("incidents list --all").out;
  for (int id = 1; id <= 40; ++id) {
    all += Enrol("case show " + std::to_string(id)).out + Enrol("--json case show " + std::to_string(id)).out;
  }
  EXPECT_EQ(personal.FindIn(all), "");
  // The check itself can fail.
  EXPECT_NE(personal.FindIn(all + *personal.ids.begin()), "");
}


// Ids a person may type: each is "no ..." with exit 2, never an internal
// error, and nothing is written.
TEST_F(CaseCliTest, MalformedIdsAreNotFound) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  for (const char* cmd : {"case show 99999999999999999999", "case show 00000000000000000000000001",
                          "case event 99999999999999999999 approve", "case show abc", "case show -1",
                          "letters preview 99999999999999999999 --out x.pdf", "case show \"$(printf 'a\\033[31mb')\""}) {
    auto r = Enrol(cmd);
    EXPECT_EQ(r.exit_code, 2) << cmd << "\n" << r.out;
    EXPECT_EQ(r.out.find("internal error"), std::string::npos) << cmd << "\n" << r.out;
    EXPECT_EQ(r.out.find('\x1b'), std::string::npos) << cmd << ": a control character echoed";
  }
  auto unknown = Enrol("incidents retry 999");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.out;
  EXPECT_NE(unknown.out.find("no incident 999"), std::string::npos) << unknown.out;
}

TEST_F(CaseCliTest, ANewerSchemaIsRefusedWithBothVersions) {
  {
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec("INSERT INTO schema_migrations VALUES(999, '0999_future.sql', 'x')"));
  }
  auto r = Enrol("case list");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("schema version 999"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("(" + std::to_string(store::LatestSchemaVersion()) + ")"), std::string::npos) << r.out;
}

TEST_F(CaseCliTest, APersonCannotFakeAReceipt) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const std::string before = Enrol("--json case show 1").out;
  for (const char* e : {"done.invoke.draft_letter.1 --data '{\"letter_version\":1}'", "register.died",
                        "error.communication", "frobnicate"}) {
    auto r = Enrol(std::string("case event 1 ") + e);
    EXPECT_EQ(r.exit_code, 2) << e << "\n" << r.out;
    EXPECT_NE(r.out.find("it accepts: approve, reject (reason)"), std::string::npos) << r.out;
  }
  EXPECT_EQ(Enrol("--json case show 1").out, before);  // nothing written
  auto reject = Enrol("case event 1 reject");
  EXPECT_EQ(reject.exit_code, 2);
  EXPECT_NE(reject.out.find("needs reason"), std::string::npos) << reject.out;
}

TEST_F(CaseCliTest, ARequestIdIsAppliedOnce) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const std::string cmd = "case event 1 reject --data '{\"reason\":\"feil skole\"}' --request-id 7f3c-click";
  ASSERT_EQ(Enrol(cmd).exit_code, 0);
  auto again = Enrol(cmd);
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("not applied again"), std::string::npos) << again.out;
  // Without a request id the same repeat is caught too.
  auto plain = Enrol("case event 1 reject --data '{\"reason\":\"feil skole\"}'");
  EXPECT_NE(plain.out.find("not applied again"), std::string::npos) << plain.out;
  auto shown = Json(Enrol("--json case show 1"));
  EXPECT_EQ(shown.at("data").at("rejections").as_int64(), 1);
  bool audited = false;
  for (const auto& h : shown.at("history").as_array()) {
    audited = audited || std::string(h.at("detail").as_string()).find("feil skole") != std::string::npos;
  }
  EXPECT_TRUE(audited);
}

TEST_F(CaseCliTest, CaseStuckListsDamagedCases) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  EXPECT_EQ(Json(Enrol("--json case stuck")).as_array().size(), 0u);
  {
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec("UPDATE cases SET instance='[' WHERE id=2"));
  }
  auto stuck = Json(Enrol("--json case stuck"));
  ASSERT_EQ(stuck.as_array().size(), 1u);
  EXPECT_EQ(stuck.as_array()[0].at("id").as_int64(), 2);
  EXPECT_NE(std::string(stuck.as_array()[0].at("reason").as_string()).find("damaged"), std::string::npos);
  auto refused = Enrol("case event 2 approve");
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.out.find("damaged"), std::string::npos) << refused.out;
}

TEST_F(CaseCliTest, TwoWorkersOnOneDatabaseFinishAllWorkCallingEachJobOnce) {
  json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
  cfg.as_object()["connectors"].as_object()["simulator_fail_first_attempts"] = 1;
  cfg.as_object()["workflow"].as_object()["retry"] =
      json::object{{"attempts", 5}, {"backoff", "PT0.3S"}, {"max_backoff", "PT0.3S"}};
  testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  // Every first call fails, so the approvals leave their jobs waiting for a
  // retry: the two workers share that work.
  ASSERT_EQ(Enrol("case event --state awaiting_approval approve").exit_code, 0);
  const std::string run = "ENROL_CONFIG=" + dir_.File("config.json") + " " + testing::EnrolBinary() + " run --poll-ms 50";
  auto r = testing::Run(
      "cd " + dir_.path().string() + " && (" + run + " > w1.out 2>&1 & echo $! > w1; " + run +
      " > w2.out 2>&1 & echo $! > w2; "
      "for i in $(seq 1 600); do n=$(python3 -c \"import sqlite3; print(sqlite3.connect('enrol.db', timeout=10)"
      ".execute(\\\"SELECT COUNT(*) FROM jobs WHERE status='queued'\\\").fetchone()[0])\"); "
      "[ \"$n\" = 0 ] && break; sleep 0.1; done; echo queued=$n; "
      "kill -TERM $(cat w1) $(cat w2); wait $(cat w1); echo w1=$?; wait $(cat w2); echo w2=$?)");
  EXPECT_NE(r.out.find("w1=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("w2=0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("queued=0"), std::string::npos) << r.out;
  const size_t approved = Json(Enrol("--json case list --status completed")).as_array().size();
  EXPECT_GT(approved, 100u);
  EXPECT_EQ(Json(Enrol("--json case list --state sending")).as_array().size(), 0u);
  auto sims = sql::Database::Open(dir_.File("sims.db"));
  ASSERT_TRUE(sims);
  auto q = (*sims)->Prepare("SELECT COUNT(*), SUM(attempts = 2), MAX(attempts) FROM calls");
  ASSERT_TRUE(q && *q->Step());
  EXPECT_GT(q->ColumnInt(0), 100);
  EXPECT_EQ(q->ColumnInt(1), q->ColumnInt(0));  // the failing call, then exactly one more
  EXPECT_EQ(q->ColumnInt(2), 2);
  EXPECT_EQ(Enrol("audit checkpoint").exit_code, 0);
}

TEST_F(CaseCliTest, JobKeysAreDistinctTimeOrderedUuids) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto db = sql::Database::Open(dir_.File("enrol.db"));
  ASSERT_TRUE(db);
  auto q = (*db)->Prepare("SELECT idempotency_key FROM jobs ORDER BY id");
  ASSERT_TRUE(q);
  std::set<std::string> seen;
  std::string previous_ms;
  while (*q->Step()) {
    const std::string key = q->ColumnText(0);
    ASSERT_EQ(key.size(), 36u) << key;
    for (size_t i = 0; i < key.size(); ++i) {
      const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
      ASSERT_TRUE(dash ? key[i] == '-' : std::isxdigit(static_cast<unsigned char>(key[i])) != 0) << key;
    }
    EXPECT_EQ(key[14], '7') << key;  // version 7
    EXPECT_NE(std::string("89ab").find(key[19]), std::string::npos) << key;  // RFC 9562 variant
    // The first 48 bits are the creation time: a later job's are never smaller.
    const std::string ms = key.substr(0, 8) + key.substr(9, 4);
    EXPECT_GE(ms, previous_ms) << key;
    previous_ms = ms;
    EXPECT_TRUE(seen.insert(key).second) << "repeated key " << key;
  }
  EXPECT_GT(seen.size(), 100u);
}

TEST_F(CaseCliTest, RunStopsAtOnceOnSigtermWhileTheDatabaseIsLocked) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto db = sql::Database::Open(dir_.File("enrol.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Exec("BEGIN IMMEDIATE"));  // another process holds the write lock
  const std::string out = dir_.File("run.out");
  // A lock wait gives up after 5 s by itself; the signal must end it well
  // before that. The shell prints how long the worker took after the signal.
  auto r = testing::Run("cd " + dir_.path().string() + " && (ENROL_CONFIG=" + dir_.File("config.json") + " " +
                        testing::EnrolBinary() + " run --poll-ms 200 > " + out + " 2>&1 & echo $! > pid; "
                        "for i in $(seq 1 200); do grep -q 'worker running' " + out + " && break; sleep 0.05; done; "
                        "sleep 0.3; t0=$(date +%s%N); kill -TERM $(cat pid); wait $(cat pid); echo exit=$?; "
                        "echo ms=$(( ($(date +%s%N) - t0) / 1000000 )))");
  ASSERT_TRUE((*db)->Exec("ROLLBACK"));
  EXPECT_NE(r.out.find("exit=0"), std::string::npos) << r.out << testing::ReadFile(out);
  const size_t at = r.out.find("ms=");
  ASSERT_NE(at, std::string::npos) << r.out;
  EXPECT_LT(std::stoi(r.out.substr(at + 3)), 2500) << r.out;
}

TEST_F(CaseCliTest, AuditVerifyFindsRowsCutOffTheEnd) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  // Without a head kept outside the database, a verification cannot find
  // rows cut off the end: it fails, and says how to start one.
  auto headless = Enrol("audit verify");
  EXPECT_EQ(headless.exit_code, 1) << headless.out;
  EXPECT_NE(headless.out.find("enrol audit checkpoint"), std::string::npos) << headless.out;
  EXPECT_FALSE(std::filesystem::exists(dir_.File("enrol.db.audit-head")));
  ASSERT_EQ(Enrol("audit checkpoint").exit_code, 0);
  auto first = Enrol("audit verify");
  ASSERT_EQ(first.exit_code, 0) << first.out;
  EXPECT_NE(first.out.find("head: "), std::string::npos);
  ASSERT_TRUE(std::filesystem::exists(dir_.File("enrol.db.audit-head")));
  EXPECT_FALSE(std::filesystem::exists(dir_.File("enrol.db.audit-head.tmp")));
  {
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db);
    ASSERT_TRUE((*db)->Exec("DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq > (SELECT MAX(seq) - 3 FROM audit)"));
  }
  auto cut = Enrol("audit verify");
  EXPECT_EQ(cut.exit_code, 1);
  EXPECT_NE(cut.out.find("rows were removed from the end"), std::string::npos) << cut.out;
  auto checkpoint = Enrol("audit checkpoint");
  EXPECT_EQ(checkpoint.exit_code, 1);  // a broken log is not checkpointed
}

TEST_F(CaseCliTest, AuditWithAKeyFile) {
  testing::WriteFile(dir_.File("audit.key"), "0123456789abcdef0123456789abcdef\n");
  const std::string keyed = "ENROL_AUDIT_KEY_FILE=" + dir_.File("audit.key") + " ";
  const std::string enrol = "ENROL_CONFIG=" + dir_.File("config.json") + " " + testing::EnrolBinary();
  auto r = testing::Run("cd " + dir_.path().string() + " && " + keyed + enrol + " intake --school-year 2027 --grades 1 && " +
                        keyed + enrol + " audit checkpoint && " + keyed + enrol + " audit verify");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("(keyed)"), std::string::npos) << r.out;
  auto without = Enrol("audit verify --checkpoint none");
  EXPECT_EQ(without.exit_code, 1);
  EXPECT_NE(without.out.find("no key is set"), std::string::npos) << without.out;
  // Defect (issue 19): a process without the key appended plain rows to the
  // keyed chain. It is refused now, and nothing is written.
  auto plain = Enrol("case event --state awaiting_approval approve");
  EXPECT_NE(plain.exit_code, 0) << plain.out;
  EXPECT_NE(plain.out.find("chained with a key and this process has none"), std::string::npos) << plain.out;
  auto still = testing::Run("cd " + dir_.path().string() + " && " + keyed + enrol + " audit verify");
  EXPECT_EQ(still.exit_code, 0) << still.out;
  // One minimum key length, whichever way the key comes.
  for (const std::string& how : {std::string("ENROL_AUDIT_KEY=too-short-a-key "), "ENROL_AUDIT_KEY_FILE=" + dir_.File("short.key") + " "}) {
    testing::WriteFile(dir_.File("short.key"), "too-short-a-key\n");
    auto short_key = testing::Run("cd " + dir_.path().string() + " && " + how + enrol + " audit verify 2>&1");
    EXPECT_EQ(short_key.exit_code, 2) << how << short_key.out;
    EXPECT_NE(short_key.out.find("at least 32"), std::string::npos) << how << short_key.out;
  }
}

}  // namespace
}  // namespace enrol
