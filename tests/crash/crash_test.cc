// Crash test: the engine is killed with SIGKILL at random moments while it
// runs an intake, the approvals and the worker, and restarted each time. The
// external systems are simulated by another process (`enrol simulate-systems`,
// reached over HTTP, keeping its own store and deduplicating by the key it is
// given, like the real systems); it is never killed. At the end every case
// must be completed, every expected effect applied exactly once with none
// missing, and the audit chain must verify. A second run keeps the
// simulators in the engine's process (their store still apart).
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <set>
#include <map>
#include <filesystem>
#include <functional>
#include <random>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/app/case_engine.h"
#include "engine/sql/sqlite.h"
#include "tests/support/demo_config.h"

extern char** environ;

namespace enrol {
namespace {

namespace json = boost::json;

class CrashTest : public ::testing::TestWithParam<bool> {
 protected:
  void TearDown() override {
    if (server_pid_ > 0) {
      kill(server_pid_, SIGKILL);
      waitpid(server_pid_, nullptr, 0);
    }
  }

  // Starts `enrol ARGS` (a simulator that prints the URL it listens on) in a
  // process of its own and returns that URL.
  std::string StartServer(const std::string& args, const std::string& name, pid_t* pid) {
    const std::string out = dir_.File(name + ".out");
    std::vector<std::string> argv_s = {"/bin/sh", "-c", "exec " + testing::EnrolBinary() + " " + args + " > " + out + " 2>&1"};
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(pid, "/bin/sh", nullptr, nullptr, argv.data(), environ), 0);
    for (int i = 0; i < 200; ++i) {
      const std::string text = testing::ReadFile(out);
      const size_t at = text.find("http://");
      const size_t end = at == std::string::npos ? at : text.find_first_of(" \n", at);
      if (end != std::string::npos) return text.substr(at, end - at);
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << name << " did not start: " << testing::ReadFile(out);
    return "";
  }

  // Starts `enrol simulate-systems` and returns its base URL.
  std::string StartSystemsServer() {
    return StartServer("simulate-systems --listen 127.0.0.1:0 --db " + dir_.File("simulated-systems.db") +
                           " --fail-first 1",
                       "server", &server_pid_);
  }

  void SetUp() override {
    // The demo municipality without manual cases (so every case can
    // complete), the simulators' store in the test folder, quick retries,
    // and the simulators failing each key's first call to force retries.
    testing::WriteDemoConfig(dir_, [this](json::object& o) {
    // Short leases, so that the jobs a killed worker had claimed are
    // taken up again quickly.
    o["workflow"].as_object()["retry"] = json::object{{"attempts", 20}, {"backoff", "PT0.02S"},
                                                      {"max_backoff", "PT0.1S"}, {"timeout", "PT0.5S"},
                                                      {"lease", "PT1S"}};
    if (GetParam()) {
      o["connectors"] = json::object{{"mode", "http"}, {"base_url", StartSystemsServer()}};
    } else {
      o["connectors"] = json::object{{"mode", "simulator"},
                                     {"simulator_db", dir_.File("simulated-systems.db")},
                                     {"simulator_fail_first_attempts", 1}};
    }
    for (auto& [k, v] : o["extract_generator"].as_object()["shares"].as_object()) {
      if (k != "one_guardian" && k != "guardians_apart" && k != "twins" && k != "with_history") v = 0;
    }
    });
  }

  // Runs enrol to completion; returns its exit code.
  int Enrol(const std::string& args) {
    return testing::Run(Command(args) + " >/dev/null").exit_code;
  }

  std::string Command(const std::string& args) {
    return "cd " + dir_.path().string() + " && ENROL_CONFIG=" + dir_.File("config.json") + " " +
           testing::EnrolBinary() + " " + args;
  }

  // Starts enrol, kills it with SIGKILL after a random delay unless it ends
  // first. Returns true when it ended by itself with exit code 0.
  bool RunOrKill(const std::vector<std::string>& args, int max_delay_ms, const std::string& kill_point = "") {
    std::vector<std::string> argv_s = {testing::EnrolBinary()};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, dir_.File("stderr.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, dir_.path().c_str());
    const std::string env_config = "ENROL_CONFIG=" + dir_.File("config.json");
    const std::string env_kill = "ENROL_KILL_POINT=" + kill_point;
    std::vector<char*> env = {const_cast<char*>(env_config.c_str()), nullptr, nullptr};
    if (!kill_point.empty()) env[1] = const_cast<char*>(env_kill.c_str());
    pid_t pid = 0;
    EXPECT_EQ(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), env.data()), 0);
    posix_spawn_file_actions_destroy(&fa);
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(std::uniform_int_distribution<int>(1, max_delay_ms)(rng_));
    int status = 0;
    for (;;) {
      const pid_t done = waitpid(pid, &status, WNOHANG);
      if (done == pid) {
        if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) ++kills_;  // its own kill point
        return WIFEXITED(status) && WEXITSTATUS(status) == 0;
      }
      if (std::chrono::steady_clock::now() >= deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ++kills_;
        return false;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(500));
    }
  }

  // Repeats a step, killing it at random, until it completes by itself.
  void UntilDone(const std::vector<std::string>& args) {
    for (int attempt = 0; attempt < 400; ++attempt) {
      // The window grows so that the step finishes eventually.
      if (RunOrKill(args, 20 + attempt * 15)) return;
    }
    FAIL() << "step never completed: " << args[0];
  }

  int64_t Sql(const std::string& db, const std::string& sql) {
    auto d = sql::Database::Open(db);
    EXPECT_TRUE(d) << d.error().message;
    auto q = (*d)->Prepare(sql);
    EXPECT_TRUE(q) << q.error().message;
    EXPECT_TRUE(*q->Step());
    return q->ColumnInt(0);
  }

  // Approves every waiting letter and runs the worker until no case waits
  // and no job is queued, each step through `until_done` (which repeats it,
  // killed, until it ends by itself). False when a step never ends.
  bool ApproveAndRunToTheEnd(const std::function<bool(const std::vector<std::string>&)>& until_done) {
    const std::string db = dir_.File("enrol.db");
    for (int round = 0; round < 3000; ++round) {
      const int64_t waiting = Sql(db, "SELECT COUNT(*) FROM cases WHERE state='awaiting_approval'");
      const int64_t open_jobs = Sql(db, "SELECT COUNT(*) FROM jobs WHERE status='queued'");
      if (waiting == 0 && open_jobs == 0) return true;
      if (waiting > 0) {
        if (!until_done({"case", "event", "--state", "awaiting_approval", "approve", "--as", "crash-test"})) return false;
      } else {
        if (!until_done({"run", "--until-idle"})) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    }
    return false;
  }

  // The demo's digital post, student system and archive, each simulator in
  // its own SQLite file in this process; `undeliverable` of the guardians
  // without a digital mailbox; `in_flight` calls at once per system (0: the
  // demo's).
  void UseTheThreeSystems(double undeliverable, int in_flight) {
    json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
    json::object demo = json::parse(testing::ReadFile(testing::DemoConfig())).as_object();
    json::object c = demo.at("connectors").as_object();
    c["simulator_db"] = dir_.File("simulated-systems.db");
    c["archive"].as_object()["simulator_db"] = dir_.File("archive.db");
    c["student_system"].as_object()["simulator_db"] = dir_.File("sis.db");
    c["dispatch"].as_object()["simulator_db"] = dir_.File("post.db");
    c["dispatch"].as_object()["simulator_undeliverable_share"] = undeliverable;
    if (in_flight > 0) {
      for (const char* system : {"archive", "student_system", "dispatch"}) c[system].as_object()["in_flight"] = in_flight;
    }
    cfg.as_object()["connectors"] = std::move(c);
    cfg.as_object()["workflow"].as_object()["post_poll_after"] = "PT0.05S";
    testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  }

  testing::TempDir dir_;
  std::mt19937 rng_{20261123};
  int kills_ = 0;
  pid_t server_pid_ = 0;
};

TEST_P(CrashTest, KilledAtRandomTheIntakeStillCompletesExactlyOnce) {
  ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 2500 --seed 5 --school-year 2027 --out x.json"), 0);
  ASSERT_EQ(Enrol("init"), 0);
  ASSERT_EQ(Enrol("import x.json"), 0);

  UntilDone({"intake", "--school-year", "2027"});
  UntilDone({"case", "event", "--state", "awaiting_approval", "approve", "--as", "crash-test"});
  // Some approvals may have been refused mid-way by a kill: approve again
  // until none waits, and run the worker until no job or retry is left.
  const std::string db = dir_.File("enrol.db");
  for (int round = 0; round < 600; ++round) {
    const int64_t waiting = Sql(db, "SELECT COUNT(*) FROM cases WHERE state='awaiting_approval'");
    const int64_t open_jobs = Sql(db, "SELECT COUNT(*) FROM jobs WHERE status='queued'");
    const int64_t drafting = Sql(db, "SELECT COUNT(*) FROM cases WHERE status='active' AND state!='awaiting_approval'");
    if (waiting == 0 && open_jobs == 0 && drafting == 0) break;
    if (waiting > 0) {
      RunOrKill({"case", "event", "--state", "awaiting_approval", "approve", "--as", "crash-test"}, 300);
    } else {
      RunOrKill({"run", "--until-idle"}, 300);
      std::this_thread::sleep_for(std::chrono::milliseconds(30));  // let retries fall due
    }
  }
  EXPECT_GE(kills_, 20) << "the engine was not killed often enough to mean anything";

  const int64_t cases = Sql(db, "SELECT COUNT(*) FROM cases");
  EXPECT_GT(cases, 800);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM cases WHERE status='completed'"), cases);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM incidents"), 0) << testing::Run(Command("incidents list")).out
                                                           << testing::Run(Command("case stuck")).out;

  // Every expected effect exactly once at the simulators: one per case and
  // system, under the keys the engine gave, none missing.
  if (server_pid_ > 0) {  // stop the systems before reading their store
    kill(server_pid_, SIGKILL);
    waitpid(server_pid_, nullptr, 0);
    server_pid_ = 0;
  }
  const std::string sims = dir_.File("simulated-systems.db");
  auto sim_db = sql::Database::Open(sims);
  ASSERT_TRUE(sim_db);
  std::map<std::string, std::map<std::string, int>> per_case;  // system -> case key -> effects
  auto q = (*sim_db)->Prepare("SELECT system, key FROM effects");
  ASSERT_TRUE(q);
  while (*q->Step()) {
    const std::string key = q->ColumnText(1);
    ++per_case[q->ColumnText(0)][key.substr(0, key.rfind('/'))];
  }
  for (const char* system : {"letters", "dispatch", "student_system", "archive"}) {
    EXPECT_EQ(static_cast<int64_t>(per_case[system].size()), cases) << system << ": a case is missing";
    for (const auto& [case_key, n] : per_case[system]) {
      EXPECT_EQ(n, 1) << system << " applied " << n << " effects for " << case_key;
    }
  }
  // Calls per key against the attempts allowed: each key's first call fails
  // and its second succeeds; a further call is allowed only where a kill
  // fell between a call and the commit of its outcome: at most the calls in
  // flight per kill (one over HTTP; up to the worker's window with the
  // in-process simulators).
  int64_t extra_calls = 0;
  auto calls = (*sim_db)->Prepare("SELECT key, attempts FROM calls");
  ASSERT_TRUE(calls);
  int64_t keys = 0;
  while (*calls->Step()) {
    ++keys;
    EXPECT_GE(calls->ColumnInt(1), 2) << "key " << calls->ColumnText(0) << " succeeded without its failing first call";
    extra_calls += std::max<int64_t>(0, calls->ColumnInt(1) - 2);
  }
  EXPECT_EQ(keys, 4 * cases);
  EXPECT_LE(extra_calls, kills_ * static_cast<int64_t>(GetParam() ? 1 : app::CaseEngine::kInProcessWindow)) << "more repeated calls than calls in flight: outcomes were lost";
  // The engine's jobs match the simulators' effects one to one.
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM jobs WHERE status='done'"), 4 * cases);

  auto verify = testing::Run(Command("audit checkpoint") + " && " + Command("audit verify"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  EXPECT_NE(verify.out.find("intact"), std::string::npos);
  std::cout << "[ crash    ] " << (GetParam() ? "systems in another process (HTTP): " : "systems in-process: ")
            << kills_ << " SIGKILLs, " << cases << " cases completed, effects exactly once\n";
}

// The worker stopped cleanly (SIGTERM) at random moments, and now and then
// run with a disk that fills up under it (a file size limit): every stop is
// clean (exit 0) and gives back the claims of the calls it did not make;
// every full disk is an error that names the database and leaves it
// intact; in the end every case completes with each effect once.
class StopCrashTest : public CrashTest {};

TEST_P(StopCrashTest, StoppedBySigtermAndByAFullDiskNothingIsLostAndNoClaimOutlivesAStop) {
  ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 3000 --seed 9 --school-year 2027 --out x.json"), 0);
  ASSERT_EQ(Enrol("init"), 0);
  ASSERT_EQ(Enrol("import x.json"), 0);
  ASSERT_EQ(Enrol("intake --school-year 2027"), 0);
  ASSERT_EQ(Enrol("case event --state awaiting_approval approve --as crash-test"), 0);
  const std::string db = dir_.File("enrol.db");
  // Runs `enrol ARGS` with SIGTERM after `term_ms` (0: none) and a file
  // size limit (0: none); returns its exit status and its stderr.
  auto run = [&](const std::vector<std::string>& args, int term_ms, off_t fsize) {
    const std::string err = dir_.File("run.err");
    const pid_t pid = fork();
    if (pid == 0) {
      if (chdir(dir_.path().c_str()) != 0) _exit(126);
      const int fd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      dup2(fd, 2);
      const int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      signal(SIGXFSZ, SIG_IGN);  // past the limit a write fails, as on a full disk
      if (fsize > 0) {
        rlimit r{static_cast<rlim_t>(fsize), static_cast<rlim_t>(fsize)};
        setrlimit(RLIMIT_FSIZE, &r);
      }
      setenv("ENROL_CONFIG", dir_.File("config.json").c_str(), 1);
      std::vector<std::string> argv_s = {testing::EnrolBinary()};
      argv_s.insert(argv_s.end(), args.begin(), args.end());
      std::vector<char*> argv;
      for (auto& x : argv_s) argv.push_back(x.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    if (term_ms > 0) {
      // Once it runs (its signal handlers are set when it says so on stderr), then a while.
      for (int i = 0; i < 2000 && testing::ReadFile(err).find("worker running") == std::string::npos; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(term_ms));
      kill(pid, SIGTERM);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return std::make_pair(status, testing::ReadFile(err));
  };
  int terms = 0, fulls = 0;
  for (int round = 0; round < 400; ++round) {
    if (Sql(db, "SELECT COUNT(*) FROM jobs WHERE status='queued'") == 0 &&
        Sql(db, "SELECT COUNT(*) FROM cases WHERE status='active'") == 0) {
      break;
    }
    if (round % 4 == 1) {
      // A full disk: a little room beyond what the database's files hold.
      off_t largest = 0;
      for (const char* f : {"enrol.db", "enrol.db-wal"}) {
        std::error_code ec;
        largest = std::max<off_t>(largest, static_cast<off_t>(std::filesystem::file_size(dir_.File(f), ec)));
      }
      auto [status, err] = run({"run", "--until-idle"}, 0, largest + 8 * 1024);
      if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        ++fulls;
        EXPECT_TRUE(err.find(db) != std::string::npos) << err;  // the message names the database
      }
      EXPECT_EQ(testing::Run("sqlite3 " + db + " 'PRAGMA integrity_check'").out, "ok\n");
      continue;
    }
    // The claims other runs left (a full disk's cannot be given back; they lapse).
    const std::string before = testing::Run("sqlite3 " + db + " \"SELECT group_concat(DISTINCT lease_owner) FROM jobs "
                                            "WHERE lease_owner!=''\"").out;
    auto [status, err] = run({"run"}, std::uniform_int_distribution<int>(20, 150)(rng_), 0);
    ASSERT_TRUE(WIFEXITED(status)) << "not a clean stop: " << err;
    EXPECT_EQ(WEXITSTATUS(status), 0) << err;
    ++terms;
    // A clean stop gives back every claim it did not finish: no queued job
    // is held by an owner that was not there before this run.
    std::set<std::string> earlier;
    {
      std::istringstream in(before);
      std::string owner;
      while (std::getline(in, owner, ',')) {
        while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
        earlier.insert(owner);
      }
    }
    auto held = sql::Database::Open(db);
    ASSERT_TRUE(held);
    auto q = (*held)->Prepare("SELECT lease_owner, COUNT(*) FROM jobs WHERE status='queued' AND lease_owner!='' "
                              "GROUP BY lease_owner");
    ASSERT_TRUE(q);
    while (*q->Step()) {
      EXPECT_TRUE(earlier.count(q->ColumnText(0))) << q->ColumnInt(1) << " jobs still claimed by the stopped run "
                                                   << q->ColumnText(0) << "\n" << err;
    }
  }
  EXPECT_GE(terms, 5);
  EXPECT_GE(fulls, 1) << "the disk never filled";
  ASSERT_EQ(Enrol("run --until-idle"), 0);
  const int64_t cases = Sql(db, "SELECT COUNT(*) FROM cases");
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM cases WHERE status='completed'"), cases);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM incidents"), 0);
  auto sim_db = sql::Database::Open(dir_.File("simulated-systems.db"));
  ASSERT_TRUE(sim_db);
  auto q = (*sim_db)->Prepare("SELECT system, COUNT(*), COUNT(DISTINCT key) FROM effects GROUP BY system");
  ASSERT_TRUE(q);
  int systems = 0;
  while (*q->Step()) {
    ++systems;
    EXPECT_EQ(q->ColumnInt(1), cases) << q->ColumnText(0);
    EXPECT_EQ(q->ColumnInt(1), q->ColumnInt(2)) << q->ColumnText(0) << ": an effect twice";
  }
  EXPECT_EQ(systems, 4);
  std::cout << "[ crash    ] " << terms << " SIGTERM stops and " << fulls << " full disks: " << cases
            << " cases completed, each effect once, no claim left behind by a stop\n";
}

// Kills placed deterministically: the engine kills itself (a kill point in
// test builds) right after a connector call returned and before its outcome
// is committed, at the 1st, 2nd, ... call of each run. The letters are the
// real renderer here.
TEST_P(CrashTest, KilledBetweenEveryCallAndItsCommitEachEffectHappensOnce) {
  json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
  if (!GetParam()) cfg.as_object()["connectors"].as_object()["letters"] = "renderer";
  testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 300 --seed 11 --school-year 2027 --out x.json"), 0);
  ASSERT_EQ(Enrol("init"), 0);
  ASSERT_EQ(Enrol("import x.json"), 0);
  int n = 0;
  auto until_done = [&](const std::vector<std::string>& args) {
    for (int attempt = 0; attempt < 2000; ++attempt) {
      if (RunOrKill(args, 600000, "after_call:" + std::to_string(1 + (n++ % (GetParam() ? 10 : 40))))) return true;
    }
    return false;
  };
  ASSERT_TRUE(until_done({"intake", "--school-year", "2027"}));
  const std::string db = dir_.File("enrol.db");
  ASSERT_TRUE(ApproveAndRunToTheEnd(until_done));
  const int64_t cases = Sql(db, "SELECT COUNT(*) FROM cases");
  EXPECT_GT(cases, 100);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM cases WHERE status='completed'"), cases);
  EXPECT_GE(kills_, 30);
  if (server_pid_ > 0) {
    kill(server_pid_, SIGKILL);
    waitpid(server_pid_, nullptr, 0);
    server_pid_ = 0;
  }
  const std::string sims = dir_.File("simulated-systems.db");
  const int64_t systems = GetParam() ? 4 : 3;  // the renderer is not a simulated system
  EXPECT_EQ(Sql(sims, "SELECT COUNT(*) FROM effects"), systems * cases);
  EXPECT_EQ(Sql(sims, "SELECT COUNT(DISTINCT system || case_ref) FROM effects"), systems * cases);
  EXPECT_EQ(Sql(sims, "SELECT MIN(attempts) FROM calls"), 2);
  EXPECT_LE(Sql(sims, "SELECT SUM(attempts - 2) FROM calls"), kills_ * static_cast<int64_t>(GetParam() ? 1 : app::CaseEngine::kInProcessWindow));
  if (!GetParam()) {
    // One rendering per case, however often the renderer's job was re-run.
    EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM (SELECT case_id FROM letters GROUP BY case_id HAVING "
                      "COUNT(DISTINCT version) > 1)"), 0);
    EXPECT_EQ(Sql(db, "SELECT COUNT(DISTINCT case_id) FROM letters"), cases);
  }
  auto verify = testing::Run(Command("audit checkpoint"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  std::cout << "[ crash    ] kill points after a call: " << kills_ << " kills, " << cases
            << " cases completed, effects exactly once\n";
}

// The archive through the Noark 5 client, to `enrol simulate archive` in a
// process of its own (never killed): the engine is killed with the answer of
// its N-th archive request in hand, for N around a filing's length, again and
// again while filings run several at once. The archive must end with one
// saksmappe per pupil and one journalpost, document and file per letter.
// The parameter says which protocol: Noark 5 REST (false) or Fiks Arkiv over
// HTTP (true).
class ArchiveCrashTest : public CrashTest {
 protected:
  bool Fiks() const { return GetParam(); }
  std::string StartArchive() {
    return StartServer("simulate archive --listen 127.0.0.1:0 --db " + dir_.File("archive.db") +
                           " --drop-share 0.03 --seed 3",
                       "archive", &archive_pid_);
  }
  void TearDown() override {
    if (archive_pid_ > 0) {
      kill(archive_pid_, SIGKILL);
      waitpid(archive_pid_, nullptr, 0);
    }
    CrashTest::TearDown();
  }
  pid_t archive_pid_ = 0;
};

TEST_P(ArchiveCrashTest, KilledMidFilingManyTimesTheArchiveHoldsNoDuplicate) {
  const std::string url = StartArchive();
  ASSERT_FALSE(url.empty());
  json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
  json::object demo = json::parse(testing::ReadFile(testing::DemoConfig())).as_object();
  json::object archive = demo.at("connectors").at("archive").as_object();
  archive.erase("simulator_db");
  archive["url"] = url;
  if (Fiks()) {
    archive["protocol"] = "fiks-arkiv";
    archive.erase("arkivdel");
    archive["url"] = url.substr(0, url.find("/noark5v5/")) + "/fiks-arkiv/v1/arkivmelding";
  }
  archive["in_flight"] = 4;
  archive["timeout_ms"] = 400;
  cfg.as_object()["connectors"] = json::object{{"mode", "simulator"},
                                               {"simulator_db", dir_.File("simulated-systems.db")},
                                               {"letters", "renderer"},
                                               {"archive", std::move(archive)}};
  testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 90 --seed 13 --school-year 2027 --out x.json"), 0);
  ASSERT_EQ(Enrol("init"), 0);
  ASSERT_EQ(Enrol("import x.json"), 0);
  ASSERT_EQ(Enrol("intake --school-year 2027"), 0);
  const std::string db = dir_.File("enrol.db");
  int n = 0;
  auto until_done = [&](const std::vector<std::string>& args) {
    for (int attempt = 0; attempt < 2000; ++attempt) {
      // A Fiks Arkiv filing is one request, a Noark 5 one about twelve.
      if (RunOrKill(args, 600000, "archive_request:" + std::to_string(1 + (n++ % (Fiks() ? 6 : 60))))) return true;
    }
    return false;
  };
  ASSERT_TRUE(ApproveAndRunToTheEnd(until_done));
  const int64_t cases = Sql(db, "SELECT COUNT(*) FROM cases");
  EXPECT_GT(cases, 20);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM cases WHERE status='completed'"), cases);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM incidents"), 0);
  EXPECT_GE(kills_, Fiks() ? 10 : 30);
  if (Fiks()) {  // killed with the kvittering in hand: the next attempt was told "Eksisterende"
    EXPECT_GE(Sql(db, "SELECT COUNT(*) FROM jobs WHERE type='archive' AND result->>'journalpost_existed'"), 1);
  }
  kill(archive_pid_, SIGKILL);
  waitpid(archive_pid_, nullptr, 0);
  archive_pid_ = 0;
  const std::string a = dir_.File("archive.db");
  for (const char* kind : {"saksmappe", "journalpost", "dokumentbeskrivelse", "dokumentobjekt"}) {
    EXPECT_EQ(Sql(a, std::string("SELECT COUNT(*) FROM objects WHERE kind='") + kind + "'"), cases) << kind;
  }
  EXPECT_EQ(Sql(a, "SELECT COUNT(*) FROM files"), cases);
  EXPECT_EQ(Sql(a, "SELECT COUNT(DISTINCT ext_key) FROM objects WHERE kind='saksmappe'"), cases);
  EXPECT_EQ(Sql(a, "SELECT COUNT(DISTINCT ext_key) FROM objects WHERE kind='journalpost'"), cases);
  auto verify = testing::Run(Command("audit checkpoint"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  std::cout << "[ crash    ] killed mid-filing: " << kills_ << " kills, " << cases
            << " cases filed, one saksmappe, journalpost and file each\n";
}

// Digital post, the student system and the archive together, in the
// engine's process (each simulator in its own SQLite file, killed with the
// engine): killed at any request of any of them, and during the print batch
// of the undelivered letters, every case still completes with one effect per
// case in each system and each undelivered letter printed once.
class ConnectorsCrashTest : public CrashTest {};

TEST_P(ConnectorsCrashTest, KilledAtAnyRequestOfAnySystemNothingHappensTwice) {
  UseTheThreeSystems(0.2, 4);
  ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 120 --seed 17 --school-year 2027 --out x.json"), 0);
  ASSERT_EQ(Enrol("init"), 0);
  ASSERT_EQ(Enrol("import x.json"), 0);
  ASSERT_EQ(Enrol("intake --school-year 2027"), 0);
  const std::string db = dir_.File("enrol.db");
  const char* points[] = {"post_request", "student_system_request", "archive_request"};
  int n = 0;
  auto run = [&](const std::vector<std::string>& args) {
    const std::string point = std::string(points[n % 3]) + ":" + std::to_string(1 + (n / 3) % 12);
    ++n;
    return RunOrKill(args, 600000, point);
  };
  bool settled = false;
  for (int round = 0; round < 3000 && !settled; ++round) {
    if (Sql(db, "SELECT COUNT(*) FROM cases WHERE state='awaiting_approval'") > 0) {
      run({"case", "event", "--state", "awaiting_approval", "approve", "--as", "crash-test"});
      continue;
    }
    run({"run", "--until-idle", "--linger-ms", "200"});
    // The undelivered letters, school by school; a print batch may be
    // killed too (after its marks, before its file has its name).
    std::vector<std::string> list;
    {
      auto q = sql::Database::Open(db);
      ASSERT_TRUE(q);
      auto schools = (*q)->Prepare(
          "SELECT DISTINCT school FROM cases WHERE status='active' AND ' ' || state || ' ' LIKE '% printing %'");
      ASSERT_TRUE(schools);
      while (*schools->Step()) list.push_back(schools->ColumnText(0));
    }
    for (const auto& school : list) {
      RunOrKill({"letters", "print-batch", "--school", school, "--undelivered", "--as", "crash-test", "--out",
                 "print-" + school + "-" + std::to_string(round) + ".pdf"},
                std::uniform_int_distribution<int>(0, 3)(rng_) == 0 ? 30 : 600000);
    }
    settled = Sql(db, "SELECT COUNT(*) FROM cases WHERE status='active'") == 0;
  }
  ASSERT_TRUE(settled);
  const int64_t cases = Sql(db, "SELECT COUNT(*) FROM cases");
  EXPECT_GT(cases, 10);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM cases WHERE status='completed'"), cases);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM incidents"), 0);
  EXPECT_GE(kills_, 20);
  const std::string post = dir_.File("post.db"), sis = dir_.File("sis.db"), archive = dir_.File("archive.db");
  EXPECT_EQ(Sql(post, "SELECT COUNT(*) FROM forsendelser"), Sql(post, "SELECT COUNT(DISTINCT eksternref) FROM forsendelser"));
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM jobs WHERE type='dispatch' AND status='done'"), cases);
  EXPECT_EQ(Sql(sis, "SELECT COUNT(*) FROM objects WHERE collection='enrollments'"), cases);
  EXPECT_EQ(Sql(sis, "SELECT MAX(versions) FROM objects WHERE collection='enrollments'"), 1);
  EXPECT_EQ(Sql(archive, "SELECT COUNT(*) FROM objects WHERE kind='journalpost'"), cases);
  EXPECT_EQ(Sql(archive, "SELECT COUNT(*) FROM files"), cases);
  // Printed once: one mark per case that needed one.
  const int64_t printed = Sql(db, "SELECT COUNT(*) FROM case_events WHERE name='post.printed'");
  EXPECT_EQ(printed, Sql(db, "SELECT COUNT(DISTINCT case_id) FROM case_events WHERE name='post.printed'"));
  EXPECT_GT(printed, 0);
  auto verify = testing::Run(Command("audit checkpoint"));
  EXPECT_EQ(verify.exit_code, 0) << verify.out;
  std::cout << "[ crash    ] all three systems: " << kills_ << " kills, " << cases << " cases, " << printed
            << " printed by the batch; one effect per case in each system\n";
}

// The print batch of undelivered letters, killed at each of its points:
// after the batch is recorded (before its file), after its file is written
// (before the rename), and after each case's mark (in the unit of work that
// marks them all). Rerun each time, every waiting letter ends in exactly one
// file that took its name, its case marked printed once.
class PrintBatchCrashTest : public CrashTest {};

TEST_P(PrintBatchCrashTest, KilledAtEveryPointEachWaitingLetterIsPrintedOnce) {
  UseTheThreeSystems(0.6, 0);
  ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 60 --seed 23 --school-year 2027 --out x.json"), 0);
  ASSERT_EQ(Enrol("init"), 0);
  ASSERT_EQ(Enrol("import x.json"), 0);
  ASSERT_EQ(Enrol("intake --school-year 2027"), 0);
  ASSERT_EQ(Enrol("case event --state awaiting_approval approve --as crash-test"), 0);
  const std::string db = dir_.File("enrol.db");
  // Until every undeliverable letter waits for its print.
  for (int round = 0; round < 200; ++round) {
    ASSERT_EQ(Enrol("run --until-idle --linger-ms 200"), 0);
    if (Sql(db, "SELECT COUNT(*) FROM jobs WHERE status='queued'") == 0) break;
  }
  auto open = sql::Database::Open(db);
  ASSERT_TRUE(open);
  std::map<std::string, std::set<std::string>> waiting;  // school -> case keys
  {
    auto q = (*open)->Prepare("SELECT school, case_key FROM cases WHERE status='active' AND "
                              "' ' || state || ' ' LIKE '% printing %'");
    ASSERT_TRUE(q);
    while (*q->Step()) waiting[q->ColumnText(0)].insert(q->ColumnText(1));
  }
  ASSERT_FALSE(waiting.empty());
  size_t cases_waiting = 0;
  for (const auto& [school, keys] : waiting) cases_waiting += keys.size();
  int run = 0;
  for (const auto& [school, keys] : waiting) {
    std::vector<std::string> points = {"print_batch.recorded:1", "print_batch.written:1"};
    for (size_t i = 1; i <= keys.size(); ++i) points.push_back("print_batch.marked:" + std::to_string(i));
    points.push_back("");  // the run that finishes
    for (const std::string& point : points) {
      RunOrKill({"letters", "print-batch", "--school", school, "--undelivered", "--as", "crash-test", "--out",
                 "print-" + std::to_string(++run) + ".pdf"},
                600000, point);
    }
    // Nothing is left to print.
    EXPECT_FALSE(RunOrKill({"letters", "print-batch", "--school", school, "--undelivered", "--out", "none.pdf"}, 600000));
  }
  // Every letter line of every cover sheet, over the files that took their name.
  std::map<std::string, int> printed;  // "KEY copy N" -> times
  std::set<std::string> keys_printed;
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("print-", 0) != 0 || entry.path().extension() != ".pdf") continue;
    ++files;
    auto text = testing::Run("pdftotext -layout " + entry.path().string() + " -");
    ASSERT_EQ(text.exit_code, 0) << text.out;
    std::istringstream lines(text.out);
    std::string line;
    while (std::getline(lines, line)) {
      const size_t at = line.find("brev versjon");
      if (at == std::string::npos || line.find("kopi") == std::string::npos) continue;
      std::istringstream words(line);
      std::string key;
      words >> key;
      const std::string copy = line.substr(line.find("kopi"));
      ++printed[key + " " + copy];
      keys_printed.insert(key);
    }
  }
  for (const auto& [letter, times] : printed) EXPECT_EQ(times, 1) << letter << " is in " << times << " files";
  std::set<std::string> all_waiting;
  for (const auto& [school, keys] : waiting) all_waiting.insert(keys.begin(), keys.end());
  EXPECT_EQ(keys_printed, all_waiting);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM case_events WHERE name='post.printed'"), static_cast<int64_t>(cases_waiting));
  EXPECT_EQ(Sql(db, "SELECT COUNT(DISTINCT case_id) FROM case_events WHERE name='post.printed'"),
            static_cast<int64_t>(cases_waiting));
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM cases WHERE ' ' || state || ' ' LIKE '% printing %'"), 0);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM print_batches WHERE status='open'"), 0);
  EXPECT_EQ(files, static_cast<int>(Sql(db, "SELECT COUNT(*) FROM print_batches")));
  std::cout << "[ crash    ] print batch: " << kills_ << " kills, " << cases_waiting << " cases in "
            << waiting.size() << " school(s), " << printed.size() << " letters, each in one of " << files
            << " files\n";
}

// A batch recorded, its run stopped, and the families protected before the
// next run: the next run leaves those letters out of the file and marks
// none of them printed (the education office's now).
TEST_P(PrintBatchCrashTest, AFamilyProtectedBeforeAStoppedBatchIsFinishedIsLeftOutOfIt) {
  UseTheThreeSystems(1.0, 0);
  ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 40 --seed 29 --school-year 2027 --out x.json"), 0);
  ASSERT_EQ(Enrol("init"), 0);
  ASSERT_EQ(Enrol("import x.json"), 0);
  ASSERT_EQ(Enrol("intake --school-year 2027"), 0);
  ASSERT_EQ(Enrol("case event --state awaiting_approval approve --as crash-test"), 0);
  const std::string db = dir_.File("enrol.db");
  for (int round = 0; round < 200 && Sql(db, "SELECT COUNT(*) FROM jobs WHERE status='queued'") > 0; ++round) {
    ASSERT_EQ(Enrol("run --until-idle --linger-ms 200"), 0);
  }
  std::string school;
  {
    auto open = sql::Database::Open(db);
    ASSERT_TRUE(open);
    auto q = (*open)->Prepare("SELECT school FROM cases WHERE status='active' AND ' ' || state || ' ' LIKE "
                              "'% printing %' LIMIT 1");
    ASSERT_TRUE(q);
    ASSERT_TRUE(*q->Step()) << "no letter waits for its print";
    school = q->ColumnText(0);
  }
  RunOrKill({"letters", "print-batch", "--school", school, "--undelivered", "--as", "crash-test", "--out", "first.pdf"},
            600000, "print_batch.recorded:1");
  ASSERT_EQ(Sql(db, "SELECT COUNT(*) FROM print_batches WHERE status='open'"), 1);
  json::value extract = json::parse(testing::ReadFile(dir_.File("x.json")));
  testing::ProtectEveryone(extract);
  testing::WriteFile(dir_.File("y.json"), json::serialize(extract));
  ASSERT_EQ(Enrol("import y.json"), 0);
  RunOrKill({"letters", "print-batch", "--school", school, "--undelivered", "--as", "crash-test", "--out", "again.pdf"},
            600000);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM case_events WHERE name='post.printed'"), 0);
  EXPECT_EQ(Sql(db, "SELECT COUNT(*) FROM print_batches WHERE status='open'"), 0);
  const std::string text = testing::Run("cd " + dir_.path().string() + " && pdftotext first.pdf -").out;
  EXPECT_EQ(text.find("brev versjon"), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(Stops, StopCrashTest, ::testing::Values(false),
                         [](const auto&) { return std::string("InProcess"); });

INSTANTIATE_TEST_SUITE_P(PrintBatch, PrintBatchCrashTest, ::testing::Values(false),
                         [](const auto&) { return std::string("EveryPoint"); });

INSTANTIATE_TEST_SUITE_P(Connectors, ConnectorsCrashTest, ::testing::Values(false),
                         [](const auto&) { return std::string("AllThreeInProcess"); });

INSTANTIATE_TEST_SUITE_P(Archive, ArchiveCrashTest, ::testing::Values(false, true),
                         [](const auto& info) { return std::string(info.param ? "FiksArkivOverHttp" : "Noark5OverHttp"); });

INSTANTIATE_TEST_SUITE_P(Systems, CrashTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "OverHttpInAnotherProcess" : "InProcess"; });

}  // namespace
}  // namespace enrol
