#pragma once
// PersonStore on SQLite (tables of schemas/migrations/0001_register.sql).

#include <memory>
#include <optional>

#include "engine/app/ports.h"
#include "engine/sql/sqlite.h"

namespace enrol::store {

class SqlitePersonStore final : public app::PersonStore {
 public:
  // `db` must be migrated and outlive the store.
  [[nodiscard]] static Result<std::unique_ptr<SqlitePersonStore>> Create(sql::Database& db);

  Status BeginImport() override;
  Status CommitImport() override;
  void AbortImport() override;
  Result<int64_t> CreateImport(std::string_view started_at) override;
  Result<std::optional<int64_t>> ImportOfFile(std::string_view sha256) override;
  Result<app::UpsertResult> Upsert(const core::Person& person, int64_t import_id) override;
  Status RecordChange(int64_t import_id, int64_t key, core::PersonChange change) override;
  Status RecordFile(int64_t import_id, std::string_view path, std::string_view sha256,
                    std::string_view format, int records, int64_t bytes) override;
  Status RecordIssue(int64_t import_id, std::string_view path, int record, int line,
                     std::string_view field, std::string_view message) override;
  Status FinishImport(int64_t import_id, const app::ImportCounts& counts,
                      std::string_view finished_at) override;
  Result<std::vector<app::StoredPerson>> PersonsBornIn(int year) override;
  Result<std::optional<app::StoredPerson>> FindByKey(int64_t key) override;
  Result<std::optional<app::StoredPerson>> FindByNin(std::string_view nin) override;
  Result<std::vector<app::ImportInfo>> Imports() override;
  Result<int64_t> LatestImport() override;
  Result<std::vector<std::pair<int64_t, std::string>>> ChangesOf(int64_t key) override;

  Result<std::vector<app::StoredPerson>> HouseholdWithGradering(int64_t child_key) override;

 private:
  explicit SqlitePersonStore(sql::Database& db) : db_(db) {}
  Result<std::optional<app::StoredPerson>> FindOne(sql::Statement& q);

  sql::Database& db_;
  std::optional<sql::Transaction> tx_;
  std::optional<sql::Statement> find_nin_, insert_, update_, touch_, change_, by_nin_, by_key_, household_, latest_import_;
};

}  // namespace enrol::store
