// enrol serve: the web server and the worker (timers, connector jobs) in one
// process. Today the server answers the operations endpoints (/healthz,
// /metrics); the API and the UI for the schools and the education office
// come on top of the same router.
#include <chrono>
#include <csignal>
#include <iostream>

#include "engine/cli/commands.h"
#include "engine/cli/output.h"
#include "engine/http/router.h"
#include "engine/http/server.h"

namespace enrol::cli {
namespace {

std::atomic<bool> g_serve_stop{false};
extern "C" void OnServeStop(int) { g_serve_stop = true; }

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int RunServe(const GlobalOptions&, Services& s, const ServeArgs& a) {
  std::signal(SIGINT, OnServeStop);
  std::signal(SIGTERM, OnServeStop);
  s.SetStopFlag(&g_serve_stop);
  const size_t colon = a.listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == a.listen.size() ||
      a.listen.find_first_not_of("0123456789", colon + 1) != std::string::npos || a.listen.size() - colon > 6) {
    return ReportError(Error{ErrorCode::kInvalidArgument, "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080"});
  }
  web::ServerOptions o;
  o.address = a.listen.substr(0, colon);
  o.port = std::stoi(a.listen.substr(colon + 1));
  if (o.port > 65535) return ReportError(Error{ErrorCode::kInvalidArgument, "--listen: the port is at most 65535"});
  o.max_connections = a.max_connections;
  o.read_timeout_ms = a.read_timeout_ms;
  auto engine = s.Engine();
  if (!engine) return ReportError(engine.error());
  (*engine)->SetStopFlag(&g_serve_stop);
  auto cases = s.Cases();
  if (!cases) return ReportError(cases.error());
  app::CaseStore* store = *cases;
  web::Router router([store] { return store->CountForMonitoring(NowMs()); });
  auto server = web::Server::Listen(o, [&router](const http::Request& r) { return router.Handle(r); });
  if (!server) return ReportError(server.error());
  std::cout << "enrol serve: listening on http://" << o.address << ":" << (*server)->port()
            << " (health /healthz, metrics /metrics); the worker runs in this process; SIGINT or SIGTERM stops both"
            << std::endl;
  app::CaseEngine* worker = *engine;
  int64_t failures = 0;
  (*server)->Run(g_serve_stop, [&]() -> int64_t {
    auto stats = worker->RunDue();
    if (!stats) {
      // The worker's errors name no person; the next pass tries again.
      if (++failures % 100 == 1) std::cerr << "enrol serve: worker: " << stats.error().message << std::endl;
      return 1000;
    }
    if (stats->Work() > 0 || stats->busy) return 0;
    auto next = worker->NextDueIn();
    if (!next || !*next) return a.poll_ms;
    return std::min<int64_t>(**next, a.poll_ms);
  });
  std::cout << "enrol serve: stopped" << std::endl;
  return 0;
}

}  // namespace enrol::cli
