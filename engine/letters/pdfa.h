#pragma once
// Turns a PDF from PdfWriter (DocumentInfo::pdfa_ready) into PDF/A-1b, the
// level Arkivverket accepts and PDFBox Preflight checks: XMP metadata that
// matches the document information, an sRGB output intent, no page
// transparency groups, PDF 1.4, and a file identifier. Done in-process with
// qpdf.

#include <string>

#include "engine/core/result.h"

namespace enrol::letters {

struct ArchiveMetadata {
  std::string title;         // dc:title, /Title
  std::string municipality;  // dc:creator and dc:publisher, /Author
  std::string subject;       // dc:description, /Subject
  std::string case_ref;      // dc:identifier
  std::string language;      // dc:language: "nb" or "nn"
  std::string created;       // ISO 8601 with offset, e.g. "2026-11-23T07:30:00+00:00"
};

[[nodiscard]] Result<std::string> ToPdfA1b(const std::string& pdf, const ArchiveMetadata& meta);

}  // namespace enrol::letters
