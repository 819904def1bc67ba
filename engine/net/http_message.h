#pragma once
// An HTTP request and response as plain data, for the pure parts of the
// connectors and simulators (routers, protocol clients), so that they are
// tested without sockets and keep libcurl and Beast out of their headers.

#include <cstdint>
#include <map>
#include <string>

#include "engine/core/result.h"

namespace enrol::http {

// Header names are kept lower-case (HTTP header names are case-insensitive).
using Headers = std::map<std::string, std::string>;

struct Request {
  std::string method = "GET";
  std::string url;      // a client's: absolute ("http://host:port/path?query")
  std::string target;   // a server's: path and query as received
  Headers headers;
  std::string body;
  int64_t timeout_ms = 0;  // a client's bound for this request (0: its default)
  // A server's upload: the body was streamed to this file instead of `body`
  // (it is removed after the answer).
  std::string body_file;

  [[nodiscard]] std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct Response {
  int status = 0;
  Headers headers;
  std::string body;
  // A server's: wait this long before sending it, without holding up other
  // connections (slows down password guessing).
  int64_t delay_ms = 0;

  [[nodiscard]] std::string Header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// How one request travels: libcurl (HttpClient) in production, a simulator
// in tests.
class Transport {
 public:
  virtual ~Transport() = default;
  // A response of any status; an error only when none came (Unavailable).
  [[nodiscard]] virtual Result<Response> Send(const Request& request) = 0;
};

// How long a 429/503 answer asks the client to wait (Retry-After), in ms: its
// seconds, a minute for an HTTP date (not trusted to this clock), 0 without.
[[nodiscard]] int64_t RetryAfterMs(const Response& response);

// Percent-encodes a query value (RFC 3986 unreserved characters stay).
std::string UrlEncode(const std::string& s);
// Decodes %XX and '+' in a query value; malformed escapes stay as they are.
std::string UrlDecode(const std::string& s);

}  // namespace enrol::http
