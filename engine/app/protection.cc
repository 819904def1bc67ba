#include "engine/app/protection.h"

#include "engine/app/cohort_report.h"

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

const core::Person* Family::Guardian(std::string_view nin) const {
  auto it = guardians.find(std::string(nin));
  return it == guardians.end() ? nullptr : &it->second.person;
}

Result<Family> LoadFamily(PersonStore& persons, int64_t person_key) {
  Family f;
  ENROL_ASSIGN_OR_RETURN(f.child, FindPerson(persons, PersonRef(person_key)));
  for (const auto& resp : f.child.person.responsibility) {
    if (resp.guardian_id.empty()) continue;
    ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> g, persons.FindByNin(resp.guardian_id));
    if (g) f.guardians.emplace(resp.guardian_id, std::move(*g));
  }
  f.protected_address =
      ChildOrGuardianProtected(f.child.person, [&f](std::string_view id) { return f.Guardian(id); });
  return f;
}

}  // namespace enrol::app
