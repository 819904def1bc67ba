#pragma once
// The letter renderer behind the workflow's `letters` invoke.
//
// For a case it gathers the decision's facts (child, school, dates, legal
// basis; never the national id number), picks the template by grade and the
// school's language form, and writes one copy per household: guardians with
// parental responsibility at the same address get one joint letter, those
// at different addresses a copy each, which names the others. Protected
// addresses get no automatic letter. Each rendering is stored as a new
// version (SHA-256, template version, data); the idempotency key of the
// invoke makes a repeated job return the stored version.

#include <string>
#include <vector>

#include "engine/app/case_ports.h"
#include "engine/app/letter_ports.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"
#include "engine/core/cohort.h"

namespace enrol::app {

class LetterService final : public Connector, public LetterScreener {
 public:
  LetterService(PersonStore& persons, Cases& cases, LetterStore& letters, LetterRenderer& renderer,
                const Settings& settings, Clock& clock)
      : persons_(persons), cases_(cases), letters_(letters), renderer_(renderer), settings_(settings),
        clock_(clock) {}

  JobOutcome Execute(const JobRequest& request) override;
  // Renders every stored copy of the case again without addresses (LetterScreener).
  Result<int> ScreenCase(const CaseRecord& c) override;

  // The copies a case's letter goes out as (for tests and previews).
  [[nodiscard]] Result<std::vector<LetterRequest>> Prepare(const CaseRecord& c);

 private:
  PersonStore& persons_;
  Cases& cases_;
  LetterStore& letters_;
  LetterRenderer& renderer_;
  const Settings& settings_;
  Clock& clock_;
};

// The households a case's letter goes to, in copy order (copy 1 is the
// first): guardians with a register document and a usable address, those at
// one address together.
std::vector<std::pair<std::string, std::vector<const core::Person*>>> LetterHouseholds(const core::CohortEntry& entry);

// Receipt for stored copies: version, copies, template and hashes (no names).
boost::json::object LetterReceipt(const std::vector<StoredLetter>& copies);

}  // namespace enrol::app
