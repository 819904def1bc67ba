#include "engine/connector_registry.h"

#include <boost/json.hpp>

#include "connectors/archive/archive_config.h"
#include "connectors/digital_post/digital_post_config.h"
#include "connectors/http/http_client.h"
#include "connectors/http/http_json_connector.h"
#include "connectors/http/oauth2.h"
#include "connectors/simulators/noark5_archive.h"
#include "connectors/simulators/oneroster_sis.h"
#include "connectors/simulators/simulated_systems.h"
#include "connectors/simulators/svarut_post.h"
#include "connectors/student_system/pifu_ims.h"
#include "connectors/student_system/student_system_config.h"
#include "engine/app/archive_service.h"
#include "engine/app/dispatch_service.h"
#include "engine/app/letter_service.h"
#include "engine/app/student_system_service.h"

namespace enrol {

ConnectorRegistry::ConnectorRegistry() = default;
ConnectorRegistry::~ConnectorRegistry() = default;

app::LetterScreener* ConnectorRegistry::Screener() { return letter_service_.get(); }

void ConnectorRegistry::SetStopFlag(const std::atomic<bool>* stop) {
  stop_ = stop;
  for (auto& c : http_connectors_) c->SetStopFlag(stop);
  if (archive_http_) archive_http_->SetStopFlag(stop);
  if (sis_http_) sis_http_->SetStopFlag(stop);
  if (post_http_) post_http_->SetStopFlag(stop);
  for (auto& t : token_transports_) t->SetStopFlag(stop);
}

// Each section of connectors.* the registry knows, and what builds it.
const ConnectorRegistry::Section ConnectorRegistry::kSections[] = {
    {"archive", &ConnectorRegistry::Archive},
    {"student_system", &ConnectorRegistry::StudentSystem},
    {"dispatch", &ConnectorRegistry::DigitalPost},
};

Result<Connectors> ConnectorRegistry::Build(const app::Settings& settings, const ConnectorDeps& deps) {
  deps_ = &deps;
  // connectors.mode first: every invoke type's default (the simulators, or
  // the HTTP gateways); then each configured section takes its types over.
  ENROL_ASSIGN_OR_RETURN(Connectors out, SystemConnectors(settings, deps));
  const boost::json::object* c = settings.connectors_config.if_object();
  for (const Section& section : kSections) {
    if (const boost::json::value* v = c ? c->if_contains(section.name) : nullptr) {
      ENROL_RETURN_IF_ERROR((this->*section.build)(settings, *v, out));
    }
  }
  return out;
}

// The digital-post connector (connectors.dispatch): SvarUt over libcurl,
// or over a loopback to the SvarUt simulator in this process. It serves
// the dispatch and post_status invokes.
Status ConnectorRegistry::DigitalPost(const app::Settings& settings, const boost::json::value& section,
                                      Connectors& out) {
  ENROL_ASSIGN_OR_RETURN(post::DigitalPostConfig pc, post::ParseDigitalPostConfig(section, settings.source));
  if (!letter_service_) {
    return InvalidArgument(settings.source + ": connectors.dispatch sends the rendered letters; it needs "
                                             "connectors.letters = \"renderer\"");
  }
  if (pc.simulator) {
    sim::SvarUtOptions so;
    so.db_path = pc.simulator_db;
    so.undeliverable_share = pc.simulator_undeliverable_share;
    ENROL_ASSIGN_OR_RETURN(post_simulator_, sim::SvarUtPost::Open(so));
    if (!pc.simulator_faults.is_null()) {
      ENROL_ASSIGN_OR_RETURN(sim::FaultOptions f, sim::ParseFaults(pc.simulator_faults, settings.source +
                                                                    ": connectors.dispatch.simulator_faults"));
      post_faults_ = std::make_unique<sim::FaultPlan>(f);
    }
    sim::SvarUtPost* p = post_simulator_.get();
    post_transport_ = std::make_unique<sim::LoopbackTransport>(
        [p](const http::Request& r) { return p->Handle(r); }, [p] { return p->NextRequestNumber(); },
        post_faults_.get());
  } else {
    http::ClientOptions o;
    o.ca_file = pc.ca_file;
    o.timeout_ms = pc.timeout_ms;
    auto pool = std::make_unique<http::ClientPool>(o);
    pool->SetStopFlag(stop_);
    post_http_ = pool.get();
    post_transport_ = std::move(pool);
  }
  svarut_ = std::make_unique<post::SvarUtClient>(pc.svarut,
                                                 *WithTokens(pc.oauth2, *post_transport_, pc.ca_file, pc.timeout_ms));
  dispatch_service_ =
      std::make_unique<app::DispatchService>(deps_->persons, deps_->cases, deps_->letters, *svarut_, settings, pc.in_flight);
  post_status_service_ = std::make_unique<app::PostStatusService>(*svarut_, pc.in_flight);
  out["dispatch"] = dispatch_service_.get();
  out["post_status"] = post_status_service_.get();
  return {};
}

// `inner` with bearer tokens from an OAuth2 token endpoint of its own, or
// `inner` itself without oauth2.
http::Transport* ConnectorRegistry::WithTokens(const std::optional<http::OAuth2Settings>& oauth2, http::Transport& inner,
                            const std::string& ca_file, int64_t timeout_ms) {
  if (!oauth2) return &inner;
  http::ClientOptions o;
  o.ca_file = ca_file;
  o.timeout_ms = timeout_ms;
  token_transports_.push_back(std::make_unique<http::ClientPool>(o));
  token_transports_.back()->SetStopFlag(stop_);
  tokens_.push_back(std::make_unique<http::TokenSource>(*oauth2, *token_transports_.back()));
  authorized_.push_back(std::make_unique<http::AuthorizedTransport>(*tokens_.back(), inner));
  return authorized_.back().get();
}

// The student-system connector (connectors.student_system): OneRoster 1.2
// over libcurl, or over a loopback to the student-system simulator in this
// process.
Status ConnectorRegistry::StudentSystem(const app::Settings& settings, const boost::json::value& section,
                                        Connectors& out) {
  ENROL_ASSIGN_OR_RETURN(sis::StudentSystemConfig sc, sis::ParseStudentSystemConfig(section, settings.source));
  if (sc.protocol == "pifu-ims") {
    student_port_ = std::make_unique<sis::PifuFolderClient>(
        sis::PifuSettings{sc.folder, "enrol-" + settings.municipality.number, settings.municipality.number,
                          settings.municipality.name});
  } else if (sc.simulator) {
    ENROL_ASSIGN_OR_RETURN(sis_simulator_, sim::OneRosterSis::Open(sc.simulator_db));
    if (!sc.simulator_faults.is_null()) {
      ENROL_ASSIGN_OR_RETURN(sim::FaultOptions f, sim::ParseFaults(sc.simulator_faults, settings.source +
                                                                    ": connectors.student_system.simulator_faults"));
      sis_faults_ = std::make_unique<sim::FaultPlan>(f);
    }
    sim::OneRosterSis* s = sis_simulator_.get();
    sis_transport_ = std::make_unique<sim::LoopbackTransport>(
        [s](const http::Request& r) { return s->Handle(r); }, [s] { return s->NextRequestNumber(); },
        sis_faults_.get());
  } else {
    http::ClientOptions o;
    o.ca_file = sc.ca_file;
    o.timeout_ms = sc.timeout_ms;
    auto pool = std::make_unique<http::ClientPool>(o);
    pool->SetStopFlag(stop_);
    sis_http_ = pool.get();
    sis_transport_ = std::move(pool);
  }
  if (!student_port_) {
    student_port_ = std::make_unique<sis::OneRosterClient>(
        sc.oneroster, *WithTokens(sc.oauth2, *sis_transport_, sc.ca_file, sc.timeout_ms));
  }
  student_system_service_ =
      std::make_unique<app::StudentSystemService>(deps_->persons, deps_->cases, *student_port_, settings, sc.in_flight);
  out["student_system"] = student_system_service_.get();
  return {};
}

// The archive connector (connectors.archive): the Noark 5 or Fiks Arkiv
// client over libcurl, or over a loopback to the archive simulator in this
// process; or Fiks Arkiv through a drop folder.
// It files the rendered letters' PDF/A copies, so the letters must be real.
Status ConnectorRegistry::Archive(const app::Settings& settings, const boost::json::value& section, Connectors& out) {
  ENROL_ASSIGN_OR_RETURN(archive::ArchiveConfig ac, archive::ParseArchiveConfig(section, settings.source));
  if (!letter_service_) {
    return InvalidArgument(settings.source + ": connectors.archive files the rendered letters; it needs "
                                             "connectors.letters = \"renderer\"");
  }
  if (!ac.drop.folder.empty()) {
    archive_port_ = std::make_unique<archive::FiksArkivFolderClient>(ac.fiks, ac.drop);
    out["archive"] = ArchiveService(settings, ac.in_flight);
    return {};
  }
  if (ac.simulator) {
    sim::Noark5ArchiveOptions o;
    o.db_path = ac.simulator_db;
    ENROL_ASSIGN_OR_RETURN(archive_simulator_, sim::Noark5Archive::Open(o));
    if (!ac.simulator_faults.is_null()) {
      ENROL_ASSIGN_OR_RETURN(sim::FaultOptions f,
                             sim::ParseFaults(ac.simulator_faults, settings.source + ": connectors.archive.simulator_faults"));
      archive_faults_ = std::make_unique<sim::FaultPlan>(f);
    }
    archive_transport_ = std::make_unique<sim::LoopbackTransport>(*archive_simulator_, archive_faults_.get());
  } else {
    http::ClientOptions o;
    o.ca_file = ac.ca_file;
    o.timeout_ms = ac.timeout_ms;
    auto pool = std::make_unique<http::ClientPool>(o);
    pool->SetStopFlag(stop_);
    archive_http_ = pool.get();
    archive_transport_ = std::move(pool);
  }
  http::Transport* transport = WithTokens(ac.oauth2, *archive_transport_, ac.ca_file, ac.timeout_ms);
  if (ac.protocol == "fiks-arkiv") {
    archive_port_ = std::make_unique<archive::FiksArkivHttpClient>(ac.fiks, ac.noark5.root_url, *transport);
  } else {
    archive_port_ = std::make_unique<archive::Noark5Client>(ac.noark5, *transport);
  }
  out["archive"] = ArchiveService(settings, ac.in_flight);
  return {};
}

app::Connector* ConnectorRegistry::ArchiveService(const app::Settings& settings, int in_flight) {
  archive_service_ =
      std::make_unique<app::ArchiveService>(deps_->persons, deps_->cases, deps_->letters, *archive_port_, settings,
                                             in_flight, letter_service_.get());
  return archive_service_.get();
}

// The connectors of the invoke types by connectors.mode.
Result<Connectors> ConnectorRegistry::SystemConnectors(const app::Settings& settings, const ConnectorDeps& deps) {
  const boost::json::object* c = settings.connectors_config.if_object();
  const boost::json::value* mode = c ? c->if_contains("mode") : nullptr;
  if (mode && *mode == "http") {
    // Every invoke type at <base_url>/<type>; today that is the simulated
    // systems served by `enrol simulate-systems`, tomorrow the gateways.
    const boost::json::value* base = c->if_contains("base_url");
    if (!base || !base->is_string()) {
      return InvalidArgument(settings.source + ": connectors.base_url is required with mode \"http\"");
    }
    Connectors out;
    for (const char* type : {"letters", "dispatch", "post_status", "student_system", "archive"}) {
      http_connectors_.push_back(std::make_unique<http::HttpJsonConnector>(std::string(base->get_string()), type));
      http_connectors_.back()->SetStopFlag(stop_);
      out[type] = http_connectors_.back().get();
    }
    return out;
  }
  if (!mode || *mode != "simulator") {
    return FailedPrecondition(
        "no connector is configured for letters, dispatch, student_system and archive: the real "
        "connectors are not built yet; set \"connectors\": {\"mode\": \"simulator\"} in " +
        settings.source + " to run with the simulators");
  }
  sim::SimulatorOptions o;
  if (const auto* db = c->if_contains("simulator_db"); db && db->is_string()) o.db_path = std::string(db->get_string());
  if (const auto* f = c->if_contains("simulator_fail_first_attempts"); f && f->is_int64()) {
    o.fail_first_attempts = static_cast<int>(f->get_int64());
  }
  if (const auto* f = c->if_contains("simulator_fail_always"); f && f->is_bool()) o.fail_always = f->get_bool();
  ENROL_ASSIGN_OR_RETURN(simulators_, sim::SimulatedSystems::Open(o));
  Connectors out = simulators_->All();
  if (const auto* l = c->if_contains("letters"); l && *l == "renderer") {
    // The letters are real: the workflow's letters invoke renders them.
    ENROL_ASSIGN_OR_RETURN(app::LetterRenderer* renderer, deps.renderer());
    letter_service_ =
        std::make_unique<app::LetterService>(deps.persons, deps.cases, deps.letters, *renderer, settings, deps.clock);
    out["letters"] = letter_service_.get();
  }
  return out;
}

}  // namespace enrol
