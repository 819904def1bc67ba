// The PrintBatches port on SQLite (tables print_batches, print_batch_cases).
#include "engine/store/sqlite_case_store.h"

#include <boost/json.hpp>

#include "engine/store/sqlite_case_store_parts.h"

namespace enrol::store {
namespace json = boost::json;
using namespace detail;

Result<std::optional<app::PrintBatch>> SqliteCaseStore::ReadBatch(sql::Statement& q) {
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<app::PrintBatch>();
  app::PrintBatch b;
  b.id = q.ColumnInt(0);
  b.school = q.ColumnText(1);
  b.file = q.ColumnText(2);
  b.status = q.ColumnText(3);
  b.sha256 = q.ColumnText(4);
  b.created_at = q.ColumnText(5);
  b.finished_at = q.ColumnText(6);
  ENROL_ASSIGN_OR_RETURN(sql::Statement cases, db_.Prepare(
      "SELECT case_id, letter_version, copies FROM print_batch_cases WHERE batch_id=? ORDER BY case_id"));
  cases.Bind(1, b.id);
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool more, cases.Step());
    if (!more) break;
    app::PrintBatchCase c;
    c.case_id = cases.ColumnInt(0);
    c.letter_version = cases.ColumnInt(1);
    const json::value copies = Parse(cases.ColumnText(2));
    if (!copies.is_array()) return Internal("print batch " + std::to_string(b.id) + ": its copies do not read");
    for (const json::value& n : copies.get_array()) {
      if (!n.is_int64()) return Internal("print batch " + std::to_string(b.id) + ": its copies do not read");
      c.copies.push_back(static_cast<int>(n.get_int64()));
    }
    b.cases.push_back(std::move(c));
  }
  return std::optional<app::PrintBatch>(std::move(b));
}

namespace {
constexpr const char* kBatchColumns = "id, school, file, status, sha256, created_at, finished_at";
}  // namespace

Result<std::optional<app::PrintBatch>> SqliteCaseStore::OpenBatch(const std::string& school) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(std::string("SELECT ") + kBatchColumns +
                                                       " FROM print_batches WHERE school=? AND status='open'"));
  q.Bind(1, school);
  return ReadBatch(q);
}

Result<std::optional<app::PrintBatch>> SqliteCaseStore::FindBatch(int64_t id) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q,
                         db_.Prepare(std::string("SELECT ") + kBatchColumns + " FROM print_batches WHERE id=?"));
  q.Bind(1, id);
  return ReadBatch(q);
}

Result<int64_t> SqliteCaseStore::InsertBatch(const app::PrintBatch& b) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT INTO print_batches(school, file, status, created_at) VALUES(?,?,'open',?)"));
  ENROL_RETURN_IF_ERROR(q.Bind(1, b.school).Bind(2, b.file).Bind(3, b.created_at).Run());
  const int64_t id = db_.LastInsertRowId();
  ENROL_ASSIGN_OR_RETURN(sql::Statement c, db_.Prepare(
      "INSERT INTO print_batch_cases(batch_id, case_id, letter_version, copies) VALUES(?,?,?,?)"));
  for (const app::PrintBatchCase& pc : b.cases) {
    json::array copies;
    for (int n : pc.copies) copies.push_back(n);
    c.Reset();
    ENROL_RETURN_IF_ERROR(c.Bind(1, id).Bind(2, pc.case_id).Bind(3, pc.letter_version)
                              .Bind(4, json::serialize(copies)).Run());
  }
  return id;
}

Status SqliteCaseStore::FinishBatch(int64_t id, const std::string& sha256, const std::string& at) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "UPDATE print_batches SET status='done', sha256=?, finished_at=? WHERE id=? AND status='open'"));
  ENROL_RETURN_IF_ERROR(q.Bind(1, sha256).Bind(2, at).Bind(3, id).Run());
  if (db_.Changes() != 1) return FailedPrecondition("print batch " + std::to_string(id) + " is not open");
  return {};
}

}  // namespace enrol::store
