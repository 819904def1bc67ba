#pragma once
// The `archive` invoke: files the case's approved letter (its PDF/A archive
// copy) in the pupil's case file through the archive port, with the
// guardians it went to as correspondence parties. The case file's key is
// derived from the pupil's national id number and the municipality (a hash:
// stable across databases and restores, and no id number in the archive's
// search URLs); the record's key is the job's idempotency key, so a
// superseded letter (a new job) is a new record in the same case file and a
// retry of one job never files twice. A case under a protected address is
// never filed automatically (a permanent error, for the education office).

#include "engine/app/archive_ports.h"
#include "engine/app/case_ports.h"
#include "engine/app/letter_ports.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"

namespace enrol::app {

class ArchiveService final : public Connector {
 public:
  // `in_flight` filings at once, when the port may be called from many
  // threads at a time.
  // `screener` renders a protected case's letter again without addresses
  // before the office's ordered filing (null: such a filing is refused).
  ArchiveService(PersonStore& persons, Cases& cases, LetterStore& letters, ArchivePort& archive,
                 const Settings& settings, int in_flight = 1, LetterScreener* screener = nullptr)
      : persons_(persons), cases_(cases), letters_(letters), archive_(archive), settings_(settings),
        in_flight_(in_flight), screener_(screener) {}

  JobOutcome Execute(const JobRequest& request) override;
  [[nodiscard]] int MaxInFlight() const override { return in_flight_; }
  // Reads the case, the persons and the letter here; files on the caller's thread.
  [[nodiscard]] Call Begin(const JobRequest& request) override;

  // What would be filed for a job (for tests).
  [[nodiscard]] Result<ArchiveFiling> Prepare(const JobRequest& request);

 private:
  PersonStore& persons_;
  Cases& cases_;
  LetterStore& letters_;
  ArchivePort& archive_;
  const Settings& settings_;
  int in_flight_;
  LetterScreener* screener_;
};

// "elev-" and 32 hex digits of SHA-256 over the municipality and the id.
std::string PupilArchiveKey(const std::string& kommunenummer, const std::string& national_id);

}  // namespace enrol::app
