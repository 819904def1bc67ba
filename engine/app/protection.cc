#include "engine/app/protection.h"

namespace enrol::app {

Result<bool> ChildOrGuardianProtected(PersonStore& persons, int64_t person_key) {
  ENROL_ASSIGN_OR_RETURN(std::vector<StoredPerson> marked, persons.HouseholdWithGradering(person_key));
  for (const StoredPerson& p : marked) {
    if (core::IsProtected(p.person.EffectiveProtection())) return true;
  }
  return false;
}

}  // namespace enrol::app
