#include "engine/core/placement.h"

#include <cctype>

namespace enrol::core {
namespace {

// Folds case for ASCII and the Norwegian letters (UTF-8 Æ Ø Å -> æ ø å),
// and collapses runs of spaces, so "STORGATA" matches "Storgata".
std::string FoldStreetName(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    if (c == 0xC3 && i + 1 < s.size()) {
      unsigned char n = static_cast<unsigned char>(s[i + 1]);
      if (n == 0x86 || n == 0x98 || n == 0x85 || n == 0x84 || n == 0x96 || n == 0x9C) n += 0x20;
      out += static_cast<char>(c);
      out += static_cast<char>(n);
      ++i;
      continue;
    }
    out += static_cast<char>(std::tolower(c));
  }
  return out;
}

// House number + letter as a comparable key: 12 < 12A < 12B < 13.
long HouseKey(int number, std::string_view letter) {
  int l = 0;
  if (!letter.empty()) {
    l = std::toupper(static_cast<unsigned char>(letter[0])) - 'A' + 1;
    if (l < 0) l = 0;
    if (static_cast<unsigned char>(letter[0]) >= 0x80) l = 27;  // Æ Ø Å after Z
  }
  return static_cast<long>(number) * 32 + l;
}

}  // namespace

std::string_view PlacementRuleCode(PlacementRule r) {
  switch (r) {
    case PlacementRule::kAddressTable: return "address_table";
    case PlacementRule::kSkolekrets: return "skolekrets";
    case PlacementRule::kManual: return "manual";
  }
  return "?";
}

bool RuleCoversAddress(const AddressRule& rule, const Address& a) {
  if (a.kind != AddressKind::kVegadresse) return false;
  if (!rule.street_code.empty() && !a.adressekode.empty()) {
    if (rule.street_code != a.adressekode) return false;
  } else if (FoldStreetName(rule.street_name) != FoldStreetName(a.adressenavn)) {
    return false;
  }
  if (rule.parity != Parity::kAll) {
    if (a.husnummer <= 0) return false;
    const bool odd = a.husnummer % 2 == 1;
    if ((rule.parity == Parity::kOdd) != odd) return false;
  }
  const long key = HouseKey(a.husnummer, a.husbokstav);
  if (rule.from_number > 0 && key < HouseKey(rule.from_number, rule.from_letter)) return false;
  if (rule.to_number > 0) {
    // "to 20" includes 20A..20Z unless a letter bounds it.
    const long upper = rule.to_letter.empty() ? HouseKey(rule.to_number, "") + 31
                                              : HouseKey(rule.to_number, rule.to_letter);
    if (key > upper) return false;
  }
  return true;
}

std::vector<PlacementStep> ExplainPlacement(const Address& a, int grade,
                                            const Municipality& m) {
  std::vector<PlacementStep> steps;
  const std::string g = std::to_string(grade);
  if (a.kind != AddressKind::kVegadresse) {
    steps.push_back({PlacementRule::kAddressTable, false,
                     "address table: not tried, the address is a " +
                         std::string(AddressKindCode(a.kind)) + ", not a street address"});
  } else {
    const AddressRule* hit = nullptr;
    bool street_known = false;
    for (const AddressRule& r : m.address_rules) {
      if (!RuleCoversAddress(r, a)) continue;
      street_known = true;
      if (r.grades.Contains(grade)) {
        hit = &r;
        break;
      }
    }
    if (hit) {
      steps.push_back({PlacementRule::kAddressTable, true,
                       "address table row " + std::to_string(hit->row) + " serves grades " +
                           std::to_string(hit->grades.first) + "-" +
                           std::to_string(hit->grades.last) + " at this address: " +
                           hit->school_id,
                       hit->school_id, hit->row});
    } else {
      steps.push_back({PlacementRule::kAddressTable, false,
                       street_known ? "address table: rows cover this address, but none for grade " + g
                                    : "address table: no row covers this street and house number"});
    }
  }
  if (!a.skolekrets) {
    steps.push_back({PlacementRule::kSkolekrets, false,
                     "skolekrets: the register gives no skolekrets for the address"});
  } else {
    const SkolekretsRule* hit = nullptr;
    for (const SkolekretsRule& r : m.skolekrets_rules) {
      if (r.skolekrets == *a.skolekrets && r.grades.Contains(grade)) {
        hit = &r;
        break;
      }
    }
    steps.push_back({PlacementRule::kSkolekrets, hit != nullptr,
                     hit ? "skolekrets " + std::to_string(*a.skolekrets) + " maps grade " + g +
                               " to " + hit->school_id
                         : "skolekrets " + std::to_string(*a.skolekrets) +
                               ": no school configured for grade " + g,
                     hit ? hit->school_id : "", 0});
  }
  return steps;
}

Placement PlaceAt(const Address& a, int grade, const Municipality& m) {
  std::string tried;
  for (const PlacementStep& step : ExplainPlacement(a, grade, m)) {
    if (!step.matched) {
      tried += (tried.empty() ? "" : "; ") + step.detail;
      continue;
    }
    return Placement{step.rule, step.school_id, step.rule_row, step.detail};
  }
  return Placement{PlacementRule::kManual, "", 0, "no rule placed the address: " + tried};
}

const School* Municipality::FindSchool(std::string_view id) const {
  for (const School& s : schools) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace enrol::core
