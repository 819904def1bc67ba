#pragma once
// Loads the municipality configuration: a JSON file (schools, skolekrets map,
// register options) and the address table it names (CSV, relative to it).
//
// Errors are kInvalidArgument and name the file, the line or JSON field, and
// what is wrong, e.g. "addresses.csv:17: column school: unknown school 'S99'".

#include <string>

#include "engine/app/settings.h"
#include "engine/core/result.h"

namespace enrol::config {

[[nodiscard]] Result<app::Settings> LoadSettings(const std::string& path);

// Parses the address table text; `name` is used in messages.
[[nodiscard]] Result<std::vector<core::AddressRule>> ParseAddressTable(std::string_view csv,
                                                                       const std::string& name);

// Parses a grade span "1-7" or "8".
[[nodiscard]] Result<core::GradeSpan> ParseGradeSpan(std::string_view text);

}  // namespace enrol::config
