#pragma once
// The HTTP client of the connectors (libcurl): one easy handle per client,
// reused so its connections are kept alive; a connect and a total timeout;
// a bounded response; TLS verification always on, against the system's CAs
// or a configured CA file. A response of any status is a response; no
// response (refused, reset, timed out, too large) is Unavailable, naming the
// method and URL without its query (which may hold a search value).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/net/http_message.h"

namespace enrol::http {

struct ClientOptions {
  int64_t connect_timeout_ms = 5000;
  int64_t timeout_ms = 30000;
  size_t max_response_bytes = 16 * 1024 * 1024;
  std::string ca_file;  // "" : the system's CA store
};

class HttpClient final : public Transport {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  [[nodiscard]] Result<Response> Send(const Request& request) override;
  // When it becomes true, a transfer in flight ends (Unavailable).
  void SetStopFlag(const std::atomic<bool>* stop) { stop_ = stop; }

 private:
  ClientOptions options_;
  const std::atomic<bool>* stop_ = nullptr;
  void* curl_;  // CURL*
};

// Many clients for calls from many threads at once: each Send takes an idle
// client (or makes one) and gives it back, so each keeps its connection.
class ClientPool final : public Transport {
 public:
  explicit ClientPool(ClientOptions options) : options_(std::move(options)) {}
  [[nodiscard]] Result<Response> Send(const Request& request) override;
  void SetStopFlag(const std::atomic<bool>* stop);

 private:
  ClientOptions options_;
  const std::atomic<bool>* stop_ = nullptr;
  std::mutex mu_;
  std::vector<std::unique_ptr<HttpClient>> idle_;
};

// "GET http://host/path" without the query, for messages.
std::string Describe(const Request& r);

}  // namespace enrol::http
