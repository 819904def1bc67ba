#include "connectors/simulators/simulator_main.h"

#include <atomic>
#include <chrono>
#include <iostream>
#include <thread>

#include "connectors/simulators/oneroster_sis.h"
#include "connectors/simulators/systems_server.h"

namespace enrol::sim {

Result<ServeAt> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return InvalidArgument("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8088");
  ServeAt out;
  out.address = listen.substr(0, colon);
  const std::string port = listen.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 ||
      std::stoi(port) > 65535) {
    return InvalidArgument("--listen: '" + port + "' is not a port");
  }
  out.port = std::stoi(port);
  return out;
}

namespace {

std::function<void(int)> Announce(const ServeAt& at, std::function<std::string(const std::string& base)> what) {
  return [&at, what](int port) {
    if (at.on_listening) at.on_listening(what("http://" + at.address + ":" + std::to_string(port)));
  };
}

}  // namespace

Status RunSimulatedSystems(const SimulatorOptions& o, const ServeAt& at) {
  ENROL_ASSIGN_OR_RETURN(std::unique_ptr<SimulatedSystems> systems, SimulatedSystems::Open(o));
  return ServeSystems(*systems, at.address, at.port, Announce(at, [](const std::string& base) {
                        return "simulated systems (letters, dispatch, student_system, archive) listening on " + base;
                      }));
}

Status RunArchiveSimulator(const Noark5ArchiveOptions& o, const FaultOptions& f, const std::string& fiks_folder,
                           const ServeAt& at) {
  auto archive = Noark5Archive::Open(o);
  if (!archive) return tl::unexpected(archive.error().WithContext("the archive simulator's store " + o.db_path));
  ENROL_RETURN_IF_ERROR(CheckFaults(f));
  FaultPlan faults(f);
  Noark5Archive* served = archive->get();
  ServerStats stats;
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
  if (!fiks_folder.empty()) {
    folder = std::thread([&] {
      while (!done) {
        if (auto n = served->ProcessFiksFolder(fiks_folder); !n) {
          std::cerr << "enrol simulate archive: " << n.error().message << std::endl;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    });
  }
  Status st = ServeHttp(handler, at.address, at.port, Announce(at, [&fiks_folder](const std::string& base) {
                          std::string s = "simulated Noark 5 archive listening on " + base +
                                          "/noark5v5/ (what it holds: /noark5v5/inspect); Fiks Arkiv at " + base +
                                          "/fiks-arkiv/v1/arkivmelding";
                          if (!fiks_folder.empty()) s += " and in " + fiks_folder + "/ut/";
                          return s;
                        }),
                        f.Any() ? &faults : nullptr, &stats);
  done = true;
  if (folder.joinable()) folder.join();
  return st;
}

Status RunStudentSystemSimulator(const std::string& db_path, const FaultOptions& f, const ServeAt& at) {
  auto sis = OneRosterSis::Open(db_path);
  if (!sis) return tl::unexpected(sis.error().WithContext("the student-system simulator's store " + db_path));
  ENROL_RETURN_IF_ERROR(CheckFaults(f));
  FaultPlan faults(f);
  OneRosterSis* served = sis->get();
  return ServeHttp([served](const http::Request& r) { return served->Handle(r); }, at.address, at.port,
                   Announce(at, [](const std::string& base) {
                     return "simulated student system listening on " + base +
                            "/ims/oneroster/rostering/v1p2 (what it holds: /sis/inspect)";
                   }),
                   f.Any() ? &faults : nullptr);
}

Status RunSvarUtSimulator(const SvarUtOptions& o, const FaultOptions& f, const ServeAt& at) {
  auto post = SvarUtPost::Open(o);
  if (!post) return tl::unexpected(post.error().WithContext("the SvarUt simulator's store " + o.db_path));
  ENROL_RETURN_IF_ERROR(CheckFaults(f));
  FaultPlan faults(f);
  SvarUtPost* served = post->get();
  return ServeHttp([served](const http::Request& r) { return served->Handle(r); }, at.address, at.port,
                   Announce(at, [](const std::string& base) {
                     return "simulated SvarUt listening on " + base + "/api (what it holds: /svarut/inspect)";
                   }),
                   f.Any() ? &faults : nullptr);
}

}  // namespace enrol::sim
