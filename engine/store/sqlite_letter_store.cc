#include "engine/store/sqlite_letter_store.h"

namespace enrol::store {
namespace {

constexpr const char* kColumns =
    "id, case_id, version, copy, copies, job_key, template, template_version, data, pdf, pdf_sha256, pdfa, "
    "pdfa_sha256, status, created_at";

}  // namespace

Result<std::vector<app::StoredLetter>> SqliteLetterStore::Rows(sql::Statement& q) {
  return sql::CollectRows<app::StoredLetter>(q, [](sql::Statement& r) {
    app::StoredLetter l;
    l.id = r.ColumnInt(0);
    l.case_id = r.ColumnInt(1);
    l.version = static_cast<int>(r.ColumnInt(2));
    l.copy = static_cast<int>(r.ColumnInt(3));
    l.copies = static_cast<int>(r.ColumnInt(4));
    l.job_key = r.ColumnText(5);
    l.template_name = r.ColumnText(6);
    l.template_version = r.ColumnText(7);
    l.data = r.ColumnText(8);
    l.pdf = r.ColumnText(9);
    l.pdf_sha256 = r.ColumnText(10);
    l.pdfa = r.ColumnText(11);
    l.pdfa_sha256 = r.ColumnText(12);
    l.status = r.ColumnText(13);
    l.created_at = r.ColumnText(14);
    return l;
  });
}

Result<std::vector<app::StoredLetter>> SqliteLetterStore::ByJobKey(const std::string& key) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(std::string("SELECT ") + kColumns +
                                                  " FROM letters WHERE job_key=? ORDER BY copy"));
  q.Bind(1, key);
  return Rows(q);
}

Result<int> SqliteLetterStore::AddVersion(int64_t case_id, std::vector<app::StoredLetter> copies) {
  ENROL_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db_));
  ENROL_ASSIGN_OR_RETURN(sql::Statement next, db_.Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM letters WHERE case_id=?"));
  next.Bind(1, case_id);
  ENROL_ASSIGN_OR_RETURN(bool row, next.Step());
  const int version = row ? static_cast<int>(next.ColumnInt(0)) : 1;
  ENROL_ASSIGN_OR_RETURN(sql::Statement old, db_.Prepare("UPDATE letters SET status='superseded' WHERE case_id=? AND status='current'"));
  ENROL_RETURN_IF_ERROR(old.Bind(1, case_id).Run());
  ENROL_ASSIGN_OR_RETURN(sql::Statement ins, db_.Prepare(
      "INSERT INTO letters(case_id, version, copy, copies, job_key, template, template_version, data, pdf, "
      "pdf_sha256, pdfa, pdfa_sha256, status, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,'current',?)"));
  for (const app::StoredLetter& l : copies) {
    ENROL_RETURN_IF_ERROR(ins.Bind(1, case_id).Bind(2, version).Bind(3, l.copy).Bind(4, l.copies).Bind(5, l.job_key)
                              .Bind(6, l.template_name).Bind(7, l.template_version).Bind(8, l.data)
                              .BindBlob(9, l.pdf).Bind(10, l.pdf_sha256).BindBlob(11, l.pdfa).Bind(12, l.pdfa_sha256)
                              .Bind(13, l.created_at).Run());
  }
  ENROL_RETURN_IF_ERROR(tx.Commit());
  return version;
}

Result<std::vector<app::StoredLetter>> SqliteLetterStore::OfCase(int64_t case_id, bool all) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(std::string("SELECT ") + kColumns + " FROM letters WHERE case_id=?" +
                                                  (all ? "" : " AND status='current'") + " ORDER BY version, copy"));
  q.Bind(1, case_id);
  return Rows(q);
}

Status SqliteLetterStore::Screen(const app::StoredLetter& l) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "UPDATE letters SET data=?, pdf=?, pdf_sha256=?, pdfa=?, pdfa_sha256=?, template_version=? WHERE id=?"));
  ENROL_RETURN_IF_ERROR(q.Bind(1, l.data).BindBlob(2, l.pdf).Bind(3, l.pdf_sha256).BindBlob(4, l.pdfa)
                            .Bind(5, l.pdfa_sha256).Bind(6, l.template_version).Bind(7, l.id).Run());
  if (db_.Changes() != 1) return NotFound("no stored letter " + std::to_string(l.id));
  return {};
}

}  // namespace enrol::store
