#include "engine/app/protection.h"

namespace enrol::app {

Result<bool> ChildOrGuardianProtected(PersonStore& persons, int64_t person_key) {
  ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> child, persons.FindByKey(person_key));
  if (!child) return false;
  if (core::IsProtected(child->person.EffectiveProtection())) return true;
  for (const auto& resp : child->person.responsibility) {
    if (resp.guardian_id.empty()) continue;
    ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> g, persons.FindByNin(resp.guardian_id));
    if (g && core::IsProtected(g->person.EffectiveProtection())) return true;
  }
  return false;
}

}  // namespace enrol::app
