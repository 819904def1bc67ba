// The simulators served over HTTP from a process of their own: test
// doubles of the external systems, for tests and demos.
#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "connectors/simulators/noark5_archive.h"
#include "connectors/simulators/oneroster_sis.h"
#include "connectors/simulators/svarut_post.h"
#include "connectors/simulators/simulated_systems.h"
#include "connectors/simulators/systems_server.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"

namespace enrol::cli {
namespace {

struct Listen {
  std::string address;
  int port = 0;
};

sim::FaultOptions Faults(const SimulatorFaultArgs& a) {
  sim::FaultOptions f;
  f.error_share = a.error;
  f.throttle_share = a.throttle;
  f.drop_share = a.drop;
  f.timeout_share = a.timeout;
  f.slow_share = a.slow;
  f.slow_ms = a.slow_ms;
  f.latency_ms = a.latency_ms;
  f.seed = a.seed;
  return f;
}

Result<Listen> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8088");
  Listen out;
  out.address = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    return InvalidArgument("--listen: '" + port + "' is not a port");
  }
  out.port = std::stoi(port);
  return out;
}

}  // namespace

int RunSimulateSystems(const GlobalOptions&, Services&, const SimulateSystemsArgs& a) {
  auto listen = ParseListen(a.listen);
  if (!listen) return ReportError(listen.error());
  sim::SimulatorOptions o;
  o.db_path = a.db;
  o.fail_first_attempts = a.fail_first;
  o.fail_always = a.fail_always;
  auto systems = sim::SimulatedSystems::Open(o);
  if (!systems) return ReportError(systems.error());
  auto st = sim::ServeSystems(**systems, listen->address, listen->port, [&](int port) {
    std::cout << "simulated systems (letters, dispatch, student_system, archive) listening on http://"
              << listen->address << ":" << port << std::endl;
  });
  if (!st) return ReportError(st.error());
  return 0;
}

int RunSimulateArchive(const GlobalOptions&, Services&, const SimulateArchiveArgs& a) {
  auto listen = ParseListen(a.listen);
  if (!listen) return ReportError(listen.error());
  sim::Noark5ArchiveOptions o;
  o.db_path = a.db;
  if (!a.arkivdel.empty()) o.arkivdel_title = a.arkivdel;
  auto archive = sim::Noark5Archive::Open(o);
  if (!archive) return ReportError(archive.error().WithContext("the archive simulator's store " + a.db));
  const sim::FaultOptions f = Faults(a.faults);
  if (auto ok = sim::CheckFaults(f); !ok) return ReportError(ok.error());
  sim::FaultPlan faults(f);
  sim::Noark5Archive* served = archive->get();
  sim::ServerStats stats;
  const auto since = std::chrono::steady_clock::now();
  auto handler = [served, &stats, since](const http::Request& r) {
    if (r.method == "GET" && r.target == "/noark5v5/stats") {  // for benchmarks
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
      http::Response out;
      out.status = 200;
      out.headers["content-type"] = "application/json";
      out.body = "{\"requests\":" + std::to_string(stats.requests.load()) +
                 ",\"in_flight\":" + std::to_string(stats.in_flight.load()) +
                 ",\"max_in_flight\":" + std::to_string(stats.max_in_flight.load()) +
                 ",\"busy_seconds\":" + std::to_string(static_cast<double>(stats.busy_us.load()) / 1e6) +
                 ",\"seconds\":" + std::to_string(s) + "}";
      return out;
    }
    return served->Handle(r);
  };
  // The municipality's Fiks Arkiv integration on a drop folder, beside the
  // HTTP endpoints.
  std::atomic<bool> done{false};
  std::thread folder;
  if (!a.fiks_folder.empty()) {
    folder = std::thread([&] {
      while (!done) {
        if (auto n = served->ProcessFiksFolder(a.fiks_folder); !n) {
          std::cerr << "enrol simulate archive: " << n.error().message << std::endl;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  auto st = sim::ServeHttp(handler, listen->address,
                           listen->port, [&](int port) {
                             const std::string base = "http://" + listen->address + ":" + std::to_string(port);
                             std::cout << "simulated Noark 5 archive listening on " << base
                                       << "/noark5v5/ (what it holds: /noark5v5/inspect); Fiks Arkiv at " << base
                                       << "/fiks-arkiv/v1/arkivmelding";
                             if (!a.fiks_folder.empty()) std::cout << " and in " << a.fiks_folder << "/ut/";
                             std::cout << std::endl;
                           }, f.Any() ? &faults : nullptr, &stats);
  done = true;
  if (folder.joinable()) folder.join();
  if (!st) return ReportError(st.error());
  return 0;
}

int RunSimulateSis(const GlobalOptions&, Services&, const SimulateSisArgs& a) {
  auto listen = ParseListen(a.listen);
  if (!listen) return ReportError(listen.error());
  auto sis = sim::OneRosterSis::Open(a.db);
  if (!sis) return ReportError(sis.error().WithContext("the student-system simulator's store " + a.db));
  const sim::FaultOptions f = Faults(a.faults);
  if (auto ok = sim::CheckFaults(f); !ok) return ReportError(ok.error());
  sim::FaultPlan faults(f);
  sim::OneRosterSis* served = sis->get();
  auto st = sim::ServeHttp([served](const http::Request& r) { return served->Handle(r); }, listen->address,
                           listen->port, [&](int port) {
                             std::cout << "simulated student system listening on http://" << listen->address << ":"
                                       << port << "/ims/oneroster/rostering/v1p2 (what it holds: /sis/inspect)"
                                       << std::endl;
                           }, f.Any() ? &faults : nullptr);
  if (!st) return ReportError(st.error());
  return 0;
}

int RunSimulatePost(const GlobalOptions&, Services&, const SimulatePostArgs& a) {
  auto listen = ParseListen(a.listen);
  if (!listen) return ReportError(listen.error());
  sim::SvarUtOptions o;
  o.db_path = a.db;
  o.undeliverable_share = a.undeliverable;
  o.status_step_ms = a.status_step_ms;
  auto post = sim::SvarUtPost::Open(o);
  if (!post) return ReportError(post.error().WithContext("the SvarUt simulator's store " + a.db));
  const sim::FaultOptions f = Faults(a.faults);
  if (auto ok = sim::CheckFaults(f); !ok) return ReportError(ok.error());
  sim::FaultPlan faults(f);
  sim::SvarUtPost* served = post->get();
  auto st = sim::ServeHttp([served](const http::Request& r) { return served->Handle(r); }, listen->address,
                           listen->port, [&](int port) {
                             std::cout << "simulated SvarUt listening on http://" << listen->address << ":" << port
                                       << "/api (what it holds: /svarut/inspect)" << std::endl;
                           }, f.Any() ? &faults : nullptr);
  if (!st) return ReportError(st.error());
  return 0;
}

}  // namespace enrol::cli
