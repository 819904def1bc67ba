#pragma once
// LetterStore on SQLite (schemas/migrations/0003_letters.sql).

#include <memory>

#include "engine/app/letter_ports.h"
#include "engine/sql/sqlite.h"

namespace enrol::store {

class SqliteLetterStore final : public app::LetterStore {
 public:
  explicit SqliteLetterStore(sql::Database& db) : db_(db) {}
  Result<std::vector<app::StoredLetter>> ByJobKey(const std::string& key) override;
  Result<int> AddVersion(int64_t case_id, std::vector<app::StoredLetter> copies) override;
  Result<std::vector<app::StoredLetter>> OfCase(int64_t case_id, bool all) override;
  Status Screen(const app::StoredLetter& screened) override;

 private:
  Result<std::vector<app::StoredLetter>> Rows(sql::Statement& q);
  sql::Database& db_;
};

}  // namespace enrol::store
