#include "connectors/http/http_json_connector.h"

#include <boost/json.hpp>

#include "connectors/http/http_client.h"

namespace enrol::http {
namespace json = boost::json;

HttpJsonConnector::HttpJsonConnector(std::string base_url, std::string type)
    : url_(std::move(base_url) + "/" + std::move(type)), client_(std::make_unique<HttpClient>()) {}

HttpJsonConnector::~HttpJsonConnector() = default;

void HttpJsonConnector::SetStopFlag(const std::atomic<bool>* stop) { client_->SetStopFlag(stop); }

app::JobOutcome HttpJsonConnector::Execute(const app::JobRequest& r) {
  // The body is the same bytes on every attempt; the attempt number goes in
  // a header.
  Request req;
  req.method = "POST";
  req.url = url_;
  req.body = json::serialize(json::object{{"idempotency_key", r.idempotency_key}, {"params", r.params}});
  req.headers["content-type"] = "application/json";
  req.headers["accept"] = "application/json";
  req.headers["idempotency-key"] = r.idempotency_key;
  req.headers["x-attempt"] = std::to_string(r.attempt);
  req.timeout_ms = r.timeout_ms;
  auto res = client_->Send(req);
  if (!res) return {false, nullptr, res.error().message, true};
  if (res->status >= 200 && res->status < 300) {
    boost::system::error_code ec;
    json::value receipt = json::parse(res->body, ec);
    if (ec) return {false, nullptr, "POST " + url_ + ": the receipt is not JSON", true};
    return {true, std::move(receipt), "", true};
  }
  const bool retryable = res->status == 429 || res->status >= 500;
  return {false, nullptr, "POST " + url_ + ": HTTP " + std::to_string(res->status), retryable};
}

}  // namespace enrol::http
