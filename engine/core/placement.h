#pragma once
// Placement: which school serves a grade at a home address, and why.
//
// Rules are tried in order and the first that gives a school wins:
//   1. the address table (street code or name, house number range, parity,
//      grade span);
//   2. the register's skolekrets code mapped to a school;
//   3. manual: no rule matched and a person must decide.

#include <string>
#include <vector>

#include "engine/core/municipality.h"
#include "engine/core/person.h"

namespace enrol::core {

enum class PlacementRule { kAddressTable, kSkolekrets, kManual };
std::string_view PlacementRuleCode(PlacementRule r);

struct Placement {
  PlacementRule rule = PlacementRule::kManual;
  std::string school_id;   // empty for manual
  int rule_row = 0;        // address table row, when that rule matched
  std::string why;         // one sentence a secretary understands (no address)
};

// True when the address table row covers this vegadresse (grades ignored).
bool RuleCoversAddress(const AddressRule& rule, const Address& address);

// Places `grade` at `address`. Never fails: an address no rule covers yields
// a manual placement whose `why` says what was tried.
Placement PlaceAt(const Address& address, int grade, const Municipality& municipality);

// A step of an explanation: one rule tried and what came of it.
struct PlacementStep {
  PlacementRule rule;
  bool matched = false;
  std::string detail;
  std::string school_id;  // when matched
  int rule_row = 0;       // address table row, when that rule matched
};

// Every rule tried for `grade` at `address`, in order, for `placement explain`.
std::vector<PlacementStep> ExplainPlacement(const Address& address, int grade,
                                            const Municipality& municipality);

}  // namespace enrol::core
