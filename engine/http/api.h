#pragma once
// The web app's JSON API under /api/v1 (pure: a request in, a response out;
// schemas/openapi.yaml describes it). Sign-in with a session cookie
// (HttpOnly, SameSite=Strict, Secure under TLS); every state-changing
// request carries the session's CSRF token in X-CSRF-Token; what a user
// sees and may do follows engine/app/access.h, and a case the user may not
// see answers 404 like a case that does not exist. People's actions are the
// workflow's declared person events, applied once per request id. Every
// view of a case's personal data and every action is in the audit log with
// the user as actor.

#include <cstdint>
#include <functional>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>

#include "engine/net/http_message.h"
#include "engine/app/case_engine.h"
#include "engine/app/letter_ports.h"
#include "engine/app/case_queries.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"
#include "engine/app/users.h"
#include "engine/http/sessions.h"

namespace enrol::web {

// An intake run the education office started from the web app: it runs on
// the worker's thread (it drafts letters for minutes); the page polls it.
class IntakeRuns {
 public:
  // False when one is running already.
  bool Request(int school_year);
  // For the worker: the year asked for, once (0: none).
  int Take();
  void Progress(int done, int total);
  void Finished(const std::string& summary_json);
  [[nodiscard]] std::string StatusJson();

 private:
  std::mutex mu_;
  int requested_ = 0, running_ = 0, done_ = 0, total_ = 0;
  std::string last_;  // the last run's summary (JSON)
};

// An uploaded register extract, imported on a thread of its own (a large
// extract takes seconds to minutes: never on the server's thread); the page
// polls it. One at a time.
class UploadImports {
 public:
  struct Upload {
    std::string file;   // the uploaded extract, the importer's to remove
    std::string actor;  // "person:<name>"
    std::string by;     // the user's name, for the summary
    bool skip_invalid = false;
  };
  // False when one is queued or running already.
  bool Request(Upload u);
  // For the importer: waits (until `stop`) for the next upload.
  std::optional<Upload> Take(const std::atomic<bool>& stop);
  void Finished(const std::string& summary_json);
  // Wakes Take (when stopping).
  void Notify();
  [[nodiscard]] std::string StatusJson();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Upload> queued_;
  bool running_ = false;
  std::string last_;  // the last import's summary or error (JSON)
};

// Imports one upload as `enrol import` does (one transaction, the file whole
// or not at all), applies its protection changes and writes the audit row;
// returns the summary as the web app shows it ({"error", "status"} when it
// was refused). Runs on the importer's thread, with its own stores.
std::string ImportUpload(const UploadImports::Upload& u, const app::Settings& settings, app::ExtractOpener& opener,
                         app::PersonStore& persons, app::CaseEngine& engine, app::Clock& clock);

struct ApiPorts {
  // The application: queries (what people see, checked by viewer) and the
  // engine's commands (checked in their unit of work). No store.
  app::CaseQueries& queries;
  app::CaseEngine& engine;
  app::UserService& users;
  const app::Settings& settings;
  std::function<int64_t()> now_ms;
  std::function<std::string()> now_text;  // ISO 8601, for the stores
  std::function<void()> wake_worker;      // work was queued (may be empty)
  IntakeRuns* intake = nullptr;           // null: no intake runs from the web app
  UploadImports* uploads = nullptr;       // null: no uploads
};

// The largest register extract the web app takes (bytes).
inline constexpr size_t kMaxExtractUpload = 2ull * 1024 * 1024 * 1024;

struct ApiOptions {
  bool secure_cookie = false;  // under TLS
};

class Api {
 public:
  Api(ApiPorts ports, SessionStore& sessions, ApiOptions options)
      : p_(std::move(ports)), sessions_(sessions), o_(options) {}

  // Answers a request under /api/v1; `route` is set to its pattern (for the
  // metrics, never with an id in it).
  http::Response Handle(const http::Request& r, std::string& route);
  // Writes the time people spent in the app to the store (call now and then).
  void FlushUsage();

  struct Caller;

 private:
  http::Response SignIn(const http::Request& r);
  http::Response SignOut(const http::Request& r);
  http::Response Me(const Caller& c);
  http::Response Schools();
  http::Response ListCases(const Caller& c, const http::Request& r);
  http::Response ShowCase(const Caller& c, int64_t id);
  http::Response Letter(const Caller& c, int64_t id, const http::Request& r);
  http::Response SendEvent(const Caller& c, const std::vector<int64_t>& ids, const http::Request& r, bool many);
  http::Response Incidents(const Caller& c, const http::Request& r);
  http::Response EndIncidents(const Caller& c, const http::Request& r, const std::string& action);
  http::Response Dashboard(const Caller& c);
  http::Response Audit(const Caller& c, const http::Request& r);
  http::Response Workflow(const Caller& c);
  http::Response Import(const Caller& c, const http::Request& r);
  http::Response Imports(const Caller& c);
  http::Response StartIntake(const Caller& c, const http::Request& r);

  ApiPorts p_;
  SessionStore& sessions_;
  ApiOptions o_;
};

}  // namespace enrol::web
