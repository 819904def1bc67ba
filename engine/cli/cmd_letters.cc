// letters check | preview | print-batch.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include <boost/json.hpp>

#include "engine/app/digital_post_ports.h"
#include "engine/app/protection.h"
#include "engine/core/sha256.h"
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
  auto cases = s.Operator();
  if (!cases) return ReportError(cases.error());
  auto c = (*cases)->FindCase(a.ref);
  if (!c) return ReportError(c.error());
  auto list = (*cases)->Letters(c->id, a.version != 0);
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

namespace {

// The undelivered letters as a numbered, durable batch (engine/app/print_batch.h).
int PrintUndelivered(const GlobalOptions& g, Services& s, const LetterArgs& a) {
  auto batches = s.PrintBatches();
  if (!batches) return ReportError(batches.error());
  auto r = a.reprint ? (*batches)->Reprint(a.reprint, a.out) : (*batches)->PrintUndelivered(a.school, a.out, Actor(a.as));
  if (!r) return ReportError(r.error());
  if (r->held_back) {
    // Open cases among them go to the education office now.
    auto engine = s.Engine();
    auto operator_queries = s.Operator();
    if (engine && operator_queries) {
      auto imports = (*operator_queries)->Imports();
      if (imports && !imports->empty()) {
        auto moved = (*engine)->ApplyProtectionChanges(imports->back().id);
        if (!moved) return ReportError(moved.error());
      }
    }
    std::cerr << r->held_back << " undelivered letter(s) held back: the child or a guardian now has a protected "
              << "address (the education office handles them by hand)\n";
  }
  if (g.json) {
    PrintJson(json::object{{"batch", r->batch.id}, {"out", r->batch.file}, {"school", r->batch.school},
                           {"letters", r->letters}, {"cases", static_cast<int64_t>(r->batch.cases.size())},
                           {"held_back_protected", r->held_back}, {"marked_printed", r->marked},
                           {"resumed", r->resumed}, {"reprint", a.reprint != 0}});
    return 0;
  }
  if (a.reprint) {
    std::cout << "wrote print batch " << r->batch.id << " again to " << r->batch.file << ": " << r->letters
              << " letter(s); nothing marked\n";
    return 0;
  }
  if (r->resumed) {
    std::cout << "print batch " << r->batch.id << " of an earlier run was not finished: written again to "
              << r->batch.file << " (print that file" << (r->batch.file == a.out ? "" : ", not " + a.out)
              << "), " << r->marked << " case(s) marked printed; run again for any letters since\n";
    return 0;
  }
  std::cout << "wrote print batch " << r->batch.id << " to " << r->batch.file << ": a cover sheet and " << r->letters
            << " undelivered letter(s) for printing; " << r->marked << " case(s) marked printed\n";
  return 0;
}

}  // namespace

int RunLettersPrintBatch(const GlobalOptions& g, Services& s, const LetterArgs& a) {
  if (a.undelivered || a.reprint) return PrintUndelivered(g, s, a);
  // The approved letters, as a copy on paper: nothing is marked.
  auto cases = s.Operator();
  if (!cases) return ReportError(cases.error());
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
    // A protected address: no automatic print; the education office
    // handles the case by hand.
    auto prot = app::ChildOrGuardianProtected(**persons, c.person_id);
    if (!prot) return ReportError(prot.error());
    if (*prot || c.protected_case) {
      ++held_back;
      continue;
    }
    auto copies = (*cases)->Letters(c.id, false);
    if (!copies) return ReportError(copies.error());
    for (const auto& l : *copies) {
      pdfs.push_back(l.pdf);
      lines.push_back(c.key + "   brev versjon " + std::to_string(l.version) + ", kopi " + std::to_string(l.copy) +
                      " av " + std::to_string(l.copies));
    }
  }
  if (held_back) {
    std::cerr << held_back << " approved letter(s) held back: the child or a guardian now has a protected address "
              << "(the education office handles them by hand)\n";
  }
  if (pdfs.empty()) {
    return ReportError(Error{ErrorCode::kNotFound, "school " + a.school + " has no approved letters to print"});
  }
  lines.insert(lines.begin(), {(*settings)->municipality.name + " – " + school->name,
                               std::to_string(pdfs.size()) + " brev til utsending per post" +
                                   " (sendes i C5-konvolutt med vindu)",
                               ""});
  auto merged = (*renderer)->Merge("Utskrift av vedtaksbrev – " + school->name, lines, pdfs);
  if (!merged) return ReportError(merged.error());
  auto st = WriteFile(a.out, *merged);
  if (!st) return ReportError(st.error());
  if (g.json) {
    PrintJson(json::object{{"out", a.out}, {"school", a.school}, {"letters", static_cast<int>(pdfs.size())},
                           {"held_back_protected", held_back}});
  } else {
    std::cout << "wrote " << a.out << ": a cover sheet and " << pdfs.size() << " approved letter(s) of "
              << school->name << " for printing\n";
  }
  return 0;
}

}  // namespace enrol::cli
