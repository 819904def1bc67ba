#include "engine/app/import_extract.h"

#include <ctime>

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

}  // namespace

Result<ImportSummary> ImportExtracts(const std::vector<std::string>& paths,
                                     const ImportOptions& options, ExtractOpener& opener,
                                     PersonStore& store, Clock& clock) {
  ImportSummary summary;
  if (paths.empty()) return InvalidArgument("no extract files given");

  ENROL_RETURN_IF_ERROR(store.BeginImport());
  ImportGuard guard(store);
  ENROL_ASSIGN_OR_RETURN(const int64_t import_id, store.CreateImport(FormatUtc(clock.Now())));


  int files_kept = 0;
  for (const std::string& path : paths) {
    ENROL_ASSIGN_OR_RETURN(std::unique_ptr<ExtractSource> source, opener.Open(path));
    ENROL_RETURN_IF_ERROR(store.BeginFile());
    ImportFileReport report;
    report.path = path;
    ImportCounts file_counts;
    std::map<std::string, int> file_changes;
    // Kept apart until the file is known to be new: a file imported before is
    // dropped whole, its records' issues with it.
    // Every invalid record is counted; the first kKeptIssues of a file are
    // kept in detail, so that a million bad records keep memory bounded.
    constexpr size_t kKeptIssues = 1000;
    std::vector<ImportIssue> file_issues;
    auto add_issue = [&](ImportIssue issue) {
      if (file_issues.size() < kKeptIssues) file_issues.push_back(std::move(issue));
    };
    for (;;) {
      auto next = source->Next();
      if (!next) return tl::unexpected(next.error().WithContext(path));
      if (!*next) break;
      ExtractRecord& rec = **next;
      if (!rec.person) {
        ++report.invalid;
        add_issue({path, rec.index, rec.line, rec.field, rec.message});
        continue;
      }
      ENROL_ASSIGN_OR_RETURN(UpsertResult up, store.Upsert(*rec.person, import_id));
      switch (up.kind) {
        case UpsertKind::kDuplicate:
          ++report.invalid;
          add_issue({path, rec.index, rec.line, "identifikasjonsnummer",
                     "the same person appears earlier in this import; records must be unique"});
          continue;
        case UpsertKind::kNew:
          ++file_counts.new_persons;
          // Not stored as a change row: persons.first_import says it.
          ++file_changes[std::string(core::PersonChangeCode(core::PersonChange::kNew))];
          break;
        case UpsertKind::kUnchanged:
          ++file_counts.unchanged;
          break;
        case UpsertKind::kChanged: {
          const auto changes = core::DiffPerson(*up.before, *rec.person, options.municipality);
          if (changes.empty()) {
            ++file_counts.unchanged;
            break;
          }
          ++file_counts.changed;
          for (core::PersonChange c : changes) {
            ++file_changes[std::string(core::PersonChangeCode(c))];
            ENROL_RETURN_IF_ERROR(store.RecordChange(import_id, up.key, c));
          }
          break;
        }
      }
      ++report.records;
    }
    report.format = source->Format();
    report.sha256 = source->Sha256Hex();
    report.bytes = source->BytesRead();
    file_counts.records = report.records;
    file_counts.skipped = report.invalid;

    ENROL_ASSIGN_OR_RETURN(std::optional<int64_t> earlier, store.ImportOfFile(report.sha256));
    bool same_file_twice = false;
    for (const ImportFileReport& f : summary.files) {
      same_file_twice = same_file_twice || (f.sha256 == report.sha256 && !f.already_imported_as);
    }
    if (earlier || same_file_twice) {
      // Drop what this file wrote: it is already in the database.
      ENROL_RETURN_IF_ERROR(store.EndFile(false));
      report.already_imported_as = earlier ? *earlier : import_id;
      report.records = 0;
      report.invalid = 0;
      summary.files.push_back(std::move(report));
      continue;
    }
    ENROL_RETURN_IF_ERROR(store.EndFile(true));
    ENROL_RETURN_IF_ERROR(store.RecordFile(import_id, path, report.sha256, report.format,
                                           report.records, report.bytes));
    summary.issues_total += report.invalid;
    for (ImportIssue& issue : file_issues) {
      ENROL_RETURN_IF_ERROR(store.RecordIssue(import_id, issue.path, issue.record, issue.line,
                                              issue.field, issue.message));
      if (static_cast<int>(summary.issues.size()) < options.max_reported_issues) {
        summary.issues.push_back(std::move(issue));
      }
    }
    summary.counts.records += file_counts.records;
    summary.counts.new_persons += file_counts.new_persons;
    summary.counts.changed += file_counts.changed;
    summary.counts.unchanged += file_counts.unchanged;
    summary.counts.skipped += file_counts.skipped;
    for (const auto& [k, v] : file_changes) summary.changes[k] += v;
    ++files_kept;
    summary.files.push_back(std::move(report));
  }

  if (summary.issues_total > 0 && !options.skip_invalid) {
    std::string msg = std::to_string(summary.issues_total) +
                      " invalid record(s); nothing was imported (fix the file, or pass "
                      "--skip-invalid to import the valid records):";
    const size_t shown = std::min<size_t>(summary.issues.size(), 20);
    for (size_t i = 0; i < shown; ++i) msg += "\n  " + summary.issues[i].ToString();
    if (summary.issues_total > static_cast<int>(shown)) {
      msg += "\n  ... and " + std::to_string(summary.issues_total - shown) + " more";
    }
    return InvalidArgument(msg);
  }
  if (files_kept == 0) {
    return summary;  // every file was imported before; the guard rolls back
  }
  ENROL_RETURN_IF_ERROR(store.FinishImport(import_id, summary.counts, FormatUtc(clock.Now())));
  ENROL_RETURN_IF_ERROR(store.CommitImport());
  guard.Release();
  summary.import_id = import_id;
  return summary;
}

}  // namespace enrol::app
