#include "engine/http/router.h"

#include <array>
#include <cstdio>
#include <sstream>

#include <boost/json.hpp>

#include "engine/http/assets.h"

namespace enrol::web {
namespace json = boost::json;

namespace {

constexpr std::array<double, 8> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5};

http::Response Secured(http::Response r) {
  const bool pdf = r.Header("content-type") == "application/pdf";
  r.headers["x-content-type-options"] = "nosniff";
  r.headers["x-frame-options"] = pdf ? "SAMEORIGIN" : "DENY";
  r.headers["content-security-policy"] =
      std::string("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  "object-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors ") +
      (pdf ? "'self'" : "'none'");
  if (!r.headers.count("cache-control")) r.headers["cache-control"] = "no-store";
  r.headers["referrer-policy"] = "no-referrer";
  return r;
}

// A Prometheus label value: backslash, quote and newline escaped.
std::string Label(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string Number(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", d);
  return buf;
}

}  // namespace

int HttpStatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kAlreadyExists: return 409;
    case ErrorCode::kFailedPrecondition: return 409;
    case ErrorCode::kAborted: return 503;  // busy: the same request may be sent again
    case ErrorCode::kUnavailable: return 503;
    case ErrorCode::kDeadlineExceeded: return 504;
    case ErrorCode::kPermissionDenied: return 403;
    case ErrorCode::kInternal: return 500;
  }
  return 500;
}

http::Response JsonError(int status, const std::string& code, const std::string& message) {
  http::Response r;
  r.status = status;
  r.headers["content-type"] = "application/json";
  r.body = json::serialize(json::object{{"error", json::object{{"code", code}, {"message", message}}}});
  return Secured(std::move(r));
}

void RequestMetrics::Observe(const std::string& route, int status, double seconds) {
  std::lock_guard<std::mutex> lock(mu_);
  Series& s = series_[{route, status}];
  if (s.buckets.empty()) s.buckets.assign(kBuckets.size(), 0);
  ++s.count;
  s.sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  }
}

std::string RequestMetrics::Prometheus() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::ostringstream o;
  o << "# HELP enrol_http_request_duration_seconds Time to answer an HTTP request, by route and status.\n"
    << "# TYPE enrol_http_request_duration_seconds histogram\n";
  for (const auto& [key, s] : series_) {
    const std::string labels = "route=\"" + Label(key.first) + "\",status=\"" + std::to_string(key.second) + "\"";
    for (size_t i = 0; i < kBuckets.size(); ++i) {
      o << "enrol_http_request_duration_seconds_bucket{" << labels << ",le=\"" << Number(kBuckets[i]) << "\"} "
        << s.buckets[i] << "\n";
    }
    o << "enrol_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << s.count << "\n";
    o << "enrol_http_request_duration_seconds_sum{" << labels << "} " << Number(s.sum) << "\n";
    o << "enrol_http_request_duration_seconds_count{" << labels << "} " << s.count << "\n";
  }
  return o.str();
}

http::Response Router::Handle(const http::Request& r) {
  const auto started = std::chrono::steady_clock::now();
  std::string route = "other";
  http::Response res = Route(r, route);
  metrics_.Observe(route, res.status,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return res;
}

http::Response Router::Route(const http::Request& r, std::string& route) {
  const std::string path = r.target.substr(0, r.target.find('?'));
  auto only_get = [&]() -> std::optional<http::Response> {
    if (r.method == "GET") return std::nullopt;
    http::Response e = JsonError(405, "method_not_allowed", "use GET for " + path);
    e.headers["allow"] = "GET";
    return e;
  };
  if (path == "/healthz") {
    route = "/healthz";
    if (auto e = only_get()) return *e;
    auto counts = counts_();
    if (!counts) return JsonError(503, "unavailable", "the database does not answer");
    http::Response ok;
    ok.status = 200;
    ok.headers["content-type"] = "application/json";
    ok.body = R"({"status":"ok"})";
    return Secured(std::move(ok));
  }
  if (path == "/metrics") {
    route = "/metrics";
    if (auto e = only_get()) return *e;
    return Metrics();
  }
  if (api_) {
    if (auto file = StaticFile(path)) {
      route = path == "/api/v1/openapi.yaml" ? path : "/ui";
      if (r.method != "GET" && r.method != "HEAD") return JsonError(405, "method_not_allowed", "use GET for " + path);
      return Secured(std::move(*file));
    }
    if (path.rfind("/api/", 0) == 0) return Secured(api_->Handle(r, route));
  }
  return JsonError(404, "not_found", "no such resource");
}

http::Response Router::Metrics() {
  auto counts = counts_();
  if (!counts) return JsonError(503, "unavailable", "the database does not answer");
  std::ostringstream o;
  o << "# HELP enrol_cases Cases by status and (for active cases) state.\n# TYPE enrol_cases gauge\n";
  for (const auto& [k, n] : counts->cases) {
    o << "enrol_cases{status=\"" << Label(k.first) << "\",state=\"" << Label(k.second) << "\"} " << n << "\n";
  }
  o << "# HELP enrol_jobs Connector jobs by type and status.\n# TYPE enrol_jobs gauge\n";
  for (const auto& [k, n] : counts->jobs) {
    o << "enrol_jobs{type=\"" << Label(k.first) << "\",status=\"" << Label(k.second) << "\"} " << n << "\n";
  }
  o << "# HELP enrol_jobs_in_flight Jobs a worker holds a lease on now.\n# TYPE enrol_jobs_in_flight gauge\n"
    << "enrol_jobs_in_flight " << counts->jobs_leased << "\n";
  o << "# HELP enrol_incidents_open Incidents waiting for the education office.\n# TYPE enrol_incidents_open gauge\n"
    << "enrol_incidents_open " << counts->incidents_open << "\n";
  o << metrics_.Prometheus();
  http::Response r;
  r.status = 200;
  r.headers["content-type"] = "text/plain; version=0.0.4; charset=utf-8";
  r.body = o.str();
  return Secured(std::move(r));
}

}  // namespace enrol::web
