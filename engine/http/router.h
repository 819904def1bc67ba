#pragma once
// The web server's pure part: one request in, one response out (no sockets;
// engine/http/server.h does the I/O). Today it answers the operations
// endpoints of `enrol serve`:
//
//   GET /healthz   200 {"status": "ok"} when the database answers, else 503
//   GET /metrics   Prometheus text: cases by status and state, jobs by type
//                  and status, jobs in flight, open incidents, and the
//                  request count and latency per route and status
//
// With the API: /api/v1/... (api.h), /api/v1/openapi.yaml, and the web app
// at / and /ui/<file> (assets.h).
//
// Everything else is a JSON error ({"error": {"code", "message"}}) with the
// status HttpStatusFor gives; every answer carries a Content-Security-Policy
// without inline script, nosniff, no framing (a letter's PDF: by this site
// only) and, unless it is a static file, no caching.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "engine/net/http_message.h"
#include "engine/app/case_ports.h"
#include "engine/core/result.h"
#include "engine/http/api.h"

namespace enrol::web {

// The one mapping of the error vocabulary to HTTP statuses.
[[nodiscard]] int HttpStatusFor(ErrorCode code);
[[nodiscard]] http::Response JsonError(int status, const std::string& code, const std::string& message);

// Request counts and latency per (route, status), for /metrics.
class RequestMetrics {
 public:
  void Observe(const std::string& route, int status, double seconds);
  [[nodiscard]] std::string Prometheus() const;

 private:
  struct Series {
    int64_t count = 0;
    double sum = 0;
    std::vector<int64_t> buckets;  // cumulative per kBuckets
  };
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, Series> series_;
};

class Router {
 public:
  using Counts = std::function<Result<app::OperationalCounts>()>;
  // With `api`, also /api/v1 (api.h) and the web app's files (assets.h).
  explicit Router(Counts counts, Api* api = nullptr) : counts_(std::move(counts)), api_(api) {}

  // Answers `request` and records it in the metrics.
  http::Response Handle(const http::Request& request);

 private:
  http::Response Route(const http::Request& request, std::string& route);
  http::Response Metrics();
  Counts counts_;
  Api* api_;
  RequestMetrics metrics_;
};

}  // namespace enrol::web
