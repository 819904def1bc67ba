// The composition root: the one place that picks concrete adapters (with
// the connector registry, engine/connector_registry.h).
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

#include "connectors/files/batch_files.h"
#include "connectors/register/freg_reader.h"
#include "engine/app/case_queries.h"
#include "engine/app/operator_queries.h"
#include "engine/auth/argon2_hasher.h"
#include "engine/cli/services.h"
#include "engine/config/config_loader.h"
#include "engine/connector_registry.h"
#include "engine/letters/template_renderer.h"
#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"
#include "engine/store/sqlite_case_store.h"
#include "engine/store/sqlite_letter_store.h"
#include "engine/store/sqlite_person_store.h"
#include "engine/store/sqlite_user_store.h"

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

// The application of one thread, built up front in two tiers, each in one
// place and in its order: the stores over the database (what every command
// that reads the database needs), then the engine with its workflow,
// connectors (by the registry) and queries (what commands that act need).
// Another() builds the same for another thread, with its own connection.
class ProductionServices final : public cli::Services {
 public:
  explicit ProductionServices(const cli::GlobalOptions& g) : g_(g) {}

  Result<int> InitDatabase() override {
    ENROL_RETURN_IF_ERROR(OpenDatabase());
    ENROL_RETURN_IF_ERROR(store::Migrate(*db_));
    return store::SchemaVersion(*db_);
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
      opener_ = std::make_unique<freg::FregExtractOpener>(settings_->national_ids);
    }
    return settings_.get();
  }

  Result<app::ExtractOpener*> Opener() override {
    ENROL_RETURN_IF_ERROR(Settings());
    return opener_.get();
  }

  app::Clock& Clock() override { return clock_; }

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

  Result<app::PersonStore*> Store() override {
    ENROL_RETURN_IF_ERROR(OpenStores());
    return stores_->persons.get();
  }
  // The users' rules need the municipality's schools: the configuration.
  Result<app::UserService*> Users() override {
    ENROL_RETURN_IF_ERROR(OpenStores());
    ENROL_ASSIGN_OR_RETURN(const app::Settings* settings, Settings());
    if (!users_) users_ = std::make_unique<app::UserService>(*stores_->user_store, *stores_->hasher, settings->municipality);
    return users_.get();
  }
  Result<app::OperatorQueries*> Operator() override {
    ENROL_RETURN_IF_ERROR(OpenStores());
    return stores_->operator_queries.get();
  }
  Result<app::CaseEngine*> Engine() override {
    ENROL_RETURN_IF_ERROR(BuildEngine());
    return engine_->engine.get();
  }
  Result<app::CaseQueries*> Queries() override {
    ENROL_RETURN_IF_ERROR(BuildEngine());
    return engine_->queries.get();
  }
  // With the letter templates (which not every command needs).
  Result<app::PrintBatchService*> PrintBatches() override {
    ENROL_RETURN_IF_ERROR(BuildEngine());
    if (!engine_->print_batches) {
      ENROL_ASSIGN_OR_RETURN(app::LetterRenderer* renderer, Renderer());
      ENROL_ASSIGN_OR_RETURN(const app::Settings* settings, Settings());
      engine_->batch_files = std::make_unique<files::DurableBatchFiles>(g_.db_path);
      engine_->print_batches = std::make_unique<app::PrintBatchService>(
          *engine_->engine, *stores_->cases, *stores_->letters, *stores_->persons, *renderer, *engine_->batch_files,
          *settings);
    }
    return engine_->print_batches.get();
  }

  std::vector<std::string> InvokeTypes() override { return ConnectorRegistry::InvokeTypes(); }

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
    if (engine_) engine_->connectors.SetStopFlag(stop);
  }

 private:
  // The stores over one connection, and what reads or changes them alone.
  struct Stores {
    std::unique_ptr<store::SqlitePersonStore> persons;
    std::unique_ptr<store::SqliteCaseStore> cases;
    std::unique_ptr<store::SqliteLetterStore> letters;
    std::unique_ptr<store::SqliteUserStore> user_store;
    std::unique_ptr<auth::Argon2Hasher> hasher;
    std::unique_ptr<app::OperatorQueries> operator_queries;
  };
  // The engine, its connectors and the queries that read through it.
  struct EngineTier {
    std::unique_ptr<ConnectorDeps> deps;
    ConnectorRegistry connectors;
    std::unique_ptr<app::CaseEngine> engine;
    std::unique_ptr<app::CaseQueries> queries;
    std::unique_ptr<files::DurableBatchFiles> batch_files;
    std::unique_ptr<app::PrintBatchService> print_batches;
  };

  Status OpenDatabase() {
    if (db_) return {};
    ENROL_ASSIGN_OR_RETURN(db_, sql::Database::Open(g_.db_path));
    if (stop_) db_->SetStopFlag(stop_);
    return {};
  }

  // An existing database at the schema this enrol knows.
  Status CheckSchema() {
    if (!std::filesystem::exists(g_.db_path)) {
      return FailedPrecondition("no database at " + g_.db_path + "; create it with `enrol --db " + g_.db_path +
                                " init`");
    }
    ENROL_RETURN_IF_ERROR(OpenDatabase());
    ENROL_ASSIGN_OR_RETURN(int version, store::SchemaVersion(*db_));
    if (version < store::LatestSchemaVersion()) {
      return FailedPrecondition("database " + g_.db_path + " is at schema version " + std::to_string(version) +
                                ", this enrol needs " + std::to_string(store::LatestSchemaVersion()) +
                                "; upgrade it with `enrol init`");
    }
    if (version > store::LatestSchemaVersion()) {
      return FailedPrecondition("database " + g_.db_path + " is at schema version " + std::to_string(version) +
                                ", newer than this enrol knows (" + std::to_string(store::LatestSchemaVersion()) +
                                "); use the enrol that wrote it, or a newer one");
    }
    return {};
  }

  Status OpenStores() {
    if (stores_) return {};
    ENROL_RETURN_IF_ERROR(CheckSchema());
    auto s = std::make_unique<Stores>();
    ENROL_ASSIGN_OR_RETURN(s->persons, store::SqlitePersonStore::Create(*db_));
    ENROL_ASSIGN_OR_RETURN(std::string key, AuditKey());
    ENROL_ASSIGN_OR_RETURN(s->cases, store::SqliteCaseStore::Create(*db_, std::move(key)));
    s->letters = std::make_unique<store::SqliteLetterStore>(*db_);
    s->user_store = std::make_unique<store::SqliteUserStore>(*db_);
    s->hasher = std::make_unique<auth::Argon2Hasher>();
    s->operator_queries = std::make_unique<app::OperatorQueries>(*s->cases, *s->letters, *s->persons);
    stores_ = std::move(s);
    return {};
  }

  Status BuildEngine() {
    if (engine_) return {};
    ENROL_RETURN_IF_ERROR(OpenStores());
    ENROL_ASSIGN_OR_RETURN(const app::Settings* settings, Settings());
    const std::string file = settings->workflow_file.empty() ? "workflows/enrolment.scxml" : settings->workflow_file;
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      return InvalidArgument("cannot read the workflow definition " + file +
                             " (set workflow.definition in the configuration)");
    }
    std::ostringstream text;
    text << in.rdbuf();
    auto e = std::make_unique<EngineTier>();
    e->deps = std::make_unique<ConnectorDeps>(ConnectorDeps{
        *stores_->persons, *stores_->cases, *stores_->letters, [this] { return Renderer(); }, clock_});
    e->connectors.SetStopFlag(stop_);
    ENROL_ASSIGN_OR_RETURN(Connectors connectors, e->connectors.Build(*settings, *e->deps));
    e->engine = std::make_unique<app::CaseEngine>(*stores_->cases, *stores_->persons, clock_, ids_, *settings,
                                                  std::move(connectors));
    if (auto st = e->engine->LoadWorkflow(text.str()); !st) return tl::unexpected(st.error().WithContext(file));
    e->queries = std::make_unique<app::CaseQueries>(*stores_->cases, *stores_->persons, *stores_->letters, *e->engine,
                                                    e->connectors.Screener());

    engine_ = std::move(e);
    return {};
  }

  const cli::GlobalOptions& g_;
  SystemClock clock_;
  TimeOrderedIds ids_;
  const std::atomic<bool>* stop_ = nullptr;
  std::unique_ptr<app::Settings> settings_;
  std::unique_ptr<freg::FregExtractOpener> opener_;
  std::unique_ptr<letters::TemplateLetterRenderer> renderer_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<Stores> stores_;
  std::unique_ptr<app::UserService> users_;
  std::unique_ptr<EngineTier> engine_;
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
