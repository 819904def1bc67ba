#include "engine/letters/template_renderer.h"

#include <qpdf/QPDF.hh>
#include <qpdf/QPDFPageDocumentHelper.hh>
#include <qpdf/QPDFWriter.hh>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/letters/pdfa.h"

namespace enrol::letters {

Result<std::unique_ptr<TemplateLetterRenderer>> TemplateLetterRenderer::Open(const std::string& folder,
                                                                             const Letterhead& head) {
  std::unique_ptr<TemplateLetterRenderer> r(new TemplateLetterRenderer());
  r->folder_ = folder;
  r->head_ = head;
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    return InvalidArgument("letter templates: " + folder + " is not a folder (set letters.templates in the configuration)");
  }
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    const std::filesystem::path p = entry.path();
    if (p.extension() != ".mustache") continue;
    std::error_code fec;
    if (!std::filesystem::is_regular_file(p, fec)) {
      r->unreadable_[p.stem().string()] = "not a file";
      continue;
    }
    // A template is a page of text: a bigger file is not one.
    if (std::filesystem::file_size(p, fec) > 256 * 1024) {
      r->unreadable_[p.stem().string()] = "larger than 256 KiB";
      continue;
    }
    std::ifstream in(p, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    if (!in && !in.eof()) {
      r->unreadable_[p.stem().string()] = "cannot be read";
      continue;
    }
    ENROL_ASSIGN_OR_RETURN(LetterTemplate t, LetterTemplate::Parse(p.stem().string(), text.str()));
    r->templates_.emplace(t.name(), std::move(t));
  }
  if (r->templates_.empty() && r->unreadable_.empty()) {
    return InvalidArgument("letter templates: no *.mustache file in " + folder);
  }
  return r;
}

std::vector<std::string> TemplateLetterRenderer::CheckTemplates() {
  std::vector<std::string> out;
  for (int grade : {1, 5, 8}) {
    for (const char* lang : {"nb", "nn"}) {
      const std::string name = "grade" + std::to_string(grade) + "." + lang;
      if (!templates_.count(name) && !unreadable_.count(name)) {
        out.push_back(folder_ + "/" + name + ".mustache: missing (one per grade and language form)");
      }
    }
  }
  for (const auto& [name, why] : unreadable_) out.push_back(folder_ + "/" + name + ".mustache: " + why);
  for (const auto& [name, t] : templates_) {
    for (const auto& p : t.Check()) {
      out.push_back(folder_ + "/" + name + ".mustache:" + std::to_string(p.line) + ": " + p.message);
    }
  }
  return out;
}

Result<app::RenderedLetter> TemplateLetterRenderer::Render(const app::LetterRequest& req) {
  if (auto bad = unreadable_.find(req.template_name); bad != unreadable_.end()) {
    return FailedPrecondition("letter template " + req.template_name + ".mustache in " + folder_ + " is " + bad->second);
  }
  auto it = templates_.find(req.template_name);
  if (it == templates_.end()) {
    return FailedPrecondition("no letter template " + req.template_name + ".mustache in " + folder_);
  }
  ENROL_ASSIGN_OR_RETURN(std::string markup, it->second.Render(req.data));
  LetterPageData page;
  page.head = head_;
  page.head.unit = req.sender_unit;
  page.return_address = req.return_address;
  page.recipient = req.recipient;
  page.info = req.info;
  page.text = ParseLetterMarkup(markup);
  page.language = req.language;
  // One layout serves both copies: drawn PDF/A-ready (no transparency).
  ENROL_ASSIGN_OR_RETURN(auto writer, PdfWriter::Create({page.text.title, head_.name, req.case_ref, true}));
  ENROL_RETURN_IF_ERROR(writer->AddLetter(page));
  app::RenderedLetter out;
  out.pages = writer->pages();
  ENROL_ASSIGN_OR_RETURN(out.pdf, writer->Finish());
  ENROL_ASSIGN_OR_RETURN(out.pdfa, ToPdfA1b(out.pdf, {page.text.title, head_.name, page.text.title + " (" + req.case_ref + ")",
                                                      req.case_ref, req.language, req.created}));
  out.template_version = it->second.version();
  return out;
}

Result<std::string> TemplateLetterRenderer::Merge(const std::string& title, const std::vector<std::string>& lines,
                                                  const std::vector<std::string>& pdfs) {
  ENROL_ASSIGN_OR_RETURN(auto writer, PdfWriter::Create({title, head_.name, "", false}));
  ENROL_RETURN_IF_ERROR(writer->AddCoverSheet(title, lines));
  ENROL_ASSIGN_OR_RETURN(std::string cover, writer->Finish());
  try {
    QPDF out;
    out.processMemoryFile("cover.pdf", cover.data(), cover.size());
    QPDFPageDocumentHelper out_pages(out);
    std::vector<std::unique_ptr<QPDF>> sources;  // must outlive the write
    for (size_t i = 0; i < pdfs.size(); ++i) {
      auto src = std::make_unique<QPDF>();
      src->processMemoryFile(("letter" + std::to_string(i)).c_str(), pdfs[i].data(), pdfs[i].size());
      for (QPDFPageObjectHelper& page : QPDFPageDocumentHelper(*src).getAllPages()) out_pages.addPage(page, false);
      sources.push_back(std::move(src));
    }
    QPDFWriter w(out);
    w.setOutputMemory();
    w.write();
    auto buffer = w.getBufferSharedPointer();
    return std::string(reinterpret_cast<const char*>(buffer->getBuffer()), buffer->getSize());
  } catch (const std::exception& e) {
    return Internal(std::string("cannot merge the letters: ") + e.what());
  }
}

}  // namespace enrol::letters
