// enrol serve: the web server (the API, the web app, health and metrics) on
// this thread, and the worker (timers, connector jobs) on a thread of its
// own with its own database connection, in one process. The web app's
// actions wake the worker, so their effects start at once.
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <boost/json.hpp>

#include "engine/cli/commands.h"
#include "engine/cli/output.h"
#include "engine/http/api.h"
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

// The worker's sleep: until the next due time, the poll interval, a wake-up
// from the web app, or stop.
class Wakeup {
 public:
  void Notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      woken_ = true;
    }
    cv_.notify_one();
  }
  void WaitFor(int64_t ms, const std::atomic<bool>& stop) {
    std::unique_lock<std::mutex> lock(mu_);
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!woken_ && !stop && std::chrono::steady_clock::now() < until) {
      cv_.wait_until(lock, std::min(until, std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
    }
    woken_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = false;
};

// An intake the office started in the web app, on the worker's thread.
void RunIntake(app::CaseEngine& worker, web::IntakeRuns& runs, int year) {
  auto summary = worker.Intake(year, {1, 5, 8}, [&](int done, int total) { runs.Progress(done, total); });
  boost::json::object o{{"school_year", year}};
  if (summary) {
    o["created"] = summary->created;
    o["existing"] = summary->existing;
    o["register_events"] = summary->register_events;
    o["closed"] = summary->closed_as_excluded;
  } else {
    o["error"] = summary.error().message;
  }
  runs.Finished(boost::json::serialize(o));
}

void RunWorkerLoop(app::CaseEngine& worker, web::IntakeRuns& runs, Wakeup& wake, int64_t poll_ms,
                   const std::atomic<bool>& stop) {
  int64_t failures = 0;
  while (!stop) {
    if (const int year = runs.Take()) RunIntake(worker, runs, year);
    auto stats = worker.RunDue();
    int64_t wait = poll_ms;
    if (!stats) {
      // The worker's errors name no person; the next pass tries again.
      if (++failures % 100 == 1) std::cerr << "enrol serve: worker: " << stats.error().message << std::endl;
      wait = 1000;
    } else if (stats->Work() > 0 || stats->busy) {
      continue;
    } else if (auto next = worker.NextDueIn(); next && *next) {
      wait = std::min<int64_t>(**next, poll_ms);
    }
    wake.WaitFor(std::max<int64_t>(wait, 0), stop);
  }
}

Result<web::ServerOptions> ParseListen(const std::string& listen) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon + 1 == listen.size() ||
      listen.find_first_not_of("0123456789", colon + 1) != std::string::npos || listen.size() - colon > 6) {
    return InvalidArgument("--listen takes ADDRESS:PORT, e.g. 127.0.0.1:8080");
  }
  web::ServerOptions o;
  o.address = listen.substr(0, colon);
  o.port = std::stoi(listen.substr(colon + 1));
  if (o.port > 65535) return InvalidArgument("--listen: the port is at most 65535");
  return o;
}

}  // namespace

static Result<std::string> PrivateUploadDir(const std::string& db_path) {
  const std::filesystem::path dir = db_path + ".uploads";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Unavailable("cannot make the upload folder " + dir.string() + ": " + ec.message());
  std::filesystem::permissions(dir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace, ec);
  if (ec) return Unavailable("cannot make the upload folder " + dir.string() + " private: " + ec.message());
  for (const auto& left : std::filesystem::directory_iterator(dir, ec)) std::filesystem::remove(left.path(), ec);
  return dir.string();
}

int RunServe(const GlobalOptions& g, Services& s, const ServeArgs& a) {
  std::signal(SIGINT, OnServeStop);
  std::signal(SIGTERM, OnServeStop);
  s.SetStopFlag(&g_serve_stop);
  auto parsed = ParseListen(a.listen);
  if (!parsed) return ReportError(parsed.error());
  web::ServerOptions o = *parsed;
  o.max_connections = a.max_connections;
  o.read_timeout_ms = a.read_timeout_ms;
  auto settings = s.Settings();
  if (!settings) return ReportError(settings.error());
  o.tls_certificate = (*settings)->web.tls_certificate;
  o.tls_key = (*settings)->web.tls_key;
  auto engine = s.Engine();
  if (!engine) return ReportError(engine.error());
  (*engine)->SetStopFlag(&g_serve_stop);
  auto queries = s.Queries();
  auto users = s.Users();
  if (!queries || !users) return ReportError(!queries ? queries.error() : users.error());

  // The worker: its own services (connection, connectors) on its own thread.
  std::unique_ptr<Services> worker_services = s.Another();
  worker_services->SetStopFlag(&g_serve_stop);
  auto worker = worker_services->Engine();
  if (!worker) return ReportError(worker.error());
  (*worker)->SetStopFlag(&g_serve_stop);

  Wakeup wake;
  web::SessionStore sessions([&s] { return s.RandomToken(); }, (*settings)->web.idle_minutes * 60000,
                             (*settings)->web.absolute_hours * 3600000);
  // Uploads are imported on a thread of their own, with its own connection.
  std::unique_ptr<Services> importer_services = s.Another();
  importer_services->SetStopFlag(&g_serve_stop);
  auto importer = importer_services->Engine();
  if (!importer) return ReportError(importer.error());
  auto importer_persons = importer_services->Store();
  if (!importer_persons) return ReportError(importer_persons.error());
  auto opener = importer_services->Opener();
  if (!opener) return ReportError(opener.error());
  web::IntakeRuns intake_runs;
  web::UploadImports uploads;
  web::ApiPorts ports{**queries, **engine, **users, **settings,
                      NowMs, [&] { return (*engine)->NowText(); }, [&wake] { wake.Notify(); },
                      &intake_runs, &uploads};
  // Register extracts are uploaded to a file (streamed, size-limited).
  o.upload_limit = [](const std::string& target) {
    return target.rfind("/api/v1/imports", 0) == 0 ? web::kMaxExtractUpload : size_t{0};
  };
  o.max_upload = web::kMaxExtractUpload;
  // A private folder beside the database (the extract holds every national
  // id number of the municipality): 0700, and emptied at start of what a
  // crash left behind.
  auto upload_dir = PrivateUploadDir(g.db_path);
  if (!upload_dir) return ReportError(upload_dir.error());
  o.upload_dir = *upload_dir;
  web::ApiOptions api_options;
  api_options.secure_cookie = !o.tls_certificate.empty();
  web::Api api(ports, sessions, api_options);
  app::CaseQueries* running = *queries;
  web::Router router([running] { return running->Running(NowMs()); }, &api);
  auto server = web::Server::Listen(o, [&router](const http::Request& r) { return router.Handle(r); });
  if (!server) return ReportError(server.error());
  std::cout << "enrol serve: listening on " << (o.tls_certificate.empty() ? "http" : "https") << "://" << o.address
            << ":" << (*server)->port()
            << " (the web app at /, the API at /api/v1, health /healthz, metrics /metrics); the worker runs in this "
               "process; SIGINT or SIGTERM stops both"
            << std::endl;
  if (a.on_listening) a.on_listening((*server)->port());
  std::thread worker_thread([&] { RunWorkerLoop(**worker, intake_runs, wake, a.poll_ms, g_serve_stop); });
  std::thread importer_thread([&] {
    while (auto u = uploads.Take(g_serve_stop)) {
      uploads.Finished(web::ImportUpload(*u, **settings, **opener, **importer_persons, **importer, s.Clock()));
      std::error_code ec;
      std::filesystem::remove(u->file, ec);
      wake.Notify();  // its protection changes and the next intake are the worker's
    }
  });
  (*server)->Run(g_serve_stop, [&]() -> int64_t {
    api.FlushUsage();
    return 30000;
  });
  wake.Notify();
  uploads.Notify();
  worker_thread.join();
  importer_thread.join();
  api.FlushUsage();
  std::cout << "enrol serve: stopped" << std::endl;
  return 0;
}

}  // namespace enrol::cli
