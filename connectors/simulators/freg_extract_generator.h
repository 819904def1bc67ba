#pragma once
// Test double for the population register: writes a synthetic FREG extract
// for a configured municipality. Every id is a synthetic (Tenor, month +80)
// number with valid check digits; names, streets and house numbers are
// invented or taken from the municipality's address table. The same seed
// gives the same file, byte for byte.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/municipality.h"
#include "engine/core/result.h"

namespace enrol::sim {

enum class ExtractFormat { kJsonArray, kNdjson, kXml };

// Shares of the cases that matter, each a fraction of the children.
struct ExtractShares {
  double protected_address = 0.004;   // half fortrolig, half strengt fortrolig
  double shared_residence = 0.04;     // deltBosted with the other guardian
  double d_number = 0.004;
  double one_guardian = 0.15;
  double guardians_apart = 0.12;      // two guardians at two addresses
  double twins = 0.015;
  double moved_out = 0.01;            // utflyttet, or moved to another municipality
  double deceased = 0.0005;
  double missing_guardian_document = 0.01;
  double unknown_residence = 0.003;
  double no_guardian = 0.002;
  double skolekrets_only = 0.03;      // street not in the address table
  double unplaced = 0.004;            // neither table nor skolekrets
  double with_history = 0.1;          // an older, non-current address entry
};

// Sets a share by its name (the member names above, e.g. "protected_address").
// Returns false for an unknown name.
bool SetShare(ExtractShares& shares, std::string_view name, double value);

struct ExtractOptions {
  int children = 1000;
  uint64_t seed = 1;
  ExtractFormat format = ExtractFormat::kJsonArray;
  int school_year = 2027;             // cohorts are placed around this year
  ExtractShares shares;
};

struct ExtractStats {
  int children = 0;
  int guardians = 0;
  int persons_written = 0;
  int64_t bytes = 0;
};

// Writes the extract to `path`. The municipality must have an address table.
[[nodiscard]] Result<ExtractStats> GenerateExtract(const core::Municipality& municipality,
                                                   const ExtractOptions& options,
                                                   const std::string& path);

}  // namespace enrol::sim
