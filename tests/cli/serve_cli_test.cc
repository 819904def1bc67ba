// enrol serve as an operator runs it: the server and the worker in one
// process; health and metrics over HTTP; the worker does the due work; a
// SIGTERM stops both.
#include <chrono>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/support/demo_config.h"

namespace enrol {
namespace {

TEST(ServeCliTest, ServesHealthAndMetricsRunsTheWorkerAndStopsOnSigterm) {
  testing::TempDir dir;
  testing::WriteDemoConfig(dir, [&](boost::json::object& o) {
    o["connectors"].as_object()["simulator_db"] = dir.File("sims.db");
    o["connectors"].as_object()["archive"].as_object()["simulator_db"] = dir.File("archive.db");
  });
  auto enrol = [&](const std::string& args) { return testing::EnrolIn(dir, args); };
  ASSERT_EQ(enrol("gen-extract --municipality 5099 --children 200 --seed 5 --school-year 2027 --out x.json").exit_code, 0);
  ASSERT_EQ(enrol("init").exit_code, 0);
  ASSERT_EQ(enrol("import x.json").exit_code, 0);
  ASSERT_EQ(enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const std::string d = dir.path().string();
  auto started = testing::Run("cd " + d + " && (ENROL_CONFIG=" + dir.File("config.json") + " " + testing::EnrolBinary() +
                              " serve --listen 127.0.0.1:0 --poll-ms 50 > serve.out 2>&1 & echo $! > serve.pid);"
                              " for i in $(seq 1 100); do grep -q listening serve.out && break; sleep 0.05; done; cat serve.out");
  const size_t at = started.out.find("http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << started.out;
  const std::string url = started.out.substr(at, started.out.find(' ', at) - at);
  auto health = testing::Run("curl -s -i " + url + "/healthz");
  EXPECT_NE(health.out.find("HTTP/1.1 200"), std::string::npos) << health.out;
  // Approvals made beside the server are carried out by its worker.
  ASSERT_EQ(enrol("case event --school S01 --state awaiting_approval approve --as sekretaer").exit_code, 0);
  std::string metrics;
  for (int i = 0; i < 100; ++i) {
    metrics = testing::Run("curl -s " + url + "/metrics").out;
    if (metrics.find("enrol_cases{status=\"completed\"") != std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(metrics.find("enrol_cases{status=\"completed\",state=\"\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("enrol_jobs{type=\"archive\",status=\"done\"}"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("enrol_http_request_duration_seconds_count{route=\"/healthz\",status=\"200\"} 1"),
            std::string::npos);
  auto stopped = testing::Run("cd " + d + " && kill -TERM $(cat serve.pid); for i in $(seq 1 200); do "
                              "kill -0 $(cat serve.pid) 2>/dev/null || break; sleep 0.05; done; cat serve.out");
  EXPECT_NE(stopped.out.find("enrol serve: stopped"), std::string::npos) << stopped.out;
  EXPECT_EQ(testing::Run("cd " + d + " && kill -0 $(cat serve.pid) 2>/dev/null").exit_code, 1);  // it is gone
}

}  // namespace
}  // namespace enrol
