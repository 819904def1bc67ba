#include "engine/store/schema_migrations.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace enrol::store {

// Defined in the generated migrations.cc.
const std::vector<std::pair<std::string_view, std::string_view>>& EmbeddedMigrations();

int LatestSchemaVersion() {
  int latest = 0;
  for (const auto& [name, sql] : EmbeddedMigrations()) {
    latest = std::max(latest, std::stoi(std::string(name.substr(0, 4))));
  }
  return latest;
}

Result<int> SchemaVersion(sql::Database& db) {
  // Reads only: a database that was never migrated is at version 0.
  ENROL_ASSIGN_OR_RETURN(sql::Statement t, db.Prepare(
      "SELECT 1 FROM sqlite_master WHERE type='table' AND name='schema_migrations'"));
  ENROL_ASSIGN_OR_RETURN(bool exists, t.Step());
  if (!exists) return 0;
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db.Prepare("SELECT COALESCE(MAX(version),0) FROM schema_migrations"));
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? static_cast<int>(q.ColumnInt(0)) : 0;
}

Status Migrate(sql::Database& db) {
  ENROL_RETURN_IF_ERROR(db.Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations("
      " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"));
  ENROL_ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  int known = 0;
  for (const auto& [name, sql] : EmbeddedMigrations()) {
    const int version = std::stoi(std::string(name.substr(0, 4)));
    known = std::max(known, version);
    if (version <= current) continue;
    ENROL_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db));
    auto st = db.Exec(sql);
    if (!st) return tl::unexpected(st.error().WithContext("migration " + std::string(name)));
    ENROL_ASSIGN_OR_RETURN(sql::Statement ins, db.Prepare(
        "INSERT INTO schema_migrations(version, name, applied_at) VALUES(?,?,datetime('now'))"));
    ENROL_RETURN_IF_ERROR(ins.Bind(1, version).Bind(2, name).Run());
    ENROL_RETURN_IF_ERROR(tx.Commit());
  }
  if (current > known) {
    return FailedPrecondition("database " + db.path() + " has schema version " +
                              std::to_string(current) + ", newer than this enrol knows (" +
                              std::to_string(known) + "); use a newer enrol");
  }
  return {};
}

}  // namespace enrol::store
