#pragma once
// Use case: import one or more register extract files as one import.
//
// All files land in one transaction: with any invalid record (and no
// --skip-invalid), or a file that cannot be read, nothing is written. A file
// whose SHA-256 was imported before is passed over. A person seen before is
// compared with the stored version and the changes are recorded.

#include <map>
#include <string>
#include <vector>

#include "engine/app/ports.h"

namespace enrol::app {

struct ImportOptions {
  bool skip_invalid = false;
  std::string municipality;  // kommunenummer, to tell "left the municipality"
  int max_reported_issues = 200;
};

struct ImportIssue {
  std::string path;
  int record = 0;
  int line = 0;
  std::string field;
  std::string message;
  // "path: record 3 (line 17): field: message".
  [[nodiscard]] std::string ToString() const;
};

struct ImportFileReport {
  std::string path;
  std::string format;
  std::string sha256;
  int records = 0;  // valid records
  int invalid = 0;
  int64_t bytes = 0;
  int64_t already_imported_as = 0;  // non-zero: passed over
};

struct ImportSummary {
  int64_t import_id = 0;  // 0 when nothing new was imported
  std::vector<ImportFileReport> files;
  ImportCounts counts;
  std::map<std::string, int> changes;  // change kind -> persons
  std::vector<ImportIssue> issues;     // capped at max_reported_issues
  int issues_total = 0;
};

// On failure the error is kInvalidArgument for bad input (the message lists
// the first issues) and the store is unchanged.
[[nodiscard]] Result<ImportSummary> ImportExtracts(const std::vector<std::string>& paths,
                                                   const ImportOptions& options,
                                                   ExtractOpener& opener, PersonStore& store,
                                                   Clock& clock);

}  // namespace enrol::app
