#pragma once
// Streams FREG extract files record by record, in bounded memory.
//
// Accepted shapes (detected from the first bytes):
//   - a JSON array of person documents;
//   - person documents one after another (one per line, "NDJSON");
//   - the bulk lookup response {"oppslag":[{"foedselsEllerDNummer":..,
//     "folkeregisterperson":{..}}, ..]};
//   - XML with any root holding <folkeregisterperson> elements (any
//     namespace prefix), or a single <folkeregisterperson> document.
// Only one record is held in memory at a time, plus a 1 MiB read buffer.

#include <memory>
#include <string>

#include "engine/app/ports.h"
#include "engine/core/national_id.h"

namespace enrol::freg {

class FregExtractOpener final : public app::ExtractOpener {
 public:
  explicit FregExtractOpener(core::NationalIdOptions ids) : ids_(ids) {}
  Result<std::unique_ptr<app::ExtractSource>> Open(const std::string& path) override;

 private:
  core::NationalIdOptions ids_;
};

}  // namespace enrol::freg
