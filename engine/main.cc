// The composition root: the one place that picks concrete adapters.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>

#include "connectors/register/freg_reader.h"
#include "engine/cli/services.h"
#include "engine/config/config_loader.h"
#include "engine/store/sqlite.h"
#include "engine/store/sqlite_person_store.h"

namespace {

using namespace enrol;

class SystemClock final : public app::Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
};

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

  std::vector<std::string> InvokeTypes() override {
    return {"letters", "dispatch", "student_system", "archive"};
  }

 private:
  Status OpenDatabase() {
    if (db_) return {};
    ENROL_ASSIGN_OR_RETURN(db_, store::Database::Open(g_.db_path));
    return {};
  }

  const cli::GlobalOptions& g_;
  SystemClock clock_;
  std::unique_ptr<store::Database> db_;
  std::unique_ptr<store::SqlitePersonStore> person_store_;
  std::unique_ptr<app::Settings> settings_;
  std::unique_ptr<freg::FregExtractOpener> opener_;
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
