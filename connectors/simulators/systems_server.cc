#include "connectors/simulators/systems_server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <cctype>
#include <cstdlib>
#include <chrono>
#include <thread>

namespace enrol::sim {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;

HttpReply HandleSystemsRequest(SimulatedSystems& systems, const std::string& method, const std::string& target,
                               const std::string& body, int attempt) {
  auto error = [](int status, const std::string& message) {
    return HttpReply{status, json::serialize(json::object{{"error", message}})};
  };
  if (method != "POST") return error(405, "only POST");
  const std::string type = target.size() > 1 ? target.substr(1) : "";
  app::Connector* connector = systems.Get(type);
  if (!connector) return error(404, "no simulated system at " + target);
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return error(400, "the body must be a JSON object");
  const json::object& o = v.get_object();
  const json::value* key = o.if_contains("idempotency_key");
  if (!key || !key->is_string() || key->get_string().empty()) return error(400, "idempotency_key is required");
  app::JobRequest req;
  req.type = type;
  req.idempotency_key = std::string(key->get_string());
  if (const auto* p = o.if_contains("params"); p && p->is_object()) req.params = p->get_object();
  req.attempt = attempt;
  const app::JobOutcome out = connector->Execute(req);
  if (!out.ok) return error(503, out.error);
  return HttpReply{200, json::serialize(out.receipt)};
}

Status ServeHttp(const Handler& handler, const std::string& address, int port,
                 const std::function<void(int)>& on_listening, FaultPlan* faults, ServerStats* stats) {
  try {
    net::io_context ioc;
    tcp::acceptor acceptor(ioc, tcp::endpoint(net::ip::make_address(address), static_cast<unsigned short>(port)));
    if (on_listening) on_listening(acceptor.local_endpoint().port());
    for (;;) {
      tcp::socket accepted(ioc);
      acceptor.accept(accepted);
      // One thread per connection: a client keeps a connection per system
      // alive, and must not wait for another connection's turn.
      std::thread([handler, faults, stats, socket = std::move(accepted)]() mutable {
        beast::flat_buffer buffer;
        for (;;) {
          bhttp::request_parser<bhttp::string_body> parser;
          parser.body_limit(64 * 1024 * 1024);
          beast::error_code ec;
          bhttp::read(socket, buffer, parser, ec);
          if (ec) break;  // the client went away (or was killed), or sent too much
          const auto& req = parser.get();
          http::Request in;
          in.method = std::string(req.method_string());
          in.target = std::string(req.target());
          for (const auto& f : req) {
            std::string name(f.name_string());
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            in.headers[name] = std::string(f.value());
          }
          in.body = req.body();
          const auto started = std::chrono::steady_clock::now();
          if (stats) {
            const int64_t now = ++stats->in_flight;
            int64_t most = stats->max_in_flight.load();
            while (now > most && !stats->max_in_flight.compare_exchange_weak(most, now)) {
            }
          }
          struct Done {
            ServerStats* s;
            std::chrono::steady_clock::time_point t0;
            ~Done() {
              if (!s) return;
              --s->in_flight;
              ++s->requests;
              s->busy_us += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
            }
          } done{stats, started};
          const Fault fault = faults ? faults->Next() : Fault::kNone;
          if (faults && faults->options().latency_ms > 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(faults->options().latency_ms));
          }
          if (fault == Fault::kTimeout) {
            std::this_thread::sleep_for(std::chrono::seconds(120));
            break;
          }
          if (fault == Fault::kSlow) std::this_thread::sleep_for(std::chrono::milliseconds(faults->options().slow_ms));
          const http::Response out =
              fault == Fault::kError || fault == Fault::kThrottle ? RefusedAnswer(fault) : handler(in);
          if (fault == Fault::kDrop) break;  // handled, and the answer never leaves
          bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(out.status), req.version()};
          for (const auto& [name, value] : out.headers) res.set(name, value);
          res.keep_alive(req.keep_alive());
          res.body() = out.body;
          res.prepare_payload();
          bhttp::write(socket, res, ec);
          if (ec || !res.keep_alive()) break;
        }
        beast::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
      }).detach();
    }
  } catch (const std::exception& e) {
    return Unavailable(std::string("simulator HTTP server: ") + e.what());
  }
}

Status ServeSystems(SimulatedSystems& systems, const std::string& address, int port,
                    const std::function<void(int)>& on_listening) {
  return ServeHttp(
      [&systems](const http::Request& r) {
        const HttpReply reply = HandleSystemsRequest(systems, r.method, r.target, r.body,
                                                     std::atoi(r.Header("x-attempt").c_str()));
        http::Response out;
        out.status = reply.status;
        out.headers["content-type"] = "application/json";
        out.body = reply.body;
        return out;
      },
      address, port, on_listening);
}

}  // namespace enrol::sim
