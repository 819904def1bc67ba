#pragma once
// app::LetterRenderer on the templates in a folder (read once, at start):
// Mustache -> markup -> PDF (Pango/cairo) -> PDF/A-1b (qpdf).

#include <map>
#include <string>

#include "engine/app/letter_ports.h"
#include "engine/letters/letter_template.h"
#include "engine/letters/pdf_writer.h"

namespace enrol::letters {

class TemplateLetterRenderer final : public app::LetterRenderer {
 public:
  // Reads every *.mustache in `folder`. `head` is the letterhead (its unit is
  // replaced by each letter's sender).
  [[nodiscard]] static Result<std::unique_ptr<TemplateLetterRenderer>> Open(const std::string& folder,
                                                                            const Letterhead& head);
  Result<app::RenderedLetter> Render(const app::LetterRequest& request) override;
  std::vector<std::string> CheckTemplates() override;
  Result<std::string> Merge(const std::string& cover_title, const std::vector<std::string>& cover_lines,
                            const std::vector<std::string>& pdfs) override;

 private:
  std::string folder_;
  Letterhead head_;
  std::map<std::string, LetterTemplate> templates_;
  std::map<std::string, std::string> unreadable_;  // name -> why it could not be read
};

}  // namespace enrol::letters
