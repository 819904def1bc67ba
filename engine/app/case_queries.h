#pragma once
// What people see: every query takes the viewer and checks, here and only
// here, what that viewer may see (engine/app/access.h). A case the viewer may
// not see is kNotFound, answered exactly as a case that does not exist; a
// view of a child's personal data is written to the audit log under the
// viewer before it is returned. The web app and the command line read cases
// through these queries, never through the stores.

#include <cstdint>
#include <map>
#include <tuple>
#include <optional>
#include <string>
#include <vector>

#include "engine/app/case_engine.h"
#include "engine/app/case_ports.h"
#include "engine/app/letter_ports.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"
#include "engine/app/users.h"

namespace enrol::app {

// One case as its viewer may see it.
struct CaseView {
  CaseRecord record;
  bool personal = false;  // the fields below are filled (not for the auditor)
  std::string child_name, birth_date;
  std::optional<std::string> address;  // never for a protected address
  std::vector<std::string> guardian_names;
  std::vector<StoredLetter> letters;   // without their PDFs
  std::vector<JobRecord> jobs;
  std::vector<std::pair<std::string, AuditEntry>> history;
  std::vector<const sc::PersonEventSpec*> events;  // what the viewer may send now
};

// The education office's figures: cases by school and phase (every school,
// those with no case too, and the unplaced under ""), in all, finished per
// hour, and what runs now.
struct OfficeFigures {
  std::map<std::string, std::map<std::string, int64_t>> by_school;  // school id -> phase -> cases
  std::map<std::string, int64_t> totals;                            // phase -> cases
  std::vector<std::tuple<std::string, int64_t, int64_t>> finished_per_hour;
  OperationalCounts running;
};

class CaseQueries {
 public:
  // `screener` renders a protected case's letters again without addresses
  // before they are shown (null: they are not shown).
  CaseQueries(CaseStore& cases, PersonStore& persons, LetterStore& letters, CaseEngine& engine,
              LetterScreener* screener = nullptr)
      : cases_(cases), persons_(persons), letters_(letters), engine_(engine), screener_(screener) {}

  // The case, its family (names; an address only where not protected), its
  // letters, work and history, and the events the viewer may send now.
  [[nodiscard]] Result<CaseView> Case(const User& viewer, int64_t id);
  // A letter's PDF (copy, version; version 0: the current one).
  [[nodiscard]] Result<StoredLetter> Letter(const User& viewer, int64_t id, int copy, int version);
  // A page of the cases in the viewer's scope (ScopeFor).
  [[nodiscard]] Result<CaseListPage> Inbox(const User& viewer, CaseListQuery query);
  // The education office's: incidents, and the audit log (also the auditor's).
  [[nodiscard]] Result<std::vector<IncidentRecord>> Incidents(const User& viewer, const IncidentFilter& filter);
  [[nodiscard]] Result<std::vector<AuditRow>> Audit(const User& viewer, int64_t before_seq, int limit);
  // The office's dashboard figures for `schools`, and what runs now.
  [[nodiscard]] Result<OfficeFigures> Office(const User& viewer, const std::vector<std::string>& schools,
                                             int64_t now_ms);
  [[nodiscard]] Result<std::vector<ImportInfo>> Imports(const User& viewer);
  // What runs now, in counts that name no person (the /metrics page).
  [[nodiscard]] Result<OperationalCounts> Running(int64_t now_ms);

 private:
  // The case, when the viewer may see it; kNotFound otherwise.
  Result<CaseRecord> Visible(const User& viewer, int64_t id);

  CaseStore& cases_;
  PersonStore& persons_;
  LetterStore& letters_;
  CaseEngine& engine_;
  LetterScreener* screener_;
};

}  // namespace enrol::app
