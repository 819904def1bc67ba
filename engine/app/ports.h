#pragma once
// The ports the use cases need. Adapters implement them (engine/store,
// connectors/register); engine/main.cc picks which.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/person.h"
#include "engine/core/result.h"

namespace enrol::app {

// One record of a register extract. Either `person` is set, or `field` and
// `message` say what is wrong with the record (without personal data).
struct ExtractRecord {
  int index = 0;  // 1-based position in the file
  int line = 0;   // line where the record starts
  std::optional<core::Person> person;
  std::string field;
  std::string message;
};

// Streams the records of one extract file.
class ExtractSource {
 public:
  virtual ~ExtractSource() = default;
  // The next record, or nullopt at the end. An error means the file as a
  // whole cannot be read on (malformed, truncated); the caller stops.
  [[nodiscard]] virtual Result<std::optional<ExtractRecord>> Next() = 0;
  // "json", "ndjson", "bulk-json" or "xml".
  [[nodiscard]] virtual std::string Format() const = 0;
  // SHA-256 of the whole file (hex); valid once Next() returned nullopt.
  [[nodiscard]] virtual std::string Sha256Hex() const = 0;
  [[nodiscard]] virtual int64_t BytesRead() const = 0;
};

class ExtractOpener {
 public:
  virtual ~ExtractOpener() = default;
  [[nodiscard]] virtual Result<std::unique_ptr<ExtractSource>> Open(const std::string& path) = 0;
};

struct StoredPerson {
  int64_t key = 0;  // internal reference (P<key>)
  core::Person person;
};

enum class UpsertKind { kNew, kUnchanged, kChanged, kDuplicate };

struct UpsertResult {
  UpsertKind kind = UpsertKind::kNew;
  int64_t key = 0;
  std::optional<core::Person> before;  // for kChanged
};

struct ImportCounts {
  int records = 0;
  int new_persons = 0;
  int changed = 0;
  int unchanged = 0;
  int skipped = 0;
};

struct ImportInfo {
  int64_t id = 0;
  std::string started_at;
  std::string finished_at;
  ImportCounts counts;
};

// Persons and imports. An import runs inside one transaction (BeginImport ..
// CommitImport); files inside it are savepoints that can be dropped alone.
class PersonStore {
 public:
  virtual ~PersonStore() = default;
  [[nodiscard]] virtual Status BeginImport() = 0;
  [[nodiscard]] virtual Status CommitImport() = 0;
  virtual void AbortImport() = 0;

  [[nodiscard]] virtual Result<int64_t> CreateImport(std::string_view started_at) = 0;
  [[nodiscard]] virtual Result<std::optional<int64_t>> ImportOfFile(std::string_view sha256) = 0;
  // Inserts or updates by national id; a person already written by this
  // import is a duplicate and is not written again.
  [[nodiscard]] virtual Result<UpsertResult> Upsert(const core::Person& person,
                                                    int64_t import_id) = 0;
  [[nodiscard]] virtual Status RecordChange(int64_t import_id, int64_t key,
                                            core::PersonChange change) = 0;
  [[nodiscard]] virtual Status RecordFile(int64_t import_id, std::string_view path,
                                          std::string_view sha256, std::string_view format,
                                          int records, int64_t bytes) = 0;
  [[nodiscard]] virtual Status RecordIssue(int64_t import_id, std::string_view path,
                                           int record, int line, std::string_view field,
                                           std::string_view message) = 0;
  [[nodiscard]] virtual Status FinishImport(int64_t import_id, const ImportCounts& counts,
                                            std::string_view finished_at) = 0;

  [[nodiscard]] virtual Result<std::vector<StoredPerson>> PersonsBornIn(int year) = 0;
  [[nodiscard]] virtual Result<std::optional<StoredPerson>> FindByKey(int64_t key) = 0;
  [[nodiscard]] virtual Result<std::optional<StoredPerson>> FindByNin(std::string_view nin) = 0;
  // The child and those of its guardians (by the ids in its record) whose
  // record carries any gradering other than ugradert, on the person or on an
  // address: a cheap first cut (usually nobody) for the protection check
  // before every effect, which decides on what this returns.
  [[nodiscard]] virtual Result<std::vector<StoredPerson>> HouseholdWithGradering(int64_t child_key) = 0;
  [[nodiscard]] virtual Result<std::vector<ImportInfo>> Imports() = 0;
  // The newest import's id, 0 before the first.
  [[nodiscard]] virtual Result<int64_t> LatestImport() = 0;
  // Changes recorded for a person, newest import first: (import id, kind),
  // including "new" for the import that first brought the person.
  [[nodiscard]] virtual Result<std::vector<std::pair<int64_t, std::string>>> ChangesOf(
      int64_t key) = 0;
};

class Clock {
 public:
  virtual ~Clock() = default;
  virtual std::chrono::system_clock::time_point Now() = 0;
};

// Identifiers that are unique across databases, restores and
// municipalities: UUIDs (version 7 in production: time-ordered, 74 random
// bits).
class IdGenerator {
 public:
  virtual ~IdGenerator() = default;
  virtual std::string NewUuid() = 0;
};

// UTC "YYYY-MM-DDTHH:MM:SSZ".
std::string FormatUtc(std::chrono::system_clock::time_point t);
// The date in Norway (Europe/Oslo) of a moment as FormatUtc writes it, as
// "YYYY-MM-DD"; nullopt for any other text.
std::optional<std::string> OsloDateOfUtc(std::string_view utc);

}  // namespace enrol::app
