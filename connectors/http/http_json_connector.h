#pragma once
// A connector that does its work over HTTP: POST <base_url>/<type> with a
// JSON body {"idempotency_key", "params"}, the same bytes on every attempt,
// and the headers Idempotency-Key and X-Attempt. 2xx: the JSON body is the receipt. 429, 5xx, timeouts and
// connection failures are retryable; other 4xx are not. Error messages carry
// the status and URL, never the request's data.

#include <atomic>
#include <memory>
#include <string>

#include "engine/app/case_ports.h"

namespace enrol::http {

class HttpClient;

class HttpJsonConnector final : public app::Connector {
 public:
  // `base_url` such as "http://127.0.0.1:8080"; `type` is appended as path.
  HttpJsonConnector(std::string base_url, std::string type);
  ~HttpJsonConnector() override;
  HttpJsonConnector(const HttpJsonConnector&) = delete;
  HttpJsonConnector& operator=(const HttpJsonConnector&) = delete;

  app::JobOutcome Execute(const app::JobRequest& request) override;
  // When it becomes true, a call in flight is ended (a retryable failure).
  void SetStopFlag(const std::atomic<bool>* stop);

 private:
  std::string url_;
  std::unique_ptr<HttpClient> client_;  // kept, so its connection stays alive
};

}  // namespace enrol::http
