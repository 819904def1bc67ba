#pragma once
// Faults a simulator injects, by share of requests, from a seeded generator
// (the same seed and the same requests in the same order give the same
// faults, so a fault test is repeatable):
//   error     503 without applying the request
//   throttle  429 with Retry-After, without applying it
//   drop      applied, then the connection is dropped before the answer
//             (the nasty case: the client cannot know it was applied)
//   timeout   not applied and not answered until the client gives up
//   slow      answered after slow_ms
// and latency_ms added to every answer; error_first: the first that many
// requests are errors (a test's one failure at a known place).

#include <cstdint>
#include <mutex>
#include <random>
#include <string>

#include <boost/json/value.hpp>

#include "engine/net/http_message.h"
#include "engine/core/result.h"

namespace enrol::sim {

struct FaultOptions {
  double error_share = 0;
  double throttle_share = 0;
  double drop_share = 0;
  double timeout_share = 0;
  double slow_share = 0;
  int64_t slow_ms = 2000;
  int64_t latency_ms = 0;
  uint64_t seed = 1;
  uint64_t error_first = 0;

  [[nodiscard]] bool Any() const {
    return error_first > 0 || error_share > 0 || throttle_share > 0 || drop_share > 0 || timeout_share > 0 || slow_share > 0 ||
           latency_ms > 0;
  }
};

enum class Fault { kNone, kError, kThrottle, kDrop, kTimeout, kSlow };

// The shares must each be in [0, 1] and add up to at most 1.
[[nodiscard]] Status CheckFaults(const FaultOptions& o);
// From {"error": 0.1, "throttle", "drop", "timeout", "slow", "slow_ms",
// "latency_ms", "seed", "error_first"}; `where` names the setting for messages.
[[nodiscard]] Result<FaultOptions> ParseFaults(const boost::json::value& v, const std::string& where);

// The answer of a refused request (kError: 503, kThrottle: 429 with
// Retry-After: 1), in the Noark 5 error shape.
http::Response RefusedAnswer(Fault f);

class FaultPlan {
 public:
  explicit FaultPlan(FaultOptions o) : o_(o) {}
  // The fault of request number n: a function of the seed and n only, so a
  // simulator that numbers its requests durably goes on with the same plan
  // in the next process instead of repeating its start.
  [[nodiscard]] Fault At(uint64_t n) const;
  // The fault for the next request of this plan's own count (thread-safe).
  Fault Next();
  [[nodiscard]] const FaultOptions& options() const { return o_; }

 private:
  FaultOptions o_;
  std::mutex mu_;
  uint64_t count_ = 0;
};

}  // namespace enrol::sim
