#pragma once
// UserStore on SQLite (schemas/migrations/0005_users.sql).

#include "engine/app/users.h"
#include "engine/sql/sqlite.h"

namespace enrol::store {

class SqliteUserStore final : public app::UserStore {
 public:
  explicit SqliteUserStore(sql::Database& db) : db_(db) {}
  Result<std::optional<app::User>> FindUser(const std::string& name) override;
  Status InsertUser(const app::User& u) override;
  Status UpdateUser(const app::User& u) override;
  Result<std::vector<app::User>> ListUsers() override;
  Status AddActiveTime(const std::string& name, const std::string& role, const std::string& day, int64_t ms) override;
  Result<int64_t> ActiveTime(const std::string& role) override;

 private:
  sql::Database& db_;
};

}  // namespace enrol::store
