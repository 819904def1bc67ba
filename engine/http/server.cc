#include "engine/http/server.h"

#include <sys/stat.h>

#include <functional>

#include <map>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <chrono>
#include <optional>

namespace enrol::web {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

struct Server::Impl {
  ServerOptions options;
  Handler handler;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::optional<net::ssl::context> tls;  // set: every connection is TLS
  int active = 0;
  bool stopping = false;
  // The connections waiting for their next request (keep-alive), by id: at
  // a stop they are closed at once instead of waiting out the drain.
  std::map<uint64_t, std::function<void()>> idle;
  uint64_t next_id = 0;
  void CloseIdle() {
    auto closers = std::move(idle);
    idle.clear();
    for (auto& [id, close] : closers) close();
  }
};

namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One connection. Stream is beast::tcp_stream, or beast::ssl_stream over
// one under TLS (the handshake first, under the read deadline).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... Args>
  Session(Server::Impl& server, Args&&... args)
      : stream_(std::forward<Args>(args)...), server_(server), id_(++server.next_id) {
    ++server_.active;
  }
  ~Session() {
    server_.idle.erase(id_);
    RemoveUpload();
    --server_.active;
  }

  void Start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
      stream_.async_handshake(net::ssl::stream_base::server, [self = this->shared_from_this()](beast::error_code ec) {
        if (ec) return self->Close();
        self->Read();
      });
    }
  }

  // Past the connection cap: a 503 and the connection closed.
  void Refuse() {
    http::Response r;
    r.status = 503;
    r.headers["content-type"] = "application/json";
    r.headers["retry-after"] = "1";
    r.body = R"({"error":{"code":"unavailable","message":"too many connections; try again"}})";
    Write(std::move(r), false);
  }

 private:
  void Read() {
    parser_.emplace();
    file_parser_.reset();
    // Up to the largest upload while the headers come (a Content-Length above
    // the limit fails as they are read); the route's own limit once they are in.
    parser_->body_limit(server_.options.upload_limit ? std::max(server_.options.max_body, server_.options.max_upload)
                                                     : server_.options.max_body);
    parser_->header_limit(16 * 1024);
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms));
    if (buffer_.size() == 0) {
      // Nothing of the next request yet: a stop may close this one now.
      std::weak_ptr<Session> weak = this->shared_from_this();
      server_.idle[id_] = [weak] {
        if (auto self = weak.lock()) self->Close();
      };
    }
    bhttp::async_read_header(stream_, buffer_, *parser_,
                             beast::bind_front_handler(&Session::OnHeader, this->shared_from_this()));
  }

  // The headers are in: an upload goes on into a file, the rest into memory.
  void OnHeader(beast::error_code ec, std::size_t n) {
    server_.idle.erase(id_);
    if (ec) return OnRead(ec, n);
    const auto& h = parser_->get();
    const size_t limit = server_.options.upload_limit && h.method() == bhttp::verb::post
                             ? server_.options.upload_limit(std::string(h.target()))
                             : 0;
    if (limit == 0) {
      if (parser_->content_length() && *parser_->content_length() > server_.options.max_body) {
        return OnRead(bhttp::error::body_limit, 0);
      }
      parser_->body_limit(server_.options.max_body);
      return bhttp::async_read(stream_, buffer_, *parser_,
                               beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
    }
    if (parser_->content_length() && *parser_->content_length() > limit) return OnRead(bhttp::error::body_limit, 0);
    file_parser_.emplace(std::move(*parser_));
    file_parser_->body_limit(limit);
    static std::atomic<uint64_t> uploads{0};
    upload_file_ = server_.options.upload_dir + "/enrol-upload-" + std::to_string(::getpid()) + "-" +
                   std::to_string(++uploads) + ".part";
    beast::error_code fec;
    file_parser_->get().body().open(upload_file_.c_str(), beast::file_mode::write_new, fec);
    // The extract holds every national id number of the municipality: the
    // owner's alone, in a folder that is the owner's alone.
    if (!fec) ::chmod(upload_file_.c_str(), 0600);
    if (fec) {
      http::Response r;
      r.status = 503;
      r.headers["content-type"] = "application/json";
      r.body = R"({"error":{"code":"unavailable","message":"the server cannot store the upload now"}})";
      return Write(std::move(r), false);
    }
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(server_.options.read_timeout_ms * 10));
    bhttp::async_read(stream_, buffer_, *file_parser_,
                      beast::bind_front_handler(&Session::OnRead, this->shared_from_this()));
  }

  void RemoveUpload() {
    if (upload_file_.empty()) return;
    if (file_parser_) {
      beast::error_code ec;
      file_parser_->get().body().close();
    }
    std::remove(upload_file_.c_str());
    upload_file_.clear();
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec) RemoveUpload();
    if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout || ec == net::error::operation_aborted ||
        ec == net::ssl::error::stream_truncated) {
      return Close();
    }
    if (ec == bhttp::error::body_limit) {
      http::Response r;
      r.status = 413;
      r.headers["content-type"] = "application/json";
      r.body = R"({"error":{"code":"payload_too_large","message":"the request body is larger than this server takes"}})";
      return Write(std::move(r), false);
    }
    if (ec) {
      if (ec.category() != beast::error_code(bhttp::error::bad_target).category()) return Close();  // the connection failed
      http::Response r;
      r.status = 400;
      r.headers["content-type"] = "application/json";
      r.body = R"({"error":{"code":"bad_request","message":"the request is not valid HTTP/1.1"}})";
      return Write(std::move(r), false);
    }
    http::Request req;
    bool keep = false;
    auto fill = [&](const auto& msg) {
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      for (const auto& f : msg) req.headers[Lower(f.name_string())] = std::string(f.value());
      keep = msg.keep_alive() && !server_.stopping;
    };
    if (file_parser_) {
      fill(file_parser_->get());
      file_parser_->get().body().close();
      req.body_file = upload_file_;
    } else {
      fill(parser_->get());
      req.body = std::move(parser_->get().body());
    }
    http::Response res = server_.handler(req);
    RemoveUpload();
    if (res.delay_ms > 0) {
      // Wait without holding up the other connections.
      auto timer = std::make_shared<net::steady_timer>(stream_.get_executor());
      timer->expires_after(std::chrono::milliseconds(std::min<int64_t>(res.delay_ms, 10000)));
      timer->async_wait([self = this->shared_from_this(), timer, res = std::move(res), keep](beast::error_code) mutable {
        self->Write(std::move(res), keep);
      });
      return;
    }
    Write(std::move(res), keep);
  }

  void Write(http::Response r, bool keep) {
    auto msg = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(r.status), 11);
    for (const auto& [k, v] : r.headers) msg->set(k, v);
    msg->set(bhttp::field::server, "enrol");
    msg->body() = std::move(r.body);
    msg->keep_alive(keep);
    msg->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::milliseconds(server_.options.write_timeout_ms));
    bhttp::async_write(stream_, *msg, [self = this->shared_from_this(), msg, keep](beast::error_code ec, std::size_t) {
      if (ec || !keep || self->server_.stopping) return self->Close();
      self->Read();
    });
  }

  void Close() {
    beast::error_code ec;
    auto& tcp_stream = beast::get_lowest_layer(stream_);
    tcp_stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    tcp_stream.close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::request_parser<bhttp::file_body>> file_parser_;
  std::string upload_file_;
  Server::Impl& server_;
  const uint64_t id_;
};

void Accept(Server::Impl& s) {
  s.acceptor.async_accept(net::make_strand(s.ioc), [&s](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == net::error::operation_aborted || !s.acceptor.is_open()) return;
    } else {
      if (s.tls) {
        auto session = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(s, std::move(socket), *s.tls);
        // Past the cap a TLS connection is closed (a 503 would need the handshake first).
        if (s.active <= s.options.max_connections) session->Start();
      } else {
        auto session = std::make_shared<Session<beast::tcp_stream>>(s, std::move(socket));
        if (s.active > s.options.max_connections) {
          session->Refuse();
        } else {
          session->Start();
        }
      }
    }
    if (!s.stopping) Accept(s);
  });
}

}  // namespace

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Server::~Server() = default;

Result<std::unique_ptr<Server>> Server::Listen(const ServerOptions& options, Handler handler) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->handler = std::move(handler);
  beast::error_code ec;
  if (!options.tls_certificate.empty()) {
    impl->tls.emplace(net::ssl::context::tls_server);
    impl->tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
    impl->tls->use_certificate_chain_file(options.tls_certificate, ec);
    if (ec) return InvalidArgument("cannot read the TLS certificate " + options.tls_certificate + ": " + ec.message());
    impl->tls->use_private_key_file(options.tls_key, net::ssl::context::pem, ec);
    if (ec) return InvalidArgument("cannot read the TLS key " + options.tls_key + ": " + ec.message());
  }
  const auto address = net::ip::make_address(options.address, ec);
  if (ec) return InvalidArgument("'" + options.address + "' is not an IP address to listen on");
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(options.port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + options.address + ":" + std::to_string(options.port) + ": " + ec.message());
  }
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::Run(const std::atomic<bool>& stop, const Tick& tick) {
  Impl& s = *impl_;
  Accept(s);
  net::steady_timer poll(s.ioc);
  auto next_tick = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point drain_until;
  std::function<void()> check = [&] {
    if (stop && !s.stopping) {
      s.stopping = true;
      beast::error_code ec;
      s.acceptor.close(ec);
      s.CloseIdle();  // the answers in flight are finished; idle connections end now
      drain_until = std::chrono::steady_clock::now() + std::chrono::milliseconds(s.options.drain_ms);
    }
    if (s.stopping) {
      // The connections in flight finish their answers (and close); the
      // rest are cut after drain_ms.
      if (s.active == 0 || std::chrono::steady_clock::now() >= drain_until) {
        s.ioc.stop();
        return;
      }
    } else if (tick && std::chrono::steady_clock::now() >= next_tick) {
      const int64_t wait = tick();
      next_tick = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max<int64_t>(wait, 0));
    }
    poll.expires_after(std::chrono::milliseconds(50));
    poll.async_wait([&](beast::error_code ec) {
      if (!ec) check();
    });
  };
  check();
  s.ioc.run();
}

}  // namespace enrol::web
