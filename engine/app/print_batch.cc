#include "engine/app/print_batch.h"

#include <map>
#include <set>

#include <boost/json.hpp>

#include "engine/app/digital_post_ports.h"
#include "engine/app/kill_point.h"
#include "engine/app/protection.h"
#include "engine/app/unit_of_work.h"
#include "engine/core/sha256.h"

namespace enrol::app {
namespace json = boost::json;

std::vector<int> UndeliveredCopies(const CaseRecord& c) {
  std::set<int> out;
  const json::value* dv = c.instance.if_contains("data");
  const json::object* data = dv ? dv->if_object() : nullptr;
  if (!data) return {};
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
  if (!list || !list->is_array()) return {};
  for (const auto& s : list->get_array()) {
    if (!s.is_object()) continue;
    const json::value* id = s.get_object().if_contains("id");
    const json::value* st = s.get_object().if_contains("status");
    if (!id || !st || !id->is_string() || !st->is_string()) continue;
    if (PostStateOf(std::string(st->get_string())) != PostState::kFailed) continue;
    if (auto it = copy_of.find(std::string(id->get_string())); it != copy_of.end()) out.insert(it->second);
  }
  return {out.begin(), out.end()};
}

Result<PrintBatchResult> PrintBatchService::OpenOrResume(const std::string& school, const std::string& out) {
  PrintBatchResult r;
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<const sc::Chart> chart, engine_.Chart(engine_.current_workflow()));
  const std::string& print_wait = chart->roles.print_wait;
  ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(cases_));
  ENROL_ASSIGN_OR_RETURN(std::optional<PrintBatch> open, tx.print_batches().OpenBatch(school));
  if (open) {
    r.batch = std::move(*open);
    r.resumed = true;
    return r;  // read only: the unit of work rolls back
  }
  CaseFilter f;
  f.school = school;
  f.state = print_wait;
  f.status = "active";
  ENROL_ASSIGN_OR_RETURN(std::vector<CaseRecord> waiting, tx.cases().ListCases(f));
  PrintBatch& b = r.batch;
  b.school = school;
  b.file = out;
  b.created_at = engine_.NowText();
  for (const CaseRecord& c : waiting) {
    ENROL_ASSIGN_OR_RETURN(bool held, HeldBack(c));
    if (held) {
      ++r.held_back;
      continue;
    }
    ENROL_ASSIGN_OR_RETURN(std::vector<StoredLetter> copies, letters_.OfCase(c.id, false));
    if (copies.empty()) return Internal("case " + c.key + " waits for its print but has no letter");
    PrintBatchCase pc{c.id, copies.front().version, UndeliveredCopies(c)};
    if (pc.copies.empty()) {
      // Which copy failed is not known: every copy goes on paper.
      for (const StoredLetter& l : copies) pc.copies.push_back(l.copy);
    }
    b.cases.push_back(std::move(pc));
  }
  if (b.cases.empty()) {
    return NotFound("school " + school + " has no undelivered letters to print" +
                    (r.held_back ? " (" + std::to_string(r.held_back) + " held back: protected address)" : ""));
  }
  ENROL_ASSIGN_OR_RETURN(b.id, tx.print_batches().InsertBatch(b));
  b.status = "open";
  ENROL_RETURN_IF_ERROR(tx.Commit());
  KillPoint("print_batch.recorded");
  return r;
}

Result<bool> PrintBatchService::HeldBack(const CaseRecord& c) {
  if (c.protected_case) return true;
  return ChildOrGuardianProtected(persons_, c.person_id);
}

Result<std::string> PrintBatchService::Render(const PrintBatch& b, int& letters, int& held_back) {
  const core::School* school = settings_.municipality.FindSchool(b.school);
  const std::string school_name = school ? school->name : b.school;
  std::vector<std::string> pdfs, lines;
  for (const PrintBatchCase& pc : b.cases) {
    ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCase(pc.case_id));
    if (!c) return Internal("print batch " + std::to_string(b.id) + ": case " + std::to_string(pc.case_id) + " is gone");
    // Protected since the batch was recorded (a run that stopped, resumed
    // later): left out of the file, and not marked printed.
    ENROL_ASSIGN_OR_RETURN(bool held, HeldBack(*c));
    if (held) {
      ++held_back;
      continue;
    }
    ENROL_ASSIGN_OR_RETURN(std::vector<StoredLetter> all, letters_.OfCase(pc.case_id, true));
    const std::set<int> wanted(pc.copies.begin(), pc.copies.end());
    for (const StoredLetter& l : all) {
      if (l.version != pc.letter_version || !wanted.count(l.copy)) continue;
      pdfs.push_back(l.pdf);
      lines.push_back(c->key + "   brev versjon " + std::to_string(l.version) + ", kopi " + std::to_string(l.copy) +
                      " av " + std::to_string(l.copies));
    }
  }
  letters = static_cast<int>(pdfs.size());
  lines.insert(lines.begin(), {settings_.municipality.name + " – " + school_name,
                               "Utskrift nr. " + std::to_string(b.id) + ": " + std::to_string(pdfs.size()) +
                                   " brev som ikke kunne leveres digitalt, til utsending per post" +
                                   " (sendes i C5-konvolutt med vindu)",
                               ""});
  return renderer_.Merge("Utskrift av vedtaksbrev – " + school_name, lines, pdfs);
}

Status PrintBatchService::Write(const std::string& path, const std::string& pdf) {
  ENROL_RETURN_IF_ERROR(files_.WritePartial(path, pdf));
  KillPoint("print_batch.written");
  return files_.Publish(path);
}

Result<PrintBatchResult> PrintBatchService::PrintUndelivered(const std::string& school, const std::string& out,
                                                             const std::string& actor) {
  if (!settings_.municipality.FindSchool(school)) return NotFound("no school " + school + " in the configuration");
  // One run per school at a time: a second one would write the same batch.
  ENROL_ASSIGN_OR_RETURN(std::shared_ptr<void> held, files_.HoldSchool(school));
  ENROL_ASSIGN_OR_RETURN(PrintBatchResult r, OpenOrResume(school, out));
  const std::string where = "print batch " + std::to_string(r.batch.id) + " (" + r.batch.file + ")";
  ENROL_ASSIGN_OR_RETURN(std::string pdf, Render(r.batch, r.letters, r.held_back));
  if (auto st = Write(r.batch.file, pdf); !st) {
    return tl::unexpected(st.error().WithContext(where + " is recorded but its file was not written; nothing "
                                                 "is marked printed. Free the space or fix the folder, then run "
                                                 "the same command again: it writes this batch again"));
  }
  const std::string sha = core::Sha256Hex(pdf);
  auto marked = engine_.MarkBatchPrinted(r.batch.id, sha, actor);
  if (!marked) {
    return tl::unexpected(marked.error().WithContext(where + " is written, but its cases are not marked printed; "
                                                     "run the same command again: it writes this batch again "
                                                     "and marks it (print only the newest file)"));
  }
  r.marked = *marked;
  r.batch.sha256 = sha;
  r.batch.status = "done";
  return r;
}

Result<PrintBatchResult> PrintBatchService::Reprint(int64_t id, const std::string& out) {
  PrintBatchResult r;
  ENROL_ASSIGN_OR_RETURN(std::optional<PrintBatch> b, cases_.FindBatch(id));
  if (!b) return NotFound("no print batch " + std::to_string(id));
  r.batch = std::move(*b);
  ENROL_ASSIGN_OR_RETURN(std::string pdf, Render(r.batch, r.letters, r.held_back));
  ENROL_RETURN_IF_ERROR(Write(out, pdf));
  r.batch.file = out;
  return r;
}

}  // namespace enrol::app
