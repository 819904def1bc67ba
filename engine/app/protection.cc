#include "engine/app/protection.h"

namespace enrol::app {

Result<bool> ChildOrGuardianProtected(PersonStore& persons, int64_t person_key) {
  ENROL_ASSIGN_OR_RETURN(std::vector<StoredPerson> marked, persons.HouseholdWithGradering(person_key));
  for (const StoredPerson& p : marked) {
    if (core::IsProtected(p.person.EffectiveProtection())) return true;
  }
  return false;
}

bool ChildOrGuardianProtected(const core::Person& child,
                              const std::function<const core::Person*(std::string_view)>& guardian) {
  if (core::IsProtected(child.EffectiveProtection())) return true;
  for (const core::Responsibility& r : child.responsibility) {
    if (r.guardian_id.empty()) continue;
    const core::Person* g = guardian(r.guardian_id);
    if (g && core::IsProtected(g->EffectiveProtection())) return true;
  }
  return false;
}

}  // namespace enrol::app
