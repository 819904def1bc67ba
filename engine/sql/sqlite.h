#pragma once
// A thin RAII layer over SQLite: a connection, prepared statements with bound
// parameters only, and transactions that roll back unless committed. Below
// engine/app: the stores (engine/store) and the simulators' own databases
// use it; the SQL dialect stays in those who write the statements.
// Not thread-safe: one Database per thread.

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace enrol::sql {

class Statement;

class Database {
 public:
  // Opens (creating if needed) the file at `path`, with WAL journaling,
  // synchronous=NORMAL and foreign keys on. ":memory:" is allowed.
  [[nodiscard]] static Result<std::unique_ptr<Database>> Open(const std::string& path);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without parameters.
  [[nodiscard]] Status Exec(std::string_view sql);
  // Prepares one statement. The statement must not outlive the database.
  [[nodiscard]] Result<Statement> Prepare(std::string_view sql);
  [[nodiscard]] int64_t LastInsertRowId() const;
  [[nodiscard]] int Changes() const;
  [[nodiscard]] const std::string& path() const { return path_; }
  // While another connection holds the lock, statements wait up to 5 s
  // (then fail with kAborted); with `stop`, they give up as soon as it is
  // true, so a stopping process does not sit in a lock wait.
  void SetStopFlag(const std::atomic<bool>* stop);
  sqlite3* handle() { return db_; }

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  const std::atomic<bool>* stop_ = nullptr;
};

class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  // Binding (1-based index). Text is copied by SQLite.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, std::string_view text);
  Statement& Bind(int index, const char* text) { return Bind(index, std::string_view(text)); }
  Statement& Bind(int index, const std::string& text) { return Bind(index, std::string_view(text)); }
  Statement& BindNull(int index);
  // Binds bytes as a BLOB (copied by SQLite).
  Statement& BindBlob(int index, std::string_view bytes);
  // Binds text without copying it: `text` must stay valid and unchanged until
  // the statement is reset (Run() resets).
  Statement& BindUnowned(int index, std::string_view text);

  // Advances: true when a row is available, false when done.
  [[nodiscard]] Result<bool> Step();
  // Runs to completion (for statements that return no rows) and resets.
  [[nodiscard]] Status Run();
  // Resets for re-execution and clears bindings.
  void Reset();

  [[nodiscard]] int64_t ColumnInt(int col) const;
  [[nodiscard]] std::string ColumnText(int col) const;
  [[nodiscard]] std::string_view ColumnView(int col) const;  // valid until next Step
  [[nodiscard]] bool ColumnIsNull(int col) const;

 private:
  friend class Database;
  Statement(sqlite3_stmt* stmt, sqlite3* db) : stmt_(stmt), db_(db) {}
  sqlite3_stmt* stmt_;
  sqlite3* db_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless Commit()
// succeeded. Commit failing leaves the transaction rolled back.
class Transaction {
 public:
  [[nodiscard]] static Result<Transaction> Begin(Database& db);
  Transaction(Transaction&& other) noexcept : db_(other.db_) { other.db_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  [[nodiscard]] Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

// Reads every row of `q` with `read` (Statement& -> T).
template <typename T, typename Read>
[[nodiscard]] Result<std::vector<T>> CollectRows(Statement& q, Read read) {
  std::vector<T> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.push_back(read(q));
  }
  return out;
}

}  // namespace enrol::sql
