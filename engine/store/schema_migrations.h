#pragma once
// The numbered migrations of the enrol database (schemas/migrations/*.sql,
// embedded at build time).

#include "engine/core/result.h"
#include "engine/sql/sqlite.h"

namespace enrol::store {

// Applies the numbered migrations embedded from schemas/migrations that the
// database has not seen yet, each in its own transaction. Refuses a database
// written by a newer enrol (a migration number it does not know).
[[nodiscard]] Status Migrate(sql::Database& db);

// The newest schema version this build knows.
int LatestSchemaVersion();

// The schema version the database is at (0 for a new file).
[[nodiscard]] Result<int> SchemaVersion(sql::Database& db);

}  // namespace enrol::store
