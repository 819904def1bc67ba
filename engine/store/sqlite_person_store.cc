#include "engine/store/sqlite_person_store.h"

#include "engine/store/person_codec.h"

namespace enrol::store {

Result<std::unique_ptr<SqlitePersonStore>> SqlitePersonStore::Create(sql::Database& db) {
  std::unique_ptr<SqlitePersonStore> s(new SqlitePersonStore(db));
  ENROL_ASSIGN_OR_RETURN(s->find_nin_,
                         db.Prepare("SELECT id, record, last_import FROM persons WHERE nin=?"));
  ENROL_ASSIGN_OR_RETURN(s->insert_, db.Prepare(
      "INSERT INTO persons(nin, birth_year, record, first_import, last_import) "
      "VALUES(?,?,?,?,?) ON CONFLICT(nin) DO NOTHING"));
  ENROL_ASSIGN_OR_RETURN(s->update_, db.Prepare(
      "UPDATE persons SET birth_year=?, record=?, last_import=? WHERE id=?"));
  ENROL_ASSIGN_OR_RETURN(s->touch_, db.Prepare("UPDATE persons SET last_import=? WHERE id=?"));
  ENROL_ASSIGN_OR_RETURN(s->by_nin_, db.Prepare("SELECT id, record FROM persons WHERE nin=?"));
  ENROL_ASSIGN_OR_RETURN(s->by_key_, db.Prepare("SELECT id, record FROM persons WHERE id=?"));
  // The codec (person_codec.cc) writes a gradering only when it is not
  // ugradert: "ab" on the person, "g" on the home (h), stay (o) and shared
  // home (db) addresses; a guardian's id is "g" in a responsibility (fa).
  ENROL_ASSIGN_OR_RETURN(s->household_, db.Prepare(
      "SELECT p.id, p.record FROM persons p WHERE (p.id=?1 OR p.nin IN ("
      "  SELECT f.value->>'g' FROM persons c, json_each(c.record, '$.fa') f WHERE c.id=?1)) "
      "AND (p.record->>'ab' IS NOT NULL OR p.record->>'$.h.g' IS NOT NULL OR p.record->>'$.o.g' IS NOT NULL "
      "  OR EXISTS (SELECT 1 FROM json_each(p.record, '$.db') d WHERE d.value->>'g' IS NOT NULL))"));
  ENROL_ASSIGN_OR_RETURN(s->change_, db.Prepare(
      "INSERT OR IGNORE INTO person_changes(import_id, person_id, kind) VALUES(?,?,?)"));
  ENROL_ASSIGN_OR_RETURN(s->latest_import_, db.Prepare("SELECT coalesce(MAX(id), 0) FROM imports"));
  return s;
}

Status SqlitePersonStore::BeginImport() {
  if (tx_) return FailedPrecondition("an import is already running on this connection");
  // A bigger page cache keeps the import's dirty pages in memory instead of
  // spilling them to the WAL mid-transaction (64 MiB; RSS stays well bounded).
  ENROL_RETURN_IF_ERROR(db_.Exec("PRAGMA cache_size=-65536"));
  ENROL_ASSIGN_OR_RETURN(sql::Transaction tx, sql::Transaction::Begin(db_));
  tx_.emplace(std::move(tx));
  return {};
}

Status SqlitePersonStore::CommitImport() {
  if (!tx_) return FailedPrecondition("no import is running");
  auto st = tx_->Commit();
  tx_.reset();
  (void)db_.Exec("PRAGMA cache_size=-16000");
  return st;
}

void SqlitePersonStore::AbortImport() {
  tx_.reset();
  (void)db_.Exec("PRAGMA cache_size=-16000");
}

Result<int64_t> SqlitePersonStore::CreateImport(std::string_view started_at) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT INTO imports(started_at, finished_at, records, new_persons, changed, unchanged, "
      "skipped) VALUES(?, '', 0, 0, 0, 0, 0)"));
  ENROL_RETURN_IF_ERROR(q.Bind(1, started_at).Run());
  return db_.LastInsertRowId();
}

Result<std::optional<int64_t>> SqlitePersonStore::ImportOfFile(std::string_view sha256) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q,
                         db_.Prepare("SELECT import_id FROM import_files WHERE sha256=?"));
  q.Bind(1, sha256);
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<int64_t>();
  return std::optional<int64_t>(q.ColumnInt(0));
}

Result<app::UpsertResult> SqlitePersonStore::Upsert(const core::Person& person,
                                                    int64_t import_id) {
  app::UpsertResult result;
  const std::string record = EncodePerson(person);
  // Insert first: on a year's first import nearly every person is new, and
  // the conflict check costs less than a lookup before every insert.
  ENROL_RETURN_IF_ERROR(insert_->BindUnowned(1, person.id)
                            .Bind(2, person.birth_year)
                            .BindUnowned(3, record)
                            .Bind(4, import_id)
                            .Bind(5, import_id)
                            .Run());
  if (db_.Changes() == 1) {
    result.kind = app::UpsertKind::kNew;
    result.key = db_.LastInsertRowId();
    return result;
  }
  find_nin_->BindUnowned(1, person.id);
  auto row = find_nin_->Step();
  if (!row || !*row) {
    find_nin_->Reset();
    if (!row) return tl::unexpected(row.error());
    return Internal("person vanished between insert and lookup");
  }
  result.key = find_nin_->ColumnInt(0);
  const int64_t last_import = find_nin_->ColumnInt(2);
  if (last_import == import_id) {
    find_nin_->Reset();
    result.kind = app::UpsertKind::kDuplicate;
    return result;
  }
  if (find_nin_->ColumnView(1) == record) {
    find_nin_->Reset();
    result.kind = app::UpsertKind::kUnchanged;
    ENROL_RETURN_IF_ERROR(touch_->Bind(1, import_id).Bind(2, result.key).Run());
    return result;
  }
  auto before = DecodePerson(find_nin_->ColumnView(1));
  find_nin_->Reset();
  if (!before) return tl::unexpected(before.error());
  result.kind = app::UpsertKind::kChanged;
  result.before = std::move(*before);
  ENROL_RETURN_IF_ERROR(update_->Bind(1, person.birth_year)
                            .BindUnowned(2, record)
                            .Bind(3, import_id)
                            .Bind(4, result.key)
                            .Run());
  return result;
}

Status SqlitePersonStore::RecordChange(int64_t import_id, int64_t key, core::PersonChange c) {
  return change_->Bind(1, import_id).Bind(2, key).Bind(3, core::PersonChangeCode(c)).Run();
}

Status SqlitePersonStore::RecordFile(int64_t import_id, std::string_view path,
                                     std::string_view sha256, std::string_view format,
                                     int records, int64_t bytes) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT INTO import_files(import_id, path, sha256, format, records, bytes) "
      "VALUES(?,?,?,?,?,?)"));
  return q.Bind(1, import_id).Bind(2, path).Bind(3, sha256).Bind(4, format).Bind(5, records)
      .Bind(6, bytes).Run();
}

Status SqlitePersonStore::RecordIssue(int64_t import_id, std::string_view path, int record,
                                      int line, std::string_view field,
                                      std::string_view message) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT INTO import_issues(import_id, path, record, line, field, message) "
      "VALUES(?,?,?,?,?,?)"));
  return q.Bind(1, import_id).Bind(2, path).Bind(3, record).Bind(4, line).Bind(5, field)
      .Bind(6, message).Run();
}

Status SqlitePersonStore::FinishImport(int64_t import_id, const app::ImportCounts& c,
                                       std::string_view finished_at) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "UPDATE imports SET finished_at=?, records=?, new_persons=?, changed=?, unchanged=?, "
      "skipped=? WHERE id=?"));
  return q.Bind(1, finished_at).Bind(2, c.records).Bind(3, c.new_persons).Bind(4, c.changed)
      .Bind(5, c.unchanged).Bind(6, c.skipped).Bind(7, import_id).Run();
}

Result<std::optional<app::StoredPerson>> SqlitePersonStore::FindOne(sql::Statement& q) {
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<app::StoredPerson>();
  app::StoredPerson sp;
  sp.key = q.ColumnInt(0);
  ENROL_ASSIGN_OR_RETURN(sp.person, DecodePerson(q.ColumnView(1)));
  return std::optional<app::StoredPerson>(std::move(sp));
}

Result<std::vector<app::StoredPerson>> SqlitePersonStore::PersonsBornIn(int year) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT id, record FROM persons WHERE birth_year=? ORDER BY id"));
  q.Bind(1, year);
  std::vector<app::StoredPerson> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(std::optional<app::StoredPerson> p, FindOne(q));
    if (!p) break;
    out.push_back(std::move(*p));
  }
  return out;
}

Result<std::vector<app::StoredPerson>> SqlitePersonStore::HouseholdWithGradering(int64_t child_key) {
  household_->Reset();
  household_->Bind(1, child_key);
  std::vector<app::StoredPerson> out;
  for (;;) {
    auto p = FindOne(*household_);
    if (!p) {
      household_->Reset();
      return tl::unexpected(p.error());
    }
    if (!*p) break;
    out.push_back(std::move(**p));
  }
  household_->Reset();
  return out;
}

Result<std::optional<app::StoredPerson>> SqlitePersonStore::FindByKey(int64_t key) {
  by_key_->Reset();
  by_key_->Bind(1, key);
  auto p = FindOne(*by_key_);
  by_key_->Reset();
  return p;
}

Result<std::optional<app::StoredPerson>> SqlitePersonStore::FindByNin(std::string_view nin) {
  by_nin_->Reset();
  by_nin_->Bind(1, nin);
  auto p = FindOne(*by_nin_);
  by_nin_->Reset();
  return p;
}

Result<int64_t> SqlitePersonStore::LatestImport() {
  latest_import_->Reset();
  ENROL_ASSIGN_OR_RETURN(bool row, latest_import_->Step());
  const int64_t id = row ? latest_import_->ColumnInt(0) : 0;
  latest_import_->Reset();
  return id;
}

Result<std::vector<app::ImportInfo>> SqlitePersonStore::Imports() {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT id, started_at, finished_at, records, new_persons, changed, unchanged, skipped "
      "FROM imports ORDER BY id"));
  std::vector<app::ImportInfo> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    app::ImportInfo i;
    i.id = q.ColumnInt(0);
    i.started_at = q.ColumnText(1);
    i.finished_at = q.ColumnText(2);
    i.counts = {static_cast<int>(q.ColumnInt(3)), static_cast<int>(q.ColumnInt(4)),
                static_cast<int>(q.ColumnInt(5)), static_cast<int>(q.ColumnInt(6)),
                static_cast<int>(q.ColumnInt(7))};
    out.push_back(std::move(i));
  }
  return out;
}

Result<std::vector<std::pair<int64_t, std::string>>> SqlitePersonStore::ChangesOf(int64_t key) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "SELECT import_id, kind FROM person_changes WHERE person_id=?1 "
      "UNION ALL SELECT first_import, 'new' FROM persons WHERE id=?1 "
      "ORDER BY 1 DESC, 2"));
  q.Bind(1, key);
  std::vector<std::pair<int64_t, std::string>> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    out.emplace_back(q.ColumnInt(0), q.ColumnText(1));
  }
  return out;
}

}  // namespace enrol::store
