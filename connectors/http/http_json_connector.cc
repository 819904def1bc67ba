#include "connectors/http/http_json_connector.h"

#include <curl/curl.h>

#include <boost/json.hpp>

namespace enrol::http {
namespace json = boost::json;
namespace {

size_t Collect(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

// Ends a transfer early when the worker is asked to stop.
int Progress(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* flag = static_cast<const std::atomic<bool>*>(stop);
  return flag && *flag ? 1 : 0;
}

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

}  // namespace

HttpJsonConnector::HttpJsonConnector(std::string base_url, std::string type)
    : url_(std::move(base_url) + "/" + std::move(type)) {
  static CurlGlobal global;
  curl_ = curl_easy_init();
}

HttpJsonConnector::~HttpJsonConnector() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

app::JobOutcome HttpJsonConnector::Execute(const app::JobRequest& r) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (!curl) return {false, nullptr, "cannot start an HTTP client", true};
  // The body is the same bytes on every attempt; the attempt number goes in
  // a header.
  const std::string body = json::serialize(json::object{{"idempotency_key", r.idempotency_key}, {"params", r.params}});
  std::string response;
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, "Content-Type: application/json");
  headers = curl_slist_append(headers, "Accept: application/json");
  headers = curl_slist_append(headers, ("Idempotency-Key: " + r.idempotency_key).c_str());
  headers = curl_slist_append(headers, ("X-Attempt: " + std::to_string(r.attempt)).c_str());
  curl_easy_reset(curl);
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(r.timeout_ms));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(r.timeout_ms, 5000)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, Progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(stop_));
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (rc == CURLE_ABORTED_BY_CALLBACK) return {false, nullptr, "POST " + url_ + " stopped: the worker is stopping", true};
  if (rc != CURLE_OK) {
    return {false, nullptr, "POST " + url_ + " failed: " + curl_easy_strerror(rc), true};
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  if (status >= 200 && status < 300) {
    boost::system::error_code ec;
    json::value receipt = json::parse(response, ec);
    if (ec) return {false, nullptr, "POST " + url_ + ": the receipt is not JSON", true};
    return {true, std::move(receipt), "", true};
  }
  const bool retryable = status == 429 || status >= 500;
  return {false, nullptr, "POST " + url_ + ": HTTP " + std::to_string(status), retryable};
}

}  // namespace enrol::http
