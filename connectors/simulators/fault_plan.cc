#include "connectors/simulators/fault_plan.h"

#include <boost/json.hpp>

namespace enrol::sim {

Status CheckFaults(const FaultOptions& o) {
  double sum = 0;
  for (double s : {o.error_share, o.throttle_share, o.drop_share, o.timeout_share, o.slow_share}) {
    if (!(s >= 0 && s <= 1)) return InvalidArgument("a fault share must be from 0 to 1");
    sum += s;
  }
  if (sum > 1.0 + 1e-9) return InvalidArgument("the fault shares add up to more than 1");
  if (o.slow_ms < 0 || o.slow_ms > 600000 || o.latency_ms < 0 || o.latency_ms > 600000) {
    return InvalidArgument("slow and latency must be from 0 to 600000 ms");
  }
  return {};
}

http::Response RefusedAnswer(Fault f) {
  http::Response r;
  r.headers["content-type"] = "application/vnd.noark5+json";
  if (f == Fault::kThrottle) {
    r.status = 429;
    r.headers["retry-after"] = "1";
    r.body = R"json({"feil":{"kode":429,"beskrivelse":"too many requests (injected)"}})json";
  } else {
    r.status = 503;
    r.body = R"json({"feil":{"kode":503,"beskrivelse":"unavailable (injected)"}})json";
  }
  return r;
}

Result<FaultOptions> ParseFaults(const boost::json::value& v, const std::string& where) {
  if (!v.is_object()) return InvalidArgument(where + " must be an object");
  FaultOptions o;
  for (const auto& kv : v.get_object()) {
    const std::string key(kv.key());
    const boost::json::value& x = kv.value();
    const bool number = x.is_number();
    const double d = number ? x.to_number<double>() : 0;
    double* share = key == "error" ? &o.error_share : key == "throttle" ? &o.throttle_share
                  : key == "drop" ? &o.drop_share : key == "timeout" ? &o.timeout_share
                  : key == "slow" ? &o.slow_share : nullptr;
    if (!number) return InvalidArgument(where + "." + key + " must be a number");
    if (!share && !(d >= 0 && d <= 1e15)) return InvalidArgument(where + "." + key + " must be from 0 to 10^15");
    if (share) {
      *share = d;
    } else if (key == "slow_ms") {
      o.slow_ms = static_cast<int64_t>(d);
    } else if (key == "latency_ms") {
      o.latency_ms = static_cast<int64_t>(d);
    } else if (key == "seed") {
      o.seed = static_cast<uint64_t>(d);
    } else if (key == "error_first") {
      o.error_first = static_cast<uint64_t>(d);
    } else {
      return InvalidArgument(where + "." + key + " is not a fault (error, throttle, drop, timeout, slow, slow_ms, "
                                                 "latency_ms, seed, error_first)");
    }
  }
  auto st = CheckFaults(o);
  if (!st) return tl::unexpected(st.error().WithContext(where));
  return o;
}

Fault FaultPlan::Next() {
  uint64_t n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    n = count_++;
  }
  return At(n);
}

Fault FaultPlan::At(uint64_t n) const {
  if (n < o_.error_first) return Fault::kError;
  // splitmix64 of the seed and the request number: uniform in [0, 1).
  uint64_t z = o_.seed * 0x9E3779B97F4A7C15ULL + n + 1;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  const double x = static_cast<double>(z >> 11) / 9007199254740992.0;
  double edge = 0;
  for (auto [share, fault] : {std::pair{o_.error_share, Fault::kError}, std::pair{o_.throttle_share, Fault::kThrottle},
                              std::pair{o_.drop_share, Fault::kDrop}, std::pair{o_.timeout_share, Fault::kTimeout},
                              std::pair{o_.slow_share, Fault::kSlow}}) {
    edge += share;
    if (x < edge) return fault;
  }
  return Fault::kNone;
}

}  // namespace enrol::sim
