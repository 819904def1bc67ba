#pragma once
// The stored form of a person: compact JSON with short, stable keys. The
// encoding is deterministic, so equal persons encode to equal strings and an
// unchanged person is found by comparing text.

#include <string>
#include <string_view>

#include "engine/core/person.h"
#include "engine/core/result.h"

namespace enrol::store {

std::string EncodePerson(const core::Person& person);
[[nodiscard]] Result<core::Person> DecodePerson(std::string_view text);

}  // namespace enrol::store
