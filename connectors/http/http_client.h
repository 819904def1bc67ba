#pragma once
// The HTTP client of the connectors (libcurl): one easy handle per client,
// reused so its connections are kept alive; a connect and a total timeout;
// a bounded response; TLS verification always on, against the system's CAs
// or a configured CA file. A response of any status is a response; no
// response (refused, reset, timed out, too large) is Unavailable, naming the
// method and URL without its query (which may hold a search value).

#include <atomic>
#include <cstdint>
#include <string>

#include "connectors/http/http_message.h"

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

// "GET http://host/path" without the query, for messages.
std::string Describe(const Request& r);

}  // namespace enrol::http
