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

bool Waiting(const app::CaseRecord& c, const std::string& state) {
  return c.status == "active" && (" " + c.state + " ").find(" " + state + " ") != std::string::npos;
}

// The copies whose forsendelse digital post could not deliver: from the
// case's dispatch receipt (copy per forsendelse id) and its last status.
std::set<int> UndeliveredCopies(const app::CaseRecord& c) {
  std::set<int> out;
  const json::value* dv = c.instance.if_contains("data");
  const json::object* data = dv ? dv->if_object() : nullptr;
  if (!data) return out;
  std::map<std::string, int> copy_of;
  const json::value* receipts = data->if_contains("receipts");
  const json::value* dispatch = receipts && receipts->is_object() ? receipts->get_object().if_contains("dispatch") : nullptr;
  const json::value* sent = dispatch && dispatch->is_object() ? dispatch->get_object().if_contains("forsendelser") : nullptr;
  if (sent && sent->is_array()) {
    for (const auto& f : sent->get_array()) {
      if (!f.is_object() || !f.get_object().contains("id") || !f.get_object().contains("copy")) continue;
      const json::value& id = f.get_object().at("id");
      const json::value& copy = f.get_object().at("copy");
      if (id.is_string() && copy.is_int64()) copy_of[std::string(id.get_string())] = static_cast<int>(copy.get_int64());
    }
  }
  const json::value* status = data->if_contains("post_status");
  const json::value* list = status && status->is_object() ? status->get_object().if_contains("statuses") : nullptr;
  if (!list || !list->is_array()) return out;
  for (const auto& s : list->get_array()) {
    if (!s.is_object()) continue;
    const json::value* id = s.get_object().if_contains("id");
    const json::value* st = s.get_object().if_contains("status");
    if (!id || !st || !id->is_string() || !st->is_string()) continue;
    if (app::PostStateOf(std::string(st->get_string())) != app::PostState::kFailed) continue;
    if (auto it = copy_of.find(std::string(id->get_string())); it != copy_of.end()) out.insert(it->second);
  }
  return out;
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

int RunLettersPrintBatch(const GlobalOptions& g, Services& s, const LetterArgs& a) {
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
  std::vector<std::pair<int64_t, int>> printed;  // (case, letter version) to mark printed
  int held_back = 0;
  // The state that waits for the print batch, by the workflow's role.
  std::string print_wait;
  if (a.undelivered) {
    auto engine = s.Engine();
    if (!engine) return ReportError(engine.error());
    auto chart = (*engine)->Chart((*engine)->current_workflow());
    if (!chart) return ReportError(chart.error());
    print_wait = (*chart)->roles.print_wait;
  }
  for (const app::CaseRecord& c : *list) {
    if (a.undelivered ? !Waiting(c, print_wait) : !Approved(c)) continue;
    // A protected address, set since the letter was approved: no automatic
    // print; the education office handles the case by hand.
    auto prot = app::ChildOrGuardianProtected(**persons, c.person_id);
    if (!prot) return ReportError(prot.error());
    if (*prot) {
      ++held_back;
      continue;
    }
    auto copies = (*cases)->Letters(c.id, false);
    if (!copies) return ReportError(copies.error());
    const std::set<int> undelivered = a.undelivered ? UndeliveredCopies(c) : std::set<int>{};
    if (a.undelivered && !copies->empty()) printed.push_back({c.id, copies->front().version});
    for (const auto& l : *copies) {
      if (a.undelivered && !undelivered.count(l.copy)) continue;
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
    return ReportError(Error{ErrorCode::kNotFound, "school " + a.school + " has no " +
                                                       (a.undelivered ? "undelivered" : "approved") + " letters to print"});
  }
  lines.insert(lines.begin(), {(*settings)->municipality.name + " – " + school->name,
                               std::to_string(pdfs.size()) +
                                   (a.undelivered ? " brev som ikke kunne leveres digitalt, til utsending per post"
                                                  : " brev til utsending per post") +
                                   " (sendes i C5-konvolutt med vindu)",
                               ""});
  auto merged = (*renderer)->Merge("Utskrift av vedtaksbrev – " + school->name, lines, pdfs);
  if (!merged) return ReportError(merged.error());
  // Written whole first; then each case is marked printed (once: the
  // request id is the case's letter version); then the file takes its name.
  // A crash before the rename leaves OUT.partial, whose letters are marked.
  const std::string partial = a.out + ".partial";
  auto st = WriteFile(partial, *merged);
  if (!st) return ReportError(st.error());
  int marked = 0;
  if (a.undelivered) {
    auto engine = s.Engine();
    if (!engine) return ReportError(engine.error());
    const std::string batch = std::filesystem::path(a.out).filename().string() + " " +
                              core::Sha256Hex(*merged).substr(0, 12);
    for (const auto& [case_id, version] : printed) {
      auto r = (*engine)->RecordPrinted(case_id, version, batch, Actor(a.as));
      if (!r) return ReportError(r.error().WithContext("the batch is in " + partial + "; marking case " +
                                                       std::to_string(case_id) + " printed"));
      marked += r->duplicate ? 0 : 1;
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, a.out, ec);
  if (ec) return ReportError(Error{ErrorCode::kUnavailable, "cannot rename " + partial + " to " + a.out + ": " + ec.message()});
  if (g.json) {
    PrintJson(json::object{{"out", a.out}, {"school", a.school}, {"letters", static_cast<int>(pdfs.size())},
                           {"held_back_protected", held_back}, {"marked_printed", marked}});
  } else {
    std::cout << "wrote " << a.out << ": a cover sheet and " << pdfs.size() << (a.undelivered ? " undelivered" : " approved")
              << " letter(s) of " << school->name << " for printing";
    if (a.undelivered) std::cout << "; " << marked << " case(s) marked printed";
    std::cout << "\n";
  }
  return 0;
}

}  // namespace enrol::cli
