#include "connectors/http/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>

namespace enrol::http {
namespace {

struct CurlGlobal {
  CurlGlobal() { curl_global_init(CURL_GLOBAL_DEFAULT); }
  ~CurlGlobal() { curl_global_cleanup(); }
};

struct Transfer {
  Response* response;
  size_t limit;
  bool too_large = false;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  if (t->response->body.size() + size * n > t->limit) {
    t->too_large = true;
    return 0;  // ends the transfer
  }
  t->response->body.append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) t->response->headers.clear();  // a new response (after 100 Continue)
  const size_t colon = line.find(':');
  if (colon != std::string::npos && colon > 0) {
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(value.begin());
    while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) value.pop_back();
    t->response->headers[name] = value;
  }
  return size * n;
}

int OnProgress(void* stop, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* flag = static_cast<const std::atomic<bool>*>(stop);
  return flag && *flag ? 1 : 0;
}

}  // namespace

std::string Describe(const Request& r) { return r.method + " " + r.url.substr(0, r.url.find('?')); }

HttpClient::HttpClient(ClientOptions options) : options_(std::move(options)) {
  static CurlGlobal global;
  curl_ = curl_easy_init();
}

HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Result<Response> HttpClient::Send(const Request& r) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (!curl) return Unavailable("cannot start an HTTP client");
  Response response;
  Transfer transfer{&response, options_.max_response_bytes};
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : r.headers) headers = curl_slist_append(headers, (name + ": " + value).c_str());
  headers = curl_slist_append(headers, "Expect:");  // no 100-continue round trip
  curl_easy_reset(curl);  // keeps the connection cache
  curl_easy_setopt(curl, CURLOPT_URL, r.url.c_str());
  if (r.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, r.method.c_str());
    if (r.method != "DELETE" || !r.body.empty()) {
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    }
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &transfer);
  const int64_t timeout = r.timeout_ms > 0 ? std::min(r.timeout_ms, options_.timeout_ms) : options_.timeout_ms;
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min(timeout, options_.connect_timeout_ms)));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a 201's Location is data, not a redirect
  // libcurl sends a request again, unasked, when a reused connection closes
  // before any answer; for a POST that may have been applied (a create),
  // that would make it twice. A POST without an Idempotency-Key (which lets
  // the server drop a repeat) goes on a fresh connection, so it is sent
  // once; the caller decides about a retry.
  if ((r.method == "POST" || r.method == "PATCH") && r.Header("idempotency-key").empty()) {
    curl_easy_setopt(curl, CURLOPT_FRESH_CONNECT, 1L);
  }
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(stop_));
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (transfer.too_large) {
    return Unavailable(Describe(r) + ": the answer is larger than " +
                       std::to_string(options_.max_response_bytes / 1024) + " KiB");
  }
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Unavailable(Describe(r) + " stopped: the worker is stopping");
  if (rc != CURLE_OK) return Unavailable(Describe(r) + " failed: " + curl_easy_strerror(rc));
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

Result<Response> ClientPool::Send(const Request& request) {
  std::unique_ptr<HttpClient> client;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      client = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!client) {
    client = std::make_unique<HttpClient>(options_);
    client->SetStopFlag(stop_);
  }
  auto r = client->Send(request);
  std::lock_guard<std::mutex> lock(mu_);
  idle_.push_back(std::move(client));
  return r;
}

void ClientPool::SetStopFlag(const std::atomic<bool>* stop) {
  std::lock_guard<std::mutex> lock(mu_);
  stop_ = stop;
  for (auto& c : idle_) c->SetStopFlag(stop);
}

}  // namespace enrol::http
