#include "connectors/http/http_json_connector.h"

#include <atomic>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/simulators/systems_server.h"

namespace enrol::http {
namespace {

namespace json = boost::json;

// One server per test binary: serves until the process ends.
class Server {
 public:
  static Server& Get() {
    static Server s;
    return s;
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_.load()); }

 private:
  Server() {
    sim::SimulatorOptions o;
    o.fail_first_by_type["dispatch"] = 1;
    systems_ = std::move(*sim::SimulatedSystems::Open(o));
    std::thread([this] {
      (void)sim::ServeSystems(*systems_, "127.0.0.1", 0, [this](int port) { port_ = port; });
    }).detach();
    while (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  std::unique_ptr<sim::SimulatedSystems> systems_;
  std::atomic<int> port_{0};
};

app::JobRequest Request(const std::string& key) {
  app::JobRequest r;
  r.idempotency_key = key;
  r.params = json::object{{"case_ref", "2027/1/P1"}};
  r.timeout_ms = 5000;
  return r;
}

TEST(HttpJsonConnectorTest, ReceiptAndTheSameReceiptForTheSameKey) {
  HttpJsonConnector letters(Server::Get().url(), "letters");
  auto a = letters.Execute(Request("k1"));
  ASSERT_TRUE(a.ok) << a.error;
  EXPECT_EQ(a.receipt.at("system"), "letters");
  auto b = letters.Execute(Request("k1"));
  ASSERT_TRUE(b.ok);
  EXPECT_EQ(a.receipt, b.receipt);
  auto c = letters.Execute(Request("k2"));
  EXPECT_NE(a.receipt.at("serial"), c.receipt.at("serial"));
}

TEST(HttpJsonConnectorTest, ServerErrorIsRetryable) {
  HttpJsonConnector dispatch(Server::Get().url(), "dispatch");
  auto first = dispatch.Execute(Request("d1"));
  EXPECT_FALSE(first.ok);
  EXPECT_TRUE(first.retryable);
  EXPECT_NE(first.error.find("HTTP 503"), std::string::npos) << first.error;
  EXPECT_TRUE(dispatch.Execute(Request("d1")).ok);
}

TEST(HttpJsonConnectorTest, UnknownSystemIsNotRetryable) {
  HttpJsonConnector fax(Server::Get().url(), "fax");
  auto r = fax.Execute(Request("f1"));
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.retryable);
  EXPECT_NE(r.error.find("HTTP 404"), std::string::npos);
}

TEST(HttpJsonConnectorTest, SystemDownIsRetryableAndNamesTheUrl) {
  HttpJsonConnector down("http://127.0.0.1:1", "archive");
  auto r = down.Execute(Request("a1"));
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.retryable);
  EXPECT_NE(r.error.find("http://127.0.0.1:1/archive"), std::string::npos) << r.error;
  EXPECT_EQ(r.error.find("2027/1/P1"), std::string::npos);  // no request data in errors
}

TEST(SystemsServerTest, HandlerRejectsBadRequests) {
  auto systems = sim::SimulatedSystems::Open({});
  ASSERT_TRUE(systems);
  EXPECT_EQ(sim::HandleSystemsRequest(**systems, "GET", "/letters", "").status, 405);
  EXPECT_EQ(sim::HandleSystemsRequest(**systems, "POST", "/letters", "not json").status, 400);
  EXPECT_EQ(sim::HandleSystemsRequest(**systems, "POST", "/letters", "{}").status, 400);
  EXPECT_EQ(sim::HandleSystemsRequest(**systems, "POST", "/", "{\"idempotency_key\":\"x\"}").status, 404);
  EXPECT_EQ(sim::HandleSystemsRequest(**systems, "POST", "/archive", "{\"idempotency_key\":\"x\"}").status, 200);
}

}  // namespace
}  // namespace enrol::http
