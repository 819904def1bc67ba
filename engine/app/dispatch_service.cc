#include "engine/app/dispatch_service.h"

#include <algorithm>
#include <map>

#include <boost/json.hpp>

#include "engine/app/cohort_report.h"
#include "engine/app/letter_service.h"
#include "engine/app/protection.h"
#include "engine/core/cohort.h"

namespace enrol::app {
namespace json = boost::json;

PostState PostStateOf(const std::string& s) {
  if (s == "LEST" || s == "LEVERT_SDP" || s == "SENDT_DIGITALT" || s == "PRINTET" || s == "SENDT_PRINT" ||
      s == "MANUELT_HANDTERT") {
    return PostState::kDelivered;
  }
  if (s == "IKKE_LEVERT" || s == "AVVIST") return PostState::kFailed;
  return PostState::kPending;
}

namespace {

JobOutcome Fail(std::string error, bool retryable) { return JobOutcome{false, nullptr, std::move(error), retryable}; }

JobOutcome FromError(const std::string& what, const Error& e) {
  JobOutcome out = Fail(what + ": " + e.message, e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kAborted ||
                                                     e.code == ErrorCode::kInternal);
  out.retry_after_ms = e.retry_after_ms;
  return out;
}

JobOutcome Sent(DigitalPostPort& post, const PostShipment& s, int64_t timeout_ms) {
  auto receipt = post.Send(s, timeout_ms);
  if (!receipt) return FromError("digital post", receipt.error());
  return JobOutcome{true, std::move(*receipt), "", true};
}

}  // namespace

namespace {

// The recipients kept with one copy of a letter when it was drafted (its
// data's "delivery"), with their national id numbers from the register by
// their person key; empty for a letter drafted before they were kept.
Result<std::vector<PostRecipient>> KeptRecipients(PersonStore& persons, const StoredLetter& l) {
  std::vector<PostRecipient> out;
  boost::system::error_code ec;
  const json::value data = json::parse(l.data, ec);
  const json::object* o = !ec ? data.if_object() : nullptr;
  const json::value* delivery = o ? o->if_contains("delivery") : nullptr;
  if (!delivery) return out;
  if (!delivery->is_array()) return Internal("letter version " + std::to_string(l.version) + " has a broken delivery list");
  for (const json::value& d : delivery->get_array()) {
    const json::object* r = d.if_object();
    const json::value* key = r ? r->if_contains("person") : nullptr;
    const json::value* lines = r ? r->if_contains("address_lines") : nullptr;
    if (!key || !key->is_int64() || !lines || !lines->is_array()) {
      return Internal("letter version " + std::to_string(l.version) + " has a broken delivery entry");
    }
    ENROL_ASSIGN_OR_RETURN(std::optional<StoredPerson> p, persons.FindByKey(key->get_int64()));
    if (!p) return FailedPrecondition("a recipient of letter version " + std::to_string(l.version) +
                                      " is no longer in the register; draft the letter again");
    PostRecipient rec;
    rec.name = std::string(r->at("name").as_string());
    rec.national_id = p->person.id;
    for (const json::value& line : lines->get_array()) {
      if (line.is_string()) rec.address_lines.emplace_back(line.get_string());
    }
    rec.postnummer = std::string(r->at("postnummer").as_string());
    rec.poststed = std::string(r->at("poststed").as_string());
    rec.copy = l.copy;
    out.push_back(std::move(rec));
  }
  return out;
}

}  // namespace

Result<PostShipment> DispatchService::Prepare(const JobRequest& r) {
  const json::value* ref = r.params.if_contains("case_ref");
  if (!ref || !ref->is_string()) return InvalidArgument("the dispatch invoke needs the case_ref param");
  const json::value* letter = r.params.if_contains("letter");
  const json::value* version = letter && letter->is_object() ? letter->get_object().if_contains("letter_version") : nullptr;
  if (!version || !version->is_int64()) return InvalidArgument("the dispatch invoke needs the letter param with its letter_version");
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCaseByKey(std::string(ref->get_string())));
  if (!c) return NotFound("no case " + std::string(ref->get_string()));
  ENROL_ASSIGN_OR_RETURN(Family family, LoadFamily(persons_, c->person_id));
  if (family.protected_address) {
    return FailedPrecondition("case " + c->key + " is under a protected address: it is never sent automatically");
  }
  ENROL_ASSIGN_OR_RETURN(std::vector<StoredLetter> all, letters_.OfCase(c->id, /*all=*/true));
  PostShipment s;
  s.title = "Vedtak om skoleplass";
  s.sender = "enrol";
  bool kept = true;
  for (const StoredLetter& l : all) {
    if (l.version != version->get_int64() || l.pdf.empty()) continue;
    s.pdfs[l.copy] = l.pdf;
    ENROL_ASSIGN_OR_RETURN(std::vector<PostRecipient> to, KeptRecipients(persons_, l));
    kept = kept && !to.empty();
    for (PostRecipient& p : to) s.recipients.push_back(std::move(p));
  }
  if (s.pdfs.empty()) {
    return FailedPrecondition("case " + c->key + " has no rendered letter version " + std::to_string(version->get_int64()));
  }
  if (!kept) {
    // A letter drafted before its recipients were kept with it: as the
    // register says now.
    s.recipients.clear();
    auto lookup = [&family](std::string_view id) { return family.Guardian(id); };
    const core::CohortEntry entry =
        core::EvaluateChild(family.child.person, c->school_year, c->grade, settings_.municipality, lookup);
    const auto households = LetterHouseholds(entry);
    for (size_t h = 0; h < households.size(); ++h) {
      const int copy = static_cast<int>(h + 1);
      if (!s.pdfs.count(copy)) {
        return FailedPrecondition("case " + c->key + ": the letter has " + std::to_string(s.pdfs.size()) +
                                  " copies but the guardians now live at " + std::to_string(households.size()) +
                                  " addresses; draft it again");
      }
      for (const core::Person* g : households[h].second) {
        PostRecipient p;
        p.name = g->name.Full();
        p.national_id = g->id;
        p.address_lines = {g->home->StreetLine()};
        p.postnummer = g->home->postnummer;
        p.poststed = g->home->poststed;
        p.copy = copy;
        s.recipients.push_back(std::move(p));
      }
    }
  }
  std::stable_sort(s.recipients.begin(), s.recipients.end(),
                   [](const PostRecipient& a, const PostRecipient& b) { return a.copy < b.copy; });
  for (size_t i = 0; i < s.recipients.size(); ++i) {
    s.recipients[i].eksternref = r.idempotency_key + "-" + std::to_string(i + 1);
  }
  if (s.recipients.empty()) return FailedPrecondition("case " + c->key + " has no guardian to send the letter to");
  s.file_name = "vedtak-skoleplass-v" + std::to_string(version->get_int64()) + ".pdf";
  return s;
}

JobOutcome DispatchService::Execute(const JobRequest& r) {
  auto s = Prepare(r);
  if (!s) return FromError("digital post", s.error());
  return Sent(post_, *s, r.timeout_ms);
}

Connector::Call DispatchService::Begin(const JobRequest& r) {
  auto s = Prepare(r);
  if (!s) {
    JobOutcome out = FromError("digital post", s.error());
    return [out] { return out; };
  }
  return [&post = post_, sh = std::move(*s), timeout = r.timeout_ms] { return Sent(post, sh, timeout); };
}

namespace {

JobOutcome Checked(DigitalPostPort& post, const std::vector<std::string>& ids, int64_t timeout_ms) {
  auto statuses = post.Statuses(ids, timeout_ms);
  if (!statuses) return FromError("digital post status", statuses.error());
  json::array list;
  int delivered = 0, failed = 0, pending = 0;
  for (const std::string& id : ids) {
    auto it = statuses->find(id);
    const std::string status = it == statuses->end() ? "UKJENT" : it->second;
    switch (PostStateOf(status)) {
      case PostState::kDelivered: ++delivered; break;
      case PostState::kFailed: ++failed; break;
      case PostState::kPending: ++pending; break;
    }
    list.push_back(json::object{{"id", id}, {"status", status}});
  }
  json::object receipt{{"statuses", std::move(list)}, {"delivered", delivered}, {"failed", failed},
                       {"pending", pending}, {"done", pending == 0}, {"print", pending == 0 && failed > 0}};
  return JobOutcome{true, std::move(receipt), "", true};
}

Result<std::vector<std::string>> ShipmentIds(const JobRequest& r) {
  const json::value* shipment = r.params.if_contains("shipment");
  const json::value* list = shipment && shipment->is_object() ? shipment->get_object().if_contains("forsendelser") : nullptr;
  if (!list || !list->is_array() || list->get_array().empty()) {
    return InvalidArgument("the post_status invoke needs the shipment param (the dispatch receipt with its forsendelser)");
  }
  std::vector<std::string> ids;
  for (const auto& f : list->get_array()) {
    const json::value* id = f.is_object() ? f.get_object().if_contains("id") : nullptr;
    if (!id || !id->is_string()) return InvalidArgument("a forsendelse in the shipment param has no id");
    ids.emplace_back(id->get_string());
  }
  return ids;
}

}  // namespace

JobOutcome PostStatusService::Execute(const JobRequest& r) {
  auto ids = ShipmentIds(r);
  if (!ids) return FromError("digital post status", ids.error());
  return Checked(post_, *ids, r.timeout_ms);
}

Connector::Call PostStatusService::Begin(const JobRequest& r) {
  auto ids = ShipmentIds(r);
  if (!ids) {
    JobOutcome out = FromError("digital post status", ids.error());
    return [out] { return out; };
  }
  return [&post = post_, i = std::move(*ids), timeout = r.timeout_ms] { return Checked(post, i, timeout); };
}

}  // namespace enrol::app
