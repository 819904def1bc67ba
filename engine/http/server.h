#pragma once
// The web server's I/O (Boost.Beast on Asio, one thread): it accepts
// connections, reads each request with a deadline, hands it to the pure
// handler (router.h) and writes the answer; keep-alive; a request body over
// max_body is answered 413 and the connection closed; a request whose
// headers or body do not arrive within read_timeout_ms is dropped; past
// max_connections a new connection gets 503 and is closed. Run() returns
// after `stop` is set: the listener closes, each connection finishes the
// answer it is writing, and after drain_ms at most the rest are cut.
// Between requests, on the same thread, `tick` runs when due (the worker:
// timers and connector jobs) and says when it wants to run next.

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "engine/net/http_message.h"
#include "engine/core/result.h"

namespace enrol::web {

struct ServerOptions {
  std::string address = "127.0.0.1";
  int port = 8080;                   // 0: any free port
  size_t max_body = 1024 * 1024;     // bytes
  int64_t read_timeout_ms = 30000;   // headers and body of one request
  int64_t write_timeout_ms = 30000;
  int max_connections = 256;
  int64_t drain_ms = 5000;
  std::string tls_certificate;  // PEM chain and key: set, the server speaks only TLS
  std::string tls_key;
  // Uploads: a POST to a target for which this gives a limit above 0 has its
  // body streamed to a file in upload_dir (at most that many bytes, else
  // 413), with ten times the read timeout; the handler gets its path.
  std::function<size_t(const std::string& target)> upload_limit;
  size_t max_upload = 0;  // the largest limit upload_limit gives
  std::string upload_dir = "/tmp";
};

using Handler = std::function<http::Response(const http::Request&)>;
// Runs work due now; returns the ms until it wants to run again.
using Tick = std::function<int64_t()>;

class Server {
 public:
  // Binds and listens (an error names the address when it cannot).
  [[nodiscard]] static Result<std::unique_ptr<Server>> Listen(const ServerOptions& options, Handler handler);
  ~Server();
  [[nodiscard]] int port() const;
  // Serves until `stop` is set (checked every 50 ms).
  void Run(const std::atomic<bool>& stop, const Tick& tick = {});

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace enrol::web
