#include "engine/app/import_extract.h"

#include <ctime>
#include <map>
#include <set>

#include "engine/core/date.h"

namespace enrol::app {

std::string FormatUtc(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::optional<std::string> OsloDateOfUtc(std::string_view utc) {
  std::tm tm{};
  const std::string text(utc);
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return core::OsloDate(static_cast<long long>(timegm(&tm))).ToString();
}

std::string ImportIssue::ToString() const {
  return path + ": record " + std::to_string(record) + " (line " + std::to_string(line) +
         "): " + (field.empty() ? "" : field + ": ") + message;
}

namespace {

// Rolls the store back unless released.
class ImportGuard {
 public:
  explicit ImportGuard(PersonStore& s) : store_(s) {}
  ~ImportGuard() {
    if (armed_) store_.AbortImport();
  }
  void Release() { armed_ = false; }

 private:
  PersonStore& store_;
  bool armed_ = true;
};

// One file's records, upserted into the open import, and what they were.
struct FileRead {
  ImportFileReport report;
  ImportCounts counts;
  std::map<std::string, int> changes;
  // Every invalid record is counted; the first kKeptIssues of a file are
  // kept in detail, so that a million bad records keep memory bounded.
  static constexpr size_t kKeptIssues = 1000;
  std::vector<ImportIssue> issues;
  void Issue(ImportIssue issue) {
    if (issues.size() < kKeptIssues) issues.push_back(std::move(issue));
  }
};

// Counts one upserted record (and records its changes).
Status CountUpsert(const UpsertResult& up, const core::Person& person, int64_t import_id,
                   const ImportOptions& options, PersonStore& store, FileRead& f) {
  switch (up.kind) {
    case UpsertKind::kDuplicate:
      break;  // counted by the caller, as an invalid record
    case UpsertKind::kNew:
      ++f.counts.new_persons;
      // Not stored as a change row: persons.first_import says it.
      ++f.changes[std::string(core::PersonChangeCode(core::PersonChange::kNew))];
      break;
    case UpsertKind::kUnchanged:
      ++f.counts.unchanged;
      break;
    case UpsertKind::kChanged: {
      const auto changes = core::DiffPerson(*up.before, person, options.municipality);
      if (changes.empty()) {
        ++f.counts.unchanged;
        break;
      }
      ++f.counts.changed;
      for (core::PersonChange c : changes) {
        ++f.changes[std::string(core::PersonChangeCode(c))];
        ENROL_RETURN_IF_ERROR(store.RecordChange(import_id, up.key, c));
      }
      break;
    }
  }
  return {};
}

// Reads one file into the open import (inside BeginFile..EndFile).
Result<FileRead> ReadFile(const std::string& path, ExtractSource& source, int64_t import_id,
                          const ImportOptions& options, PersonStore& store) {
  FileRead f;
  f.report.path = path;
  for (;;) {
    auto next = source.Next();
    if (!next) return tl::unexpected(next.error().WithContext(path));
    if (!*next) break;
    ExtractRecord& rec = **next;
    if (!rec.person) {
      ++f.report.invalid;
      f.Issue({path, rec.index, rec.line, rec.field, rec.message});
      continue;
    }
    ENROL_ASSIGN_OR_RETURN(UpsertResult up, store.Upsert(*rec.person, import_id));
    if (up.kind == UpsertKind::kDuplicate) {
      ++f.report.invalid;
      f.Issue({path, rec.index, rec.line, "identifikasjonsnummer",
               "the same person appears earlier in this import; records must be unique"});
      continue;
    }
    ENROL_RETURN_IF_ERROR(CountUpsert(up, *rec.person, import_id, options, store, f));
    ++f.report.records;
  }
  f.report.format = source.Format();
  f.report.sha256 = source.Sha256Hex();
  f.report.bytes = source.BytesRead();
  f.counts.records = f.report.records;
  f.counts.skipped = f.report.invalid;
  return f;
}

// Keeps a file read into the import: its row, its issues and its counts.
Status KeepFile(FileRead& f, int64_t import_id, const ImportOptions& options, PersonStore& store,
                ImportSummary& summary) {
  ENROL_RETURN_IF_ERROR(store.RecordFile(import_id, f.report.path, f.report.sha256, f.report.format,
                                         f.report.records, f.report.bytes));
  summary.issues_total += f.report.invalid;
  for (ImportIssue& issue : f.issues) {
    ENROL_RETURN_IF_ERROR(store.RecordIssue(import_id, issue.path, issue.record, issue.line,
                                            issue.field, issue.message));
    if (static_cast<int>(summary.issues.size()) < options.max_reported_issues) {
      summary.issues.push_back(std::move(issue));
    }
  }
  summary.counts.records += f.counts.records;
  summary.counts.new_persons += f.counts.new_persons;
  summary.counts.changed += f.counts.changed;
  summary.counts.unchanged += f.counts.unchanged;
  summary.counts.skipped += f.counts.skipped;
  for (const auto& [k, v] : f.changes) summary.changes[k] += v;
  summary.files.push_back(std::move(f.report));
  return {};
}

// The refusal of an import with invalid records, with the first of them.
Error InvalidRecords(const ImportSummary& summary) {
  std::string msg = std::to_string(summary.issues_total) +
                    " invalid record(s); nothing was imported (fix the file, or pass "
                    "--skip-invalid to import the valid records):";
  const size_t shown = std::min<size_t>(summary.issues.size(), 20);
  for (size_t i = 0; i < shown; ++i) msg += "\n  " + summary.issues[i].ToString();
  if (summary.issues_total > static_cast<int>(shown)) {
    msg += "\n  ... and " + std::to_string(summary.issues_total - shown) + " more";
  }
  return Error{ErrorCode::kInvalidArgument, msg};
}

}  // namespace

namespace {

// One import of `paths` in one transaction, leaving out the files in
// `known` (by position: imported before, their reports). A file found to be imported
// before, or given twice, is added to `known` and the import is refused
// with kAborted (nothing written), to be run again without it: no
// savepoint per file, which would make SQLite copy every page the file
// touches into its in-memory sub-journal (and truncate it again after each
// statement: a re-import of 449,496 persons took 378 s that way).
Result<ImportSummary> ImportOnce(const std::vector<std::string>& paths, const ImportOptions& options,
                                 ExtractOpener& opener, PersonStore& store, Clock& clock,
                                 std::map<size_t, ImportFileReport>& known) {
  ImportSummary summary;
  ENROL_RETURN_IF_ERROR(store.BeginImport());
  ImportGuard guard(store);
  ENROL_ASSIGN_OR_RETURN(const int64_t import_id, store.CreateImport(FormatUtc(clock.Now())));
  std::set<std::string> seen;  // this import's files, by SHA-256
  int files_kept = 0;
  for (size_t i = 0; i < paths.size(); ++i) {
    const std::string& path = paths[i];
    if (auto k = known.find(i); k != known.end()) {
      summary.files.push_back(k->second);
      continue;
    }
    ENROL_ASSIGN_OR_RETURN(std::unique_ptr<ExtractSource> source, opener.Open(path));
    ENROL_ASSIGN_OR_RETURN(FileRead f, ReadFile(path, *source, import_id, options, store));
    // A file imported before is dropped whole, its records' issues with it.
    ENROL_ASSIGN_OR_RETURN(std::optional<int64_t> earlier, store.ImportOfFile(f.report.sha256));
    if (earlier || seen.count(f.report.sha256)) {
      f.report.already_imported_as = earlier ? *earlier : -1;  // -1: given twice in this import
      f.report.records = 0;
      f.report.invalid = 0;
      known[i] = std::move(f.report);
      return Aborted("run again without " + path);
    }
    seen.insert(f.report.sha256);
    ENROL_RETURN_IF_ERROR(KeepFile(f, import_id, options, store, summary));
    ++files_kept;
  }
  if (summary.issues_total > 0 && !options.skip_invalid) return tl::unexpected(InvalidRecords(summary));
  if (files_kept == 0) {
    return summary;  // every file was imported before; the guard rolls back
  }
  ENROL_RETURN_IF_ERROR(store.FinishImport(import_id, summary.counts, FormatUtc(clock.Now())));
  ENROL_RETURN_IF_ERROR(store.CommitImport());
  guard.Release();
  summary.import_id = import_id;
  for (ImportFileReport& r : summary.files) {
    if (r.already_imported_as == -1) r.already_imported_as = import_id;
  }
  return summary;
}

}  // namespace

Result<ImportSummary> ImportExtracts(const std::vector<std::string>& paths,
                                     const ImportOptions& options, ExtractOpener& opener,
                                     PersonStore& store, Clock& clock) {
  if (paths.empty()) return InvalidArgument("no extract files given");
  std::map<size_t, ImportFileReport> known;  // by position in `paths`
  for (;;) {
    const size_t before = known.size();
    Result<ImportSummary> r = ImportOnce(paths, options, opener, store, clock, known);
    if (r || r.error().code != ErrorCode::kAborted || known.size() == before) return r;
  }
}

}  // namespace enrol::app
