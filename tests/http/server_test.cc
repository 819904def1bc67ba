// The web server's I/O over real sockets: answers and keep-alive, a body
// over the limit (413), a client that sends nothing (dropped after the read
// timeout), past the connection cap (503), and a stop that lets it return.
#include "engine/http/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace enrol::web {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void Start(ServerOptions o) {
    o.address = "127.0.0.1";
    o.port = 0;
    auto s = Server::Listen(o, [](const http::Request& r) {
      http::Response res;
      res.status = 200;
      res.headers["content-type"] = "text/plain";
      res.body = r.method + " " + r.target + " " + std::to_string(r.body.size());
      if (r.target == "/delayed") res.delay_ms = 3000;
      return res;
    });
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
    thread_ = std::thread([this] { server_->Run(stop_); });
  }
  void TearDown() override {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int Connect() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(server_->port()));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    timeval tv{10, 0};  // no test waits longer than this for an answer
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
  }
  // Sends `request` and reads until the server closes or `until` appears.
  static std::string Exchange(int fd, const std::string& request, const std::string& until = "") {
    if (!request.empty()) {
      EXPECT_EQ(::send(fd, request.data(), request.size(), MSG_NOSIGNAL), static_cast<ssize_t>(request.size()));
    }
    std::string got;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) break;
      got.append(buf, static_cast<size_t>(n));
      if (!until.empty() && got.find(until) != std::string::npos) break;
    }
    return got;
  }
  std::unique_ptr<Server> server_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

TEST_F(ServerTest, AnswersAndKeepsTheConnectionAlive) {
  Start({});
  const int fd = Connect();
  const std::string first = Exchange(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a 0");
  EXPECT_EQ(first.rfind("HTTP/1.1 200 OK", 0), 0u) << first;
  const std::string second = Exchange(fd, "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", "POST /b 3");
  EXPECT_NE(second.find("POST /b 3"), std::string::npos) << second;
  ::close(fd);
}

// A stop ends a connection that waits for its next request at once, not
// after the drain (a browser keeps one open): `serve` stops within a second.
TEST_F(ServerTest, AStopClosesIdleKeepAliveConnectionsWithoutWaitingOutTheDrain) {
  ServerOptions o;
  o.drain_ms = 60000;
  Start(o);
  const int fd = Connect();
  ASSERT_NE(Exchange(fd, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a 0").find("200 OK"), std::string::npos);
  const auto asked = std::chrono::steady_clock::now();
  stop_ = true;
  thread_.join();
  // Without the idle connection closed this waits out the 60 s drain; the
  // bound is far from both (it ends in about 50 ms).
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(20));
  EXPECT_EQ(Exchange(fd, ""), "");  // the server closed it
  ::close(fd);
}

TEST_F(ServerTest, ABodyOverTheLimitIs413AndTheConnectionCloses) {
  ServerOptions o;
  o.max_body = 1000;
  Start(o);
  const int fd = Connect();
  const std::string got = Exchange(fd, "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'x'));
  EXPECT_EQ(got.rfind("HTTP/1.1 413", 0), 0u) << got;
  EXPECT_NE(got.find("payload_too_large"), std::string::npos);
  ::close(fd);
}

TEST_F(ServerTest, NotHttpIs400) {
  Start({});
  const int fd = Connect();
  const std::string got = Exchange(fd, "HELLO THERE\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 400", 0), 0u) << got;
  ::close(fd);
}

TEST_F(ServerTest, AClientThatSendsNothingIsDroppedAfterTheReadTimeout) {
  ServerOptions o;
  o.read_timeout_ms = 200;
  Start(o);
  const int fd = Connect();
  const auto before = std::chrono::steady_clock::now();
  const std::string got = Exchange(fd, "GET /slow HTTP/1.1\r\nHost: x\r\n");  // the headers never end
  const auto waited = std::chrono::steady_clock::now() - before;
  EXPECT_EQ(got, "");                                  // closed without an answer
  EXPECT_LT(waited, std::chrono::seconds(9));         // by the server, not by the test's own bound
  ::close(fd);
}

TEST_F(ServerTest, PastTheConnectionCapANewConnectionGets503) {
  ServerOptions o;
  o.max_connections = 1;
  Start(o);
  const int held = Connect();
  EXPECT_NE(Exchange(held, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a 0").find("200 OK"), std::string::npos);
  const int extra = Connect();
  const std::string got = Exchange(extra, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(got.rfind("HTTP/1.1 503", 0), 0u) << got;
  EXPECT_NE(got.find("too many connections"), std::string::npos);
  ::close(extra);
  ::close(held);
}

TEST_F(ServerTest, ManyIdleConnectionsDoNotStarveTheOthers) {
  ServerOptions o;
  o.max_connections = 300;
  Start(o);
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) idle.push_back(Connect());  // connected, sending nothing
  const int fd = Connect();
  const std::string got = Exchange(fd, "GET /busy HTTP/1.1\r\nHost: x\r\n\r\n", "GET /busy 0");
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK", 0), 0u) << got;
  ::close(fd);
  for (int i : idle) ::close(i);
}

TEST_F(ServerTest, ADelayedAnswerDoesNotHoldUpTheOthers) {
  Start({});
  const int slow = Connect();
  const std::string req = "GET /delayed HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(::send(slow, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  const int fast = Connect();
  EXPECT_NE(Exchange(fast, "GET /now HTTP/1.1\r\nHost: x\r\n\r\n", "GET /now 0").find("200 OK"), std::string::npos);
  // The delayed answer is not there yet (it waits 3 s), and then it comes.
  char c;
  EXPECT_EQ(::recv(slow, &c, 1, MSG_DONTWAIT), -1);
  EXPECT_NE(Exchange(slow, "", "GET /delayed 0").find("200 OK"), std::string::npos);
  ::close(fast);
  ::close(slow);
}

TEST_F(ServerTest, UnderTlsItAnswersHttpsOnly) {
  testing::TempDir dir;
  const std::string cert = dir.File("cert.pem"), key = dir.File("key.pem");
  ASSERT_EQ(testing::Run("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 -keyout " + key +
                         " -out " + cert + " 2>&1").exit_code, 0);
  ServerOptions o;
  o.tls_certificate = cert;
  o.tls_key = key;
  Start(o);
  const std::string base = "127.0.0.1:" + std::to_string(server_->port()) + "/x";
  auto https = testing::Run("curl -s --max-time 10 --cacert " + cert + " https://" + base);
  EXPECT_EQ(https.out, "GET /x 0");
  auto plain = testing::Run("curl -s --max-time 10 http://" + base);
  EXPECT_NE(plain.out, "GET /x 0");  // plain HTTP gets no answer
}

TEST(ServerListenTest, ATlsKeyItCannotReadIsAnErrorThatNamesIt) {
  ServerOptions o;
  o.port = 0;
  o.tls_certificate = "/nonexistent/cert.pem";
  o.tls_key = "/nonexistent/key.pem";
  auto s = Server::Listen(o, [](const http::Request&) { return http::Response{}; });
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("/nonexistent/cert.pem"), std::string::npos) << s.error().message;
}

TEST_F(ServerTest, AStopEndsRunAndRefusesNewConnections) {
  ServerOptions o;
  o.drain_ms = 200;
  Start(o);
  const int port = server_->port();
  stop_ = true;
  thread_.join();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_NE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ::close(fd);
}

TEST(ServerListenTest, AnAddressItCannotUseIsAnErrorThatNamesIt) {
  ServerOptions o;
  o.address = "not-an-ip";
  auto s = Server::Listen(o, [](const http::Request&) { return http::Response{}; });
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("not-an-ip"), std::string::npos);
}

}  // namespace
}  // namespace enrol::web
