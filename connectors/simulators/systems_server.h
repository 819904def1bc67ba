#pragma once
// An HTTP server that plays the external systems from a process of its own:
// POST /<type> with {"idempotency_key", "attempt", "params"} is handled by
// SimulatedSystems and answered with the receipt (200), or 503 when the
// simulator fails the call. For tests and demos (e.g. the crash test, where
// the engine is killed and the systems are not).

#include <atomic>
#include <functional>
#include <string>

#include "engine/net/http_message.h"
#include "connectors/simulators/fault_plan.h"
#include "connectors/simulators/simulated_systems.h"
#include "engine/core/result.h"

namespace enrol::sim {

struct HttpReply {
  int status = 200;
  std::string body;
};

// The pure part: one request to one reply (no sockets).
// `attempt` comes from the X-Attempt header (0: none).
HttpReply HandleSystemsRequest(SimulatedSystems& systems, const std::string& method,
                               const std::string& target, const std::string& body, int attempt = 0);

// Serves `handler` on `address`:`port` (0: any free port) until the
// process ends, a thread per connection, keep-alive, bodies up to 64 MB;
// header names reach the handler lower-case. `on_listening` gets the port
// once accepting.
using Handler = std::function<http::Response(const http::Request&)>;
// What a server saw: requests answered, and requests in flight (now, at
// most, and summed over time so that busy_us / elapsed is the mean).
struct ServerStats {
  std::atomic<int64_t> requests{0};
  std::atomic<int64_t> in_flight{0};
  std::atomic<int64_t> max_in_flight{0};
  std::atomic<int64_t> busy_us{0};
};
// With `faults`, each request may be refused, dropped after it was handled,
// held unanswered (120 s, past any client's timeout), or answered late.
[[nodiscard]] Status ServeHttp(const Handler& handler, const std::string& address, int port,
                               const std::function<void(int)>& on_listening, FaultPlan* faults = nullptr,
                               ServerStats* stats = nullptr);

// ServeHttp with HandleSystemsRequest.
[[nodiscard]] Status ServeSystems(SimulatedSystems& systems, const std::string& address, int port,
                                  const std::function<void(int)>& on_listening);

}  // namespace enrol::sim
