// The composition root: the one place that picks concrete adapters.
#include <sys/random.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <memory>

#include <fstream>
#include <sstream>

#include <boost/json.hpp>

#include "connectors/archive/archive_config.h"
#include "connectors/http/http_client.h"
#include "connectors/http/oauth2.h"
#include "connectors/http/http_json_connector.h"
#include "connectors/simulators/noark5_archive.h"
#include "connectors/simulators/oneroster_sis.h"
#include "connectors/student_system/pifu_ims.h"
#include "connectors/student_system/student_system_config.h"
#include "connectors/digital_post/digital_post_config.h"
#include "connectors/simulators/svarut_post.h"
#include "engine/app/dispatch_service.h"
#include "engine/auth/argon2_hasher.h"
#include "engine/store/sqlite_user_store.h"
#include "engine/app/student_system_service.h"
#include "engine/app/archive_service.h"
#include "connectors/register/freg_reader.h"
#include "connectors/simulators/simulated_systems.h"
#include "engine/app/letter_service.h"
#include "engine/letters/template_renderer.h"
#include "engine/cli/services.h"
#include "engine/config/config_loader.h"
#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"
#include "engine/store/sqlite_case_store.h"
#include "engine/store/sqlite_letter_store.h"
#include "engine/store/sqlite_person_store.h"

namespace {

using namespace enrol;

class SystemClock final : public app::Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
};

// Version 7 UUIDs (RFC 9562): 48 bits of Unix milliseconds, then 74 bits
// from the kernel's random source. Unique across databases, restores and
// municipalities like version 4, but keys made one after another sort
// together, so the unique index on jobs' keys grows at its end instead of
// dirtying a random page per new job.
class TimeOrderedIds final : public app::IdGenerator {
 public:
  std::string NewUuid() override {
    unsigned char b[16];
    Random(b + 6, 10);
    // Never backwards within a process, should the clock be set back.
    last_ms_ = std::max(last_ms_, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                            std::chrono::system_clock::now().time_since_epoch())
                                                            .count()));
    const uint64_t ms = last_ms_;
    for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (40 - 8 * i));
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x70);
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    for (int i = 0; i < 16; ++i) {
      if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
      out += kHex[b[i] >> 4];
      out += kHex[b[i] & 15];
    }
    return out;
  }

 private:
  // Random bytes, drawn from the kernel a buffer at a time.
  void Random(unsigned char* out, size_t n) {
    if (pool_used_ + n > sizeof pool_) {
      size_t got = 0;
      while (got < sizeof pool_) {
        const ssize_t r = getrandom(pool_ + got, sizeof pool_ - got, 0);
        if (r > 0) got += static_cast<size_t>(r);
      }
      pool_used_ = 0;
    }
    std::memcpy(out, pool_ + pool_used_, n);
    pool_used_ += n;
  }
  uint64_t last_ms_ = 0;
  unsigned char pool_[4096] = {};
  size_t pool_used_ = sizeof pool_;
};

// The audit chain's HMAC key: ENROL_AUDIT_KEY, or the contents of the file
// ENROL_AUDIT_KEY_FILE. Never from the configuration or the database.
Result<std::string> AuditKey() {
  if (const char* k = std::getenv("ENROL_AUDIT_KEY"); k && *k) return std::string(k);
  const char* file = std::getenv("ENROL_AUDIT_KEY_FILE");
  if (!file || !*file) return std::string();
  std::ifstream in(file, std::ios::binary);
  if (!in) return InvalidArgument("cannot read the audit key file " + std::string(file) + " (ENROL_AUDIT_KEY_FILE)");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  while (!key.empty() && (key.back() == '\n' || key.back() == '\r')) key.pop_back();
  if (key.empty()) return InvalidArgument("the audit key file " + std::string(file) + " is empty");
  return key;  // its length is checked by the store, as for ENROL_AUDIT_KEY
}

class ProductionServices final : public cli::Services {
 public:
  explicit ProductionServices(const cli::GlobalOptions& g) : g_(g) {}

  Result<int> InitDatabase() override {
    ENROL_RETURN_IF_ERROR(OpenDatabase());
    ENROL_RETURN_IF_ERROR(store::Migrate(*db_));
    return store::SchemaVersion(*db_);
  }

  Result<app::PersonStore*> Store() override {
    if (!person_store_) {
      if (!std::filesystem::exists(g_.db_path)) {
        return FailedPrecondition("no database at " + g_.db_path + "; create it with `enrol --db " +
                                  g_.db_path + " init`");
      }
      ENROL_RETURN_IF_ERROR(OpenDatabase());
      ENROL_ASSIGN_OR_RETURN(int version, store::SchemaVersion(*db_));
      if (version < store::LatestSchemaVersion()) {
        return FailedPrecondition("database " + g_.db_path + " is at schema version " +
                                  std::to_string(version) + ", this enrol needs " +
                                  std::to_string(store::LatestSchemaVersion()) +
                                  "; upgrade it with `enrol init`");
      }
      if (version > store::LatestSchemaVersion()) {
        return FailedPrecondition("database " + g_.db_path + " is at schema version " + std::to_string(version) +
                                  ", newer than this enrol knows (" + std::to_string(store::LatestSchemaVersion()) +
                                  "); use the enrol that wrote it, or a newer one");
      }
      ENROL_ASSIGN_OR_RETURN(person_store_, store::SqlitePersonStore::Create(*db_));
    }
    return person_store_.get();
  }

  Result<const app::Settings*> Settings() override {
    if (!settings_) {
      std::string path = g_.config_path;
      if (path.empty()) {
        const char* env = std::getenv("ENROL_CONFIG");
        path = env && *env ? env : "enrol.json";
      }
      if (!std::filesystem::exists(path)) {
        return InvalidArgument("no configuration at " + path +
                               "; pass --config PATH or set ENROL_CONFIG (the demo "
                               "municipality's is config/demo/municipality.json)");
      }
      ENROL_ASSIGN_OR_RETURN(app::Settings s, config::LoadSettings(path));
      settings_ = std::make_unique<app::Settings>(std::move(s));
    }
    return settings_.get();
  }

  Result<app::ExtractOpener*> Opener() override {
    if (!opener_) {
      ENROL_ASSIGN_OR_RETURN(const app::Settings* s, Settings());
      opener_ = std::make_unique<freg::FregExtractOpener>(s->national_ids);
    }
    return opener_.get();
  }

  app::Clock& Clock() override { return clock_; }

  Result<app::CaseQueries*> Queries() override {
    if (!queries_) {
      ENROL_ASSIGN_OR_RETURN(app::CaseEngine* engine, Engine());
      ENROL_ASSIGN_OR_RETURN(app::CaseStore* cases, Cases());
      ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());
      ENROL_ASSIGN_OR_RETURN(app::LetterStore* letters, Letters());
      queries_ = std::make_unique<app::CaseQueries>(*cases, *persons, *letters, *engine);
    }
    return queries_.get();
  }

  Result<app::OperatorQueries*> Operator() override {
    if (!operator_) {
      ENROL_ASSIGN_OR_RETURN(app::CaseStore* cases, Cases());
      ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());
      ENROL_ASSIGN_OR_RETURN(app::LetterStore* letters, Letters());
      operator_ = std::make_unique<app::OperatorQueries>(*cases, *letters, *persons);
    }
    return operator_.get();
  }

 private:
  Result<app::CaseStore*> Cases() {
    if (!case_store_) {
      ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());  // opens and checks the database
      (void)persons;
      ENROL_ASSIGN_OR_RETURN(std::string key, AuditKey());
      ENROL_ASSIGN_OR_RETURN(case_store_, store::SqliteCaseStore::Create(*db_, std::move(key)));
    }
    return case_store_.get();
  }

 public:
  Result<app::LetterRenderer*> Renderer() override {
    if (!renderer_) {
      ENROL_ASSIGN_OR_RETURN(const app::Settings* settings, Settings());
      const core::Municipality& m = settings->municipality;
      letters::Letterhead head{m.name, m.office_name, m.address, m.postnummer + " " + m.poststed,
                               m.org_number, m.phone, m.email, ""};
      if (const auto* l = settings->letters_config.if_object()) {
        if (const auto* logo = l->if_contains("logo"); logo && logo->is_string()) head.logo_png = std::string(logo->get_string());
      }
      const std::string folder = settings->letter_templates.empty() ? "workflows/letters" : settings->letter_templates;
      ENROL_ASSIGN_OR_RETURN(renderer_, letters::TemplateLetterRenderer::Open(folder, head));
    }
    return renderer_.get();
  }

 private:
  Result<app::LetterStore*> Letters() {
    if (!letter_store_) {
      ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());
      (void)persons;
      letter_store_ = std::make_unique<store::SqliteLetterStore>(*db_);
    }
    return letter_store_.get();
  }

 public:
  Result<app::UserService*> Users() override {
    if (!user_service_) {
      ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());  // opens the database, checks its schema
      (void)persons;
      ENROL_ASSIGN_OR_RETURN(const app::Settings* settings, Settings());
      user_store_ = std::make_unique<store::SqliteUserStore>(*db_);
      hasher_ = std::make_unique<auth::Argon2Hasher>();
      user_service_ = std::make_unique<app::UserService>(*user_store_, *hasher_, settings->municipality);
    }
    return user_service_.get();
  }

  Result<app::CaseEngine*> Engine() override {
    if (engine_) return engine_.get();
    ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());
    ENROL_ASSIGN_OR_RETURN(app::CaseStore* cases, Cases());
    ENROL_ASSIGN_OR_RETURN(const app::Settings* settings, Settings());
    ENROL_ASSIGN_OR_RETURN(auto connectors, Connectors(*settings));
    const std::string file = settings->workflow_file.empty() ? "workflows/enrolment.scxml" : settings->workflow_file;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return InvalidArgument("cannot read the workflow definition " + file +
                             " (set workflow.definition in the configuration)");
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto engine = std::make_unique<app::CaseEngine>(*cases, *persons, clock_, ids_, *settings, std::move(connectors));
    auto st = engine->LoadWorkflow(text.str());
    if (!st) return tl::unexpected(st.error().WithContext(file));
    engine_ = std::move(engine);
    return engine_.get();
  }

  std::vector<std::string> InvokeTypes() override {
    return {"letters", "dispatch", "post_status", "student_system", "archive"};
  }

  std::unique_ptr<cli::Services> Another() override { return std::make_unique<ProductionServices>(g_); }

  std::string RandomToken() override {
    unsigned char b[32];
    size_t got = 0;
    while (got < sizeof b) {
      const ssize_t r = getrandom(b + got, sizeof b - got, 0);
      if (r > 0) got += static_cast<size_t>(r);
    }
    static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    uint32_t acc = 0;
    int bits = 0;
    for (unsigned char c : b) {
      acc = (acc << 8) | c;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += kAlphabet[(acc >> bits) & 63];
      }
    }
    if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
    return out;
  }

  void SetStopFlag(const std::atomic<bool>* stop) override {
    stop_ = stop;
    if (db_) db_->SetStopFlag(stop);
    for (auto& c : http_connectors_) c->SetStopFlag(stop);
    if (archive_http_) archive_http_->SetStopFlag(stop);
    if (sis_http_) sis_http_->SetStopFlag(stop);
    if (post_http_) post_http_->SetStopFlag(stop);
    for (auto& t : token_transports_) t->SetStopFlag(stop);
  }

 private:
  Status OpenDatabase() {
    if (db_) return {};
    ENROL_ASSIGN_OR_RETURN(db_, sql::Database::Open(g_.db_path));
    if (stop_) db_->SetStopFlag(stop_);
    return {};
  }

  // Which adapter serves each invoke type. Only the simulators exist yet;
  // they are used when the configuration asks for them by name.
  Result<std::map<std::string, app::Connector*>> Connectors(const app::Settings& settings) {
    ENROL_ASSIGN_OR_RETURN(auto out, SystemConnectors(settings));
    const boost::json::object* c = settings.connectors_config.if_object();
    if (const boost::json::value* a = c ? c->if_contains("archive") : nullptr) {
      ENROL_ASSIGN_OR_RETURN(out["archive"], Archive(settings, *a));
    }
    if (const boost::json::value* a = c ? c->if_contains("student_system") : nullptr) {
      ENROL_ASSIGN_OR_RETURN(out["student_system"], StudentSystem(settings, *a));
    }
    if (const boost::json::value* a = c ? c->if_contains("dispatch") : nullptr) {
      ENROL_RETURN_IF_ERROR(DigitalPost(settings, *a, out));
    }
    return out;
  }

  // The digital-post connector (connectors.dispatch): SvarUt over libcurl,
  // or over a loopback to the SvarUt simulator in this process. It serves
  // the dispatch and post_status invokes.
  Status DigitalPost(const app::Settings& settings, const boost::json::value& section,
                     std::map<std::string, app::Connector*>& out) {
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
    ENROL_ASSIGN_OR_RETURN(app::LetterStore* letters, Letters());
    ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());
    ENROL_ASSIGN_OR_RETURN(app::CaseStore* cases, Cases());
    dispatch_service_ =
        std::make_unique<app::DispatchService>(*persons, *cases, *letters, *svarut_, settings, pc.in_flight);
    post_status_service_ = std::make_unique<app::PostStatusService>(*svarut_, pc.in_flight);
    out["dispatch"] = dispatch_service_.get();
    out["post_status"] = post_status_service_.get();
    return {};
  }

  // `inner` with bearer tokens from an OAuth2 token endpoint of its own, or
  // `inner` itself without oauth2.
  http::Transport* WithTokens(const std::optional<http::OAuth2Settings>& oauth2, http::Transport& inner,
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
  Result<app::Connector*> StudentSystem(const app::Settings& settings, const boost::json::value& section) {
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
    ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());
    ENROL_ASSIGN_OR_RETURN(app::CaseStore* cases, Cases());
    student_system_service_ =
        std::make_unique<app::StudentSystemService>(*persons, *cases, *student_port_, settings, sc.in_flight);
    return static_cast<app::Connector*>(student_system_service_.get());
  }

  // The archive connector (connectors.archive): the Noark 5 or Fiks Arkiv
  // client over libcurl, or over a loopback to the archive simulator in this
  // process; or Fiks Arkiv through a drop folder.
  // It files the rendered letters' PDF/A copies, so the letters must be real.
  Result<app::Connector*> Archive(const app::Settings& settings, const boost::json::value& section) {
    ENROL_ASSIGN_OR_RETURN(archive::ArchiveConfig ac, archive::ParseArchiveConfig(section, settings.source));
    if (!letter_service_) {
      return InvalidArgument(settings.source + ": connectors.archive files the rendered letters; it needs "
                                               "connectors.letters = \"renderer\"");
    }
    if (!ac.drop.folder.empty()) {
      archive_port_ = std::make_unique<archive::FiksArkivFolderClient>(ac.fiks, ac.drop);
      return ArchiveService(settings, ac.in_flight);
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
    return ArchiveService(settings, ac.in_flight);
  }

  Result<app::Connector*> ArchiveService(const app::Settings& settings, int in_flight) {
    ENROL_ASSIGN_OR_RETURN(app::LetterStore* letters, Letters());
    ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());
    ENROL_ASSIGN_OR_RETURN(app::CaseStore* cases, Cases());
    archive_service_ =
        std::make_unique<app::ArchiveService>(*persons, *cases, *letters, *archive_port_, settings, in_flight);
    return static_cast<app::Connector*>(archive_service_.get());
  }

  // The connectors of the invoke types by connectors.mode.
  Result<std::map<std::string, app::Connector*>> SystemConnectors(const app::Settings& settings) {
    const boost::json::object* c = settings.connectors_config.if_object();
    const boost::json::value* mode = c ? c->if_contains("mode") : nullptr;
    if (mode && *mode == "http") {
      // Every invoke type at <base_url>/<type>; today that is the simulated
      // systems served by `enrol simulate-systems`, tomorrow the gateways.
      const boost::json::value* base = c->if_contains("base_url");
      if (!base || !base->is_string()) {
        return InvalidArgument(settings.source + ": connectors.base_url is required with mode \"http\"");
      }
      std::map<std::string, app::Connector*> out;
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
    std::map<std::string, app::Connector*> out = simulators_->All();
    if (const auto* l = c->if_contains("letters"); l && *l == "renderer") {
      // The letters are real: the workflow's letters invoke renders them.
      ENROL_ASSIGN_OR_RETURN(app::LetterRenderer* renderer, Renderer());
      ENROL_ASSIGN_OR_RETURN(app::LetterStore* letters, Letters());
      ENROL_ASSIGN_OR_RETURN(app::PersonStore* persons, Store());
      ENROL_ASSIGN_OR_RETURN(app::CaseStore* cases, Cases());
      letter_service_ = std::make_unique<app::LetterService>(*persons, *cases, *letters, *renderer, settings, clock_);
      out["letters"] = letter_service_.get();
    }
    return out;
  }

  const cli::GlobalOptions& g_;
  SystemClock clock_;
  TimeOrderedIds ids_;
  const std::atomic<bool>* stop_ = nullptr;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<store::SqlitePersonStore> person_store_;
  std::unique_ptr<app::Settings> settings_;
  std::unique_ptr<freg::FregExtractOpener> opener_;
  std::unique_ptr<store::SqliteCaseStore> case_store_;
  std::unique_ptr<letters::TemplateLetterRenderer> renderer_;
  std::unique_ptr<store::SqliteLetterStore> letter_store_;
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
  std::unique_ptr<store::SqliteUserStore> user_store_;
  std::unique_ptr<auth::Argon2Hasher> hasher_;
  std::unique_ptr<app::UserService> user_service_;
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
  std::unique_ptr<app::CaseEngine> engine_;
  std::unique_ptr<app::CaseQueries> queries_;
  std::unique_ptr<app::OperatorQueries> operator_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    enrol::cli::GlobalOptions options;
    ProductionServices services(options);
    return enrol::cli::Main(argc, argv, options, services);
  } catch (const std::exception& e) {
    std::cerr << "enrol: internal error: " << e.what() << "\n";
    return 1;
  }
}
