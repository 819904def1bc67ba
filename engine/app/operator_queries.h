#pragma once
// What the command line reads, for the operator who runs enrol on the
// server (the education office's IT staff, with the database file in
// hand): cases by number or key, their work and history, incidents, the
// audit chain's check, the imports. The command line reads through these
// and acts through the engine's commands, never through the stores.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/app/case_ports.h"
#include "engine/app/letter_ports.h"
#include "engine/app/ports.h"

namespace enrol::app {

// One case with its work, timers and history.
struct CaseDetail {
  CaseRecord record;
  std::vector<JobRecord> jobs;
  std::vector<TimerRecord> timers;
  std::vector<std::pair<std::string, AuditEntry>> history;
};

class OperatorQueries {
 public:
  OperatorQueries(CaseStore& cases, LetterStore& letters, PersonStore& persons)
      : cases_(cases), letters_(letters), persons_(persons) {}

  // A case by its number ("42") or key ("2027/1/P12"); kNotFound, with what
  // to give, otherwise.
  [[nodiscard]] Result<CaseRecord> FindCase(const std::string& ref);
  // The case `ref` names, or else the cases the filter selects (a school,
  // grade or state must be given: never every case by accident).
  [[nodiscard]] Result<std::vector<int64_t>> SelectCases(const std::string& ref, const CaseFilter& f);
  [[nodiscard]] Result<std::vector<CaseRecord>> ListCases(const CaseFilter& f);
  [[nodiscard]] Result<bool> AnyCase(const CaseFilter& f);
  [[nodiscard]] Result<CaseDetail> Detail(const std::string& ref);
  [[nodiscard]] Result<std::vector<StoredLetter>> Letters(int64_t case_id, bool every_version);
  [[nodiscard]] Result<std::vector<IncidentRecord>> Incidents(const IncidentFilter& f);
  // Checks that each incident id names an incident that is open.
  [[nodiscard]] Status OpenIncidents(const std::vector<int64_t>& ids);
  [[nodiscard]] Result<AuditVerification> VerifyAudit(std::optional<AuditHead> expected);
  [[nodiscard]] Result<std::vector<ImportInfo>> Imports();
  // A person's changes, newest import first (see PersonStore::ChangesOf).
  [[nodiscard]] Result<std::vector<std::pair<int64_t, std::string>>> ChangesOf(int64_t person_key);

 private:
  CaseStore& cases_;
  LetterStore& letters_;
  PersonStore& persons_;
};

}  // namespace enrol::app
