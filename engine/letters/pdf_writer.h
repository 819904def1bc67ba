#pragma once
// Writes letters as A4 PDF with Pango (layout) on cairo (PDF): embedded font
// subsets (Noto Sans), paragraphs wrapped without hyphens, long words broken
// rather than cut, the recipient placed for a C5 window envelope (the DIN 5008
// form B address field: 20 mm from the left, 45 mm from the top, 85 x 45 mm),
// and "Side n av m" when a letter runs over one page. Several letters (and a
// cover sheet) can share one document, for printing.

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/result.h"
#include "engine/letters/letter_template.h"

namespace enrol::letters {

struct Letterhead {
  std::string name;         // "Fjordvik kommune"
  std::string unit;         // "Sentrum skole" or "Oppvekstkontoret"
  std::string address;      // visiting/postal address line
  std::string postal;       // "7000 Fjordvik"
  std::string org_number;
  std::string phone;
  std::string email;
  std::string logo_png;     // optional path to a PNG
};

struct LetterPageData {
  Letterhead head;
  std::string return_address;               // small line at the top of the window
  std::vector<std::string> recipient;       // names, then address lines
  std::vector<std::pair<std::string, std::string>> info;  // "Dato" -> "23.11.2026", ...
  LetterText text;
  std::string language = "nb";              // page label: "Side"/"Side"
};

struct DocumentInfo {
  std::string title;
  std::string author;
  std::string subject;
  bool pdfa_ready = false;  // PDF 1.4 and no transparency (a logo is flattened)
};

class PdfWriter {
 public:
  [[nodiscard]] static Result<std::unique_ptr<PdfWriter>> Create(const DocumentInfo& info);
  ~PdfWriter();
  PdfWriter(const PdfWriter&) = delete;
  PdfWriter& operator=(const PdfWriter&) = delete;

  // Adds a letter (one or more pages).
  [[nodiscard]] Status AddLetter(const LetterPageData& letter);
  // Adds a page of plain lines (a print batch's cover sheet).
  [[nodiscard]] Status AddCoverSheet(const std::string& title, const std::vector<std::string>& lines);
  // Finishes the document and returns its bytes.
  [[nodiscard]] Result<std::string> Finish();
  [[nodiscard]] int pages() const { return pages_; }

 private:
  PdfWriter() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int pages_ = 0;
};

}  // namespace enrol::letters
