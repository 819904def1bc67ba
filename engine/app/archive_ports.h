#pragma once
// The archive port: files one outgoing letter in the pupil's case file. The
// adapters (connectors/archive: Noark 5 tjenestegrensesnitt) speak the
// protocol; the archive service (archive_service.h) gathers what to file.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/core/result.h"

namespace enrol::app {

struct ArchiveRecipient {
  std::string name;
  std::vector<std::string> address_lines;
  std::string postnummer, poststed;
};

struct ArchiveFiling {
  std::string pupil_key;     // the case file's external key: one per pupil, stable across databases
  std::string letter_key;    // the record's external key: one per letter (its job's idempotency key)
  std::string mappe_title, mappe_public_title;  // the public ones have the name as ******
  std::string title, public_title;
  std::string document_title;
  std::string document_date;  // the letter's date in Norway (Europe/Oslo): "2027-03-01"
  std::vector<ArchiveRecipient> recipients;
  std::string file;           // the PDF/A bytes
  std::string file_name;
  std::string mime_type = "application/pdf";
  std::string format = "fmt/354";  // PRONOM: PDF/A-1b, what engine/letters makes
  // Filed on the education office's order for a case under a protected
  // address: the archive's stricter screening, and no address of anyone.
  bool protected_address = false;
};

class ArchivePort {
 public:
  virtual ~ArchivePort() = default;
  // The archive's numbers as the case's receipt (mappeID, journalpostnummer,
  // systemIDs). Unavailable when a retry may cure it; never a title or a
  // name in the error.
  // The filing ends within `timeout_ms` (its job's lease depends on it).
  [[nodiscard]] virtual Result<boost::json::object> File(const ArchiveFiling& filing, int64_t timeout_ms) = 0;
};

}  // namespace enrol::app
