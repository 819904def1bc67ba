#pragma once
// Whether a child's case is under a protected address (adressebeskyttelse
// fortrolig or strengt fortrolig) now: the child's own, or any guardian's
// with parental responsibility, as last imported. Checked before every
// outgoing effect.

#include <cstdint>

#include "engine/app/ports.h"

namespace enrol::app {

// False for a person not in the register.
[[nodiscard]] Result<bool> ChildOrGuardianProtected(PersonStore& persons, int64_t person_key);

}  // namespace enrol::app
