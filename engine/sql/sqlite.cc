#include "engine/sql/sqlite.h"

#include <unistd.h>

#include <filesystem>

#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

namespace enrol::sql {

namespace {

Error SqlError(sqlite3* db, std::string_view what) {
  const int code = sqlite3_errcode(db);
  ErrorCode ec = ErrorCode::kInternal;
  if (code == SQLITE_BUSY || code == SQLITE_LOCKED) ec = ErrorCode::kAborted;
  if (code == SQLITE_CANTOPEN || code == SQLITE_FULL || code == SQLITE_IOERR ||
      code == SQLITE_READONLY) {
    ec = ErrorCode::kUnavailable;
  }
  if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) ec = ErrorCode::kFailedPrecondition;
  if (code == SQLITE_CONSTRAINT) ec = ErrorCode::kAlreadyExists;
  if (ec == ErrorCode::kAborted) {
    // Said without SQL: this one reaches people (the caller may try again).
    return Error{ec, "the database is busy: another writer (an import, a worker or another enrol process) held it "
                     "longer than this waits; nothing was changed, try again"};
  }
  if (code == SQLITE_FULL || (code & 0xff) == SQLITE_IOERR) {
    // Said with the file it is about, and what it means for the data.
    const char* file = sqlite3_db_filename(db, "main");
    return Error{ec, std::string(code == SQLITE_FULL ? "the disk holding the database " : "cannot write the database ") +
                         (file && *file ? file : "(in memory)") + " " +
                         (code == SQLITE_FULL ? "is full" : "(" + std::string(sqlite3_errmsg(db)) + ")") +
                         ": the step that hit it was not written; free space, then run the command again"};
  }
  return Error{ec, std::string(what) + ": " + sqlite3_errmsg(db)};
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path) {
  // A database this user may not write (an archived copy, a read-only
  // mount) is opened read-only: the commands that only read still work, and
  // one that writes gets SQLite's "attempt to write a readonly database".
  // Its WAL index cannot be shared without write access, so it is read as
  // immutable: nobody may be writing it meanwhile.
  const bool exists = ::access(path.c_str(), F_OK) == 0;
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const bool read_only = exists && (::access(path.c_str(), W_OK) != 0 ||
                                    ::access(dir.empty() ? "." : dir.c_str(), W_OK) != 0);
  sqlite3* db = nullptr;
  const std::string name = read_only ? "file:" + path + "?immutable=1" : path;
  const int flags = read_only ? SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX
                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(name.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return Unavailable("cannot open database " + path + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  std::unique_ptr<Database> d(new Database(db, path));
  // A file that is not SQLite fails here, on the first read.
  // 4 KiB pages (SQLite's default; a new, empty database only): the worker
  // commits each few outcomes, and every commit writes each page it touched
  // to the WAL whole. 16 KiB pages made the import 10% faster but the worker
  // write 2.4 times the bytes.
  auto st = read_only ? d->Exec("PRAGMA foreign_keys=ON; PRAGMA cache_size=-16000; PRAGMA temp_store=MEMORY;"
                                "SELECT COUNT(*) FROM sqlite_master;")
                      : d->Exec(
      "PRAGMA page_size=4096; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA wal_autocheckpoint=8000; PRAGMA journal_size_limit=67108864;"
      "PRAGMA cache_size=-16000; PRAGMA temp_store=MEMORY;");
  if (!st) {
    return Fail(st.error().code,
                "cannot use " + path + " as an enrol database: " + st.error().message);
  }
  return d;
}

Database::~Database() { sqlite3_close_v2(db_); }

namespace {
int WaitForLock(void* stop, int calls) {
  const auto* flag = static_cast<const std::atomic<bool>*>(stop);
  if ((flag && *flag) || calls >= 1000) return 0;  // 1000 x 5 ms
  sqlite3_sleep(5);
  return 1;
}
}  // namespace

void Database::SetStopFlag(const std::atomic<bool>* stop) {
  stop_ = stop;
  sqlite3_busy_handler(db_, WaitForLock, const_cast<std::atomic<bool>*>(stop));
}

Status Database::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string s(sql);
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    Error e = SqlError(db_, "SQL failed");
    if (err) sqlite3_free(err);
    return tl::unexpected(e);
  }
  return {};
}

Result<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr) !=
      SQLITE_OK) {
    return tl::unexpected(SqlError(db_, "cannot prepare statement"));
  }
  return Statement(stmt, db_);
}

int64_t Database::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }
int Database::Changes() const { return sqlite3_changes(db_); }

Statement::Statement(Statement&& o) noexcept : stmt_(o.stmt_), db_(o.db_) { o.stmt_ = nullptr; }
Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    stmt_ = o.stmt_;
    db_ = o.db_;
    o.stmt_ = nullptr;
  }
  return *this;
}
Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int i, int64_t v) {
  sqlite3_bind_int64(stmt_, i, v);
  return *this;
}
Statement& Statement::Bind(int i, std::string_view t) {
  sqlite3_bind_text(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindUnowned(int i, std::string_view t) {
  sqlite3_bind_text(stmt_, i, t.data(), static_cast<int>(t.size()), SQLITE_STATIC);
  return *this;
}
Statement& Statement::BindBlob(int i, std::string_view b) {
  sqlite3_bind_blob(stmt_, i, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
  return *this;
}
Statement& Statement::BindNull(int i) {
  sqlite3_bind_null(stmt_, i);
  return *this;
}

Result<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Error e = SqlError(db_, "SQL step failed");
  sqlite3_reset(stmt_);
  return tl::unexpected(e);
}

Status Statement::Run() {
  auto r = Step();
  Reset();
  if (!r) return tl::unexpected(r.error());
  return {};
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int c) const { return sqlite3_column_int64(stmt_, c); }
std::string Statement::ColumnText(int c) const { return std::string(ColumnView(c)); }
std::string_view Statement::ColumnView(int c) const {
  if (sqlite3_column_type(stmt_, c) == SQLITE_BLOB) {
    const auto* b = static_cast<const char*>(sqlite3_column_blob(stmt_, c));
    return b ? std::string_view(b, static_cast<size_t>(sqlite3_column_bytes(stmt_, c))) : std::string_view();
  }
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, c));
  if (!p) return {};
  return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, c)));
}
bool Statement::ColumnIsNull(int c) const { return sqlite3_column_type(stmt_, c) == SQLITE_NULL; }

Result<Transaction> Transaction::Begin(Database& db) {
  ENROL_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  return Transaction(&db);
}

Transaction::~Transaction() {
  if (db_) (void)db_->Exec("ROLLBACK");
}

Status Transaction::Commit() {
  Database* db = db_;
  db_ = nullptr;
  auto st = db->Exec("COMMIT");
  if (!st) (void)db->Exec("ROLLBACK");
  return st;
}

}  // namespace enrol::sql
