#include "engine/app/access.h"

#include <algorithm>

namespace enrol::app {

namespace {
bool HasSchool(const User& u, const std::string& school) {
  return std::find(u.schools.begin(), u.schools.end(), school) != u.schools.end();
}
}  // namespace

bool MaySeeCase(const User& u, const std::string& school, bool protected_case) {
  if (u.disabled) return false;
  switch (u.role) {
    case Role::kAdmin: return true;
    case Role::kSecretary: return !protected_case && !school.empty() && HasSchool(u, school);
    case Role::kAuditor: return !protected_case;
  }
  return false;
}

bool MaySeePersonalData(const User& u) { return !u.disabled && u.role != Role::kAuditor; }

bool MaySend(const User& u, const sc::PersonEventSpec& spec) {
  if (u.disabled) return false;
  if (u.role == Role::kAdmin) return true;
  return u.role == Role::kSecretary && spec.by == "school";
}

bool IsOffice(const User& u) { return !u.disabled && u.role == Role::kAdmin; }

bool MayReadAudit(const User& u) { return !u.disabled && (u.role == Role::kAdmin || u.role == Role::kAuditor); }

Result<CaseListQuery> ScopeFor(const User& u, CaseListQuery q) {
  if (u.disabled) return NotFound("no such school");
  switch (u.role) {
    case Role::kAdmin:
      q.with_protected = true;
      return q;
    case Role::kAuditor:
      q.with_protected = false;
      return q;
    case Role::kSecretary:
      q.with_protected = false;
      if (q.schools.empty()) {
        q.schools = u.schools;
      } else {
        for (const auto& s : q.schools) {
          if (!HasSchool(u, s)) return NotFound("no school " + s + " among yours");
        }
      }
      if (q.schools.empty()) return NotFound("you have no school");
      return q;
  }
  return NotFound("no such school");
}

}  // namespace enrol::app
