// letters check | preview | print-batch.
#include <fstream>

#include <boost/json.hpp>

#include "engine/app/protection.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"

namespace enrol::cli {
namespace json = boost::json;
namespace {

Status WriteFile(const std::string& path, const std::string& bytes) {
  const std::string tmp = path + ".part";
  {
    std::ofstream out(tmp, std::ios::binary);
    if (!out) return InvalidArgument("cannot write " + path);
    out << bytes;
    if (!out) return Unavailable("writing " + path + " failed");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return Unavailable("cannot move " + tmp + " to " + path);
  return {};
}


bool Approved(const app::CaseRecord& c) {
  if (c.status == "completed") return true;
  for (const char* s : {"sending", "sent", "registering", "registered", "archiving", "archived"}) {
    if ((" " + c.state + " ").find(std::string(" ") + s + " ") != std::string::npos) return true;
  }
  return false;
}

}  // namespace

int RunLettersCheck(const GlobalOptions& g, Services& s) {
  auto renderer = s.Renderer();
  if (!renderer) return ReportError(renderer.error());
  const std::vector<std::string> problems = (*renderer)->CheckTemplates();
  if (g.json) {
    json::array a;
    for (const auto& p : problems) a.push_back(json::string(p));
    PrintJson(json::object{{"ok", problems.empty()}, {"problems", std::move(a)}});
  } else {
    for (const auto& p : problems) std::cout << p << "\n";
    std::cout << (problems.empty() ? "letter templates: ok\n" : std::to_string(problems.size()) + " problem(s)\n");
  }
  return problems.empty() ? 0 : 2;
}

int RunLettersPreview(const GlobalOptions& g, Services& s, const LetterArgs& a) {
  auto cases = s.Cases();
  if (!cases) return ReportError(cases.error());
  auto letters = s.Letters();
  if (!letters) return ReportError(letters.error());
  auto c = FindCaseByRef(**cases, a.ref);
  if (!c) return ReportError(c.error());
  auto list = (*letters)->OfCase(c->id, a.version != 0);
  if (!list) return ReportError(list.error());
  const app::StoredLetter* found = nullptr;
  for (const auto& l : *list) {
    if (l.copy == a.copy && (a.version == 0 || l.version == a.version)) found = &l;
  }
  if (!found) {
    return ReportError(Error{ErrorCode::kNotFound, "case " + c->key + " has no letter" +
                                                       (a.version ? " version " + std::to_string(a.version) : "") +
                                                       " copy " + std::to_string(a.copy) +
                                                       " (letters are drafted when the case reaches drafting)"});
  }
  auto st = WriteFile(a.out, a.archive_copy ? found->pdfa : found->pdf);
  if (!st) return ReportError(st.error());
  if (g.json) {
    PrintJson(json::object{{"out", a.out}, {"case", c->key}, {"version", found->version}, {"copy", found->copy},
                           {"copies", found->copies}, {"archive_copy", a.archive_copy},
                           {"sha256", a.archive_copy ? found->pdfa_sha256 : found->pdf_sha256},
                           {"template", found->template_name}});
  } else {
    std::cout << "wrote " << a.out << ": case " << c->key << ", letter version " << found->version << ", copy "
              << found->copy << " of " << found->copies << (a.archive_copy ? " (PDF/A-1b archive copy)" : "")
              << ", template " << found->template_name << "\n";
  }
  return 0;
}

int RunLettersPrintBatch(const GlobalOptions& g, Services& s, const LetterArgs& a) {
  auto cases = s.Cases();
  if (!cases) return ReportError(cases.error());
  auto letters = s.Letters();
  if (!letters) return ReportError(letters.error());
  auto renderer = s.Renderer();
  if (!renderer) return ReportError(renderer.error());
  auto settings = s.Settings();
  if (!settings) return ReportError(settings.error());
  const core::School* school = (*settings)->municipality.FindSchool(a.school);
  if (!school) return ReportError(Error{ErrorCode::kNotFound, "no school " + a.school + " in the configuration"});
  app::CaseFilter f;
  f.school = a.school;
  auto list = (*cases)->ListCases(f);
  if (!list) return ReportError(list.error());
  auto persons = s.Store();
  if (!persons) return ReportError(persons.error());
  std::vector<std::string> pdfs;
  std::vector<std::string> lines;
  int held_back = 0;
  for (const app::CaseRecord& c : *list) {
    if (!Approved(c)) continue;
    // A protected address, set since the letter was approved: no automatic
    // print; the education office handles the case by hand.
    auto prot = app::ChildOrGuardianProtected(**persons, c.person_id);
    if (!prot) return ReportError(prot.error());
    if (*prot) {
      ++held_back;
      continue;
    }
    auto copies = (*letters)->OfCase(c.id, false);
    if (!copies) return ReportError(copies.error());
    for (const auto& l : *copies) {
      pdfs.push_back(l.pdf);
      lines.push_back(c.key + "   brev versjon " + std::to_string(l.version) + ", kopi " + std::to_string(l.copy) +
                      " av " + std::to_string(l.copies));
    }
  }
  if (held_back) {
    // Open cases among them go to the education office now.
    if (auto engine = s.Engine()) {
      auto imports = (*persons)->Imports();
      if (imports && !imports->empty()) {
        auto moved = (*engine)->ApplyProtectionChanges(imports->back().id);
        if (!moved) return ReportError(moved.error());
      }
    }
    std::cerr << held_back << " approved letter(s) held back: the child or a guardian now has a protected address "
              << "(the education office handles them by hand)\n";
  }
  if (pdfs.empty()) {
    return ReportError(Error{ErrorCode::kNotFound, "school " + a.school + " has no approved letters to print"});
  }
  lines.insert(lines.begin(), {(*settings)->municipality.name + " – " + school->name,
                               std::to_string(pdfs.size()) + " brev til utsending per post (sendes i C5-konvolutt med vindu)",
                               ""});
  auto merged = (*renderer)->Merge("Utskrift av vedtaksbrev – " + school->name, lines, pdfs);
  if (!merged) return ReportError(merged.error());
  auto st = WriteFile(a.out, *merged);
  if (!st) return ReportError(st.error());
  if (g.json) {
    PrintJson(json::object{{"out", a.out}, {"school", a.school}, {"letters", static_cast<int>(pdfs.size())},
                           {"held_back_protected", held_back}});
  } else {
    std::cout << "wrote " << a.out << ": a cover sheet and " << pdfs.size() << " approved letter(s) of " << school->name
              << " for printing\n";
  }
  return 0;
}

}  // namespace enrol::cli
