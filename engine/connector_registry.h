#pragma once
// The connector registry: maps the configuration's connectors.* sections
// to the connectors that serve the workflow's invoke types, and owns them
// (clients, transports, token sources, in-process simulators). Part of the
// composition root (engine/main.cc): the one other place that picks
// concrete adapters.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "engine/app/case_ports.h"
#include "engine/app/letter_ports.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"

namespace enrol {
namespace http {
class ClientPool;
class HttpJsonConnector;
class TokenSource;
class AuthorizedTransport;
class Transport;
struct OAuth2Settings;
}  // namespace http
namespace sim {
class SimulatedSystems;
class Noark5Archive;
class OneRosterSis;
class SvarUtPost;
class FaultPlan;
}  // namespace sim
namespace post {
class SvarUtClient;
}  // namespace post
namespace app {
class LetterService;
class DispatchService;
class PostStatusService;
class StudentSystemService;
class ArchiveService;
class ArchivePort;
class StudentSystemPort;
}  // namespace app

using Connectors = std::map<std::string, app::Connector*>;

// What the connectors' services read: the stores, the renderer (opened only
// when letters are rendered) and the clock.
struct ConnectorDeps {
  app::PersonStore& persons;
  app::Cases& cases;
  app::LetterStore& letters;
  std::function<Result<app::LetterRenderer*>()> renderer;
  app::Clock& clock;
};

class ConnectorRegistry {
 public:
  ConnectorRegistry();
  ~ConnectorRegistry();
  ConnectorRegistry(const ConnectorRegistry&) = delete;
  ConnectorRegistry& operator=(const ConnectorRegistry&) = delete;

  // The invoke types a workflow may use.
  static std::vector<std::string> InvokeTypes() {
    return {"letters", "dispatch", "post_status", "student_system", "archive"};
  }
  // Builds the connectors the settings ask for (once; `deps` must outlive
  // the registry). A section that is wrong is an error that names it.
  [[nodiscard]] Result<Connectors> Build(const app::Settings& settings, const ConnectorDeps& deps);
  // What renders a protected case's letters again without addresses
  // (null without the letter renderer).
  [[nodiscard]] app::LetterScreener* Screener();
  // Calls over the network end early once `stop` is true.
  void SetStopFlag(const std::atomic<bool>* stop);

 private:
  struct Section {
    const char* name;
    Status (ConnectorRegistry::*build)(const app::Settings&, const boost::json::value&, Connectors&);
  };
  static const Section kSections[];

  Result<Connectors> SystemConnectors(const app::Settings& settings, const ConnectorDeps& deps);
  Status DigitalPost(const app::Settings& settings, const boost::json::value& section, Connectors& out);
  Status StudentSystem(const app::Settings& settings, const boost::json::value& section, Connectors& out);
  Status Archive(const app::Settings& settings, const boost::json::value& section, Connectors& out);
  app::Connector* ArchiveService(const app::Settings& settings, int in_flight);
  http::Transport* WithTokens(const std::optional<http::OAuth2Settings>& oauth2, http::Transport& inner,
                              const std::string& ca_file, int64_t timeout_ms);

  const ConnectorDeps* deps_ = nullptr;
  const std::atomic<bool>* stop_ = nullptr;
  std::unique_ptr<app::LetterService> letter_service_;
  std::unique_ptr<sim::SimulatedSystems> simulators_;
  std::vector<std::unique_ptr<http::HttpJsonConnector>> http_connectors_;
  std::unique_ptr<sim::Noark5Archive> archive_simulator_;
  std::unique_ptr<sim::FaultPlan> archive_faults_;
  std::unique_ptr<http::Transport> archive_transport_;
  http::ClientPool* archive_http_ = nullptr;
  std::vector<std::unique_ptr<http::ClientPool>> token_transports_;
  std::vector<std::unique_ptr<http::TokenSource>> tokens_;
  std::vector<std::unique_ptr<http::AuthorizedTransport>> authorized_;
  std::unique_ptr<app::ArchivePort> archive_port_;
  std::unique_ptr<sim::OneRosterSis> sis_simulator_;
  std::unique_ptr<sim::FaultPlan> sis_faults_;
  std::unique_ptr<http::Transport> sis_transport_;
  http::ClientPool* sis_http_ = nullptr;
  std::unique_ptr<app::StudentSystemPort> student_port_;
  std::unique_ptr<app::StudentSystemService> student_system_service_;
  std::unique_ptr<sim::SvarUtPost> post_simulator_;
  std::unique_ptr<sim::FaultPlan> post_faults_;
  std::unique_ptr<http::Transport> post_transport_;
  http::ClientPool* post_http_ = nullptr;
  std::unique_ptr<post::SvarUtClient> svarut_;
  std::unique_ptr<app::DispatchService> dispatch_service_;
  std::unique_ptr<app::PostStatusService> post_status_service_;
  std::unique_ptr<app::ArchiveService> archive_service_;
};

}  // namespace enrol
