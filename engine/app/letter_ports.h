#pragma once
// Ports of the letter service: the renderer (templates -> PDF and PDF/A) and
// the store of rendered letters.

#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/app/case_ports.h"
#include "engine/core/result.h"

namespace enrol::app {

// One copy to render: the data the template sees, and the page furniture.
struct LetterRequest {
  std::string template_name;           // "grade1.nb"
  boost::json::object data;            // see workflows/letters/README.md
  std::vector<std::string> recipient;  // names, then address lines
  std::string return_address;
  std::vector<std::pair<std::string, std::string>> info;  // the reference block
  std::string sender_unit;             // the school
  std::string language;                // nb | nn
  std::string case_ref;
  std::string created;                 // ISO 8601 with offset
};

struct RenderedLetter {
  std::string pdf;
  std::string pdfa;
  std::string template_version;
  int pages = 0;
};

class LetterRenderer {
 public:
  virtual ~LetterRenderer() = default;
  // kFailedPrecondition for a template problem or a missing value (an error
  // on the case, never a blank in a letter).
  [[nodiscard]] virtual Result<RenderedLetter> Render(const LetterRequest& request) = 0;
  // Problems per template ("grade1.nb:12: unknown field 'x'"); empty when fine.
  [[nodiscard]] virtual std::vector<std::string> CheckTemplates() = 0;
  // One PDF of a cover sheet followed by the given PDFs.
  [[nodiscard]] virtual Result<std::string> Merge(const std::string& cover_title,
                                                  const std::vector<std::string>& cover_lines,
                                                  const std::vector<std::string>& pdfs) = 0;
};

struct StoredLetter {
  int64_t id = 0;
  int64_t case_id = 0;
  int version = 0;
  int copy = 0;
  int copies = 0;
  std::string job_key;
  std::string template_name;
  std::string template_version;
  std::string data;  // JSON
  std::string pdf;
  std::string pdf_sha256;
  std::string pdfa;
  std::string pdfa_sha256;
  std::string status;
  std::string created_at;
};

class LetterStore {
 public:
  virtual ~LetterStore() = default;
  // The copies stored under an idempotency key (empty: not rendered yet).
  [[nodiscard]] virtual Result<std::vector<StoredLetter>> ByJobKey(const std::string& key) = 0;
  // Stores a new version's copies (marks older versions superseded) in one
  // transaction; returns the version number.
  [[nodiscard]] virtual Result<int> AddVersion(int64_t case_id, std::vector<StoredLetter> copies) = 0;
  // The current version's copies of a case (all versions when `all`).
  [[nodiscard]] virtual Result<std::vector<StoredLetter>> OfCase(int64_t case_id, bool all) = 0;
  // Replaces a stored copy by its screened rendering (no address in it):
  // the copy with the address is gone, and only the screened one is served.
  [[nodiscard]] virtual Status Screen(const StoredLetter& screened) = 0;
};

// A stored letter is screened when its data says so (LetterScreener).
[[nodiscard]] bool IsScreened(const StoredLetter& l);

// Renders a protected case's letters again without any address (names and
// "adresse skjermet" in the window), in place of the stored copies.
class LetterScreener {
 public:
  virtual ~LetterScreener() = default;
  // Every stored copy of the case not screened yet; returns how many.
  [[nodiscard]] virtual Result<int> ScreenCase(const CaseRecord& c) = 0;
};

}  // namespace enrol::app
