#pragma once
// The configuration the use cases run with (loaded by engine/config).

#include <string>

#include "engine/core/municipality.h"
#include "engine/core/national_id.h"

namespace enrol::app {

struct Settings {
  core::Municipality municipality;
  core::NationalIdOptions national_ids;  // synthetic ids only in test set-ups
  std::string source;                    // the file it was read from
};

}  // namespace enrol::app
