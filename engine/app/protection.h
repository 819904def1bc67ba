#pragma once
// Whether a child's case is under a protected address (adressebeskyttelse
// fortrolig or strengt fortrolig) now: the child's own, or any guardian's
// with parental responsibility, as last imported. Checked before every
// outgoing effect.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "engine/app/ports.h"

namespace enrol::app {

// False for a person not in the register.
[[nodiscard]] Result<bool> ChildOrGuardianProtected(PersonStore& persons, int64_t person_key);

// The same from a child and its guardians already read (a cohort's): `guardian`
// gives the guardian with that national id number, or null if not imported.
[[nodiscard]] bool ChildOrGuardianProtected(
    const core::Person& child, const std::function<const core::Person*(std::string_view)>& guardian);

// A child as last imported with the guardians it has parental
// responsibility under (those in the register), and whether the case is
// under a protected address: what every outgoing effect starts from.
struct Family {
  StoredPerson child;
  std::map<std::string, StoredPerson> guardians;  // by national id number
  bool protected_address = false;
  // The guardian with that national id number, or null.
  [[nodiscard]] const core::Person* Guardian(std::string_view nin) const;
};
[[nodiscard]] Result<Family> LoadFamily(PersonStore& persons, int64_t person_key);

}  // namespace enrol::app
