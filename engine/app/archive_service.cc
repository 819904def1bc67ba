#include "engine/app/archive_service.h"

#include <map>

#include <boost/json.hpp>

#include "engine/app/cohort_report.h"
#include "engine/app/protection.h"
#include "engine/core/sha256.h"

namespace enrol::app {
namespace json = boost::json;

namespace {

JobOutcome Fail(std::string error, bool retryable) { return JobOutcome{false, nullptr, std::move(error), retryable}; }

const char* GradeWord(int grade) {
  switch (grade) {
    case 1: return "1. trinn";
    case 5: return "5. trinn";
    case 8: return "8. trinn";
    default: return "trinn";
  }
}

}  // namespace

std::string PupilArchiveKey(const std::string& kommunenummer, const std::string& national_id) {
  return "elev-" + core::Sha256Hex("enrol-elevmappe\n" + kommunenummer + "\n" + national_id).substr(0, 32);
}

Result<ArchiveFiling> ArchiveService::Prepare(const JobRequest& r) {
  const json::value* ref = r.params.if_contains("case_ref");
  if (!ref || !ref->is_string()) return InvalidArgument("the archive invoke needs the case_ref param");
  const json::value* letter = r.params.if_contains("letter");
  const json::value* version = letter && letter->is_object() ? letter->get_object().if_contains("letter_version") : nullptr;
  if (!version || !version->is_int64()) {
    return InvalidArgument("the archive invoke needs the letter param with its letter_version");
  }
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCaseByKey(std::string(ref->get_string())));
  if (!c) return NotFound("no case " + std::string(ref->get_string()));
  ENROL_ASSIGN_OR_RETURN(Family family, LoadFamily(persons_, c->person_id));
  const StoredPerson& child = family.child;
  const std::map<std::string, StoredPerson>& guardians = family.guardians;
  const bool prot = family.protected_address;
  const json::value* ordered = r.params.if_contains("protected_order");
  const bool by_order = ordered && ordered->is_bool() && ordered->get_bool();
  if (prot && !by_order) {
    return FailedPrecondition("case " + c->key +
                              " is under a protected address: it is never archived automatically (the education "
                              "office may order it, with the stricter screening: archive.protected)");
  }

  // A protected case's letter holds the address it was sent to: it is
  // rendered again without any address first, and that copy is filed.
  if (prot) {
    if (!screener_) {
      return FailedPrecondition("case " + c->key + " is under a protected address and its letter holds the address "
                                "it was sent to; filing it needs the letter renderer (connectors.letters = "
                                "\"renderer\") to render it again without any address");
    }
    ENROL_ASSIGN_OR_RETURN(int screened, screener_->ScreenCase(*c));
    (void)screened;
  }
  // The letter version the workflow approved: its PDF/A archive copy.
  ENROL_ASSIGN_OR_RETURN(std::vector<StoredLetter> all, letters_.OfCase(c->id, /*all=*/true));
  const StoredLetter* copy = nullptr;
  for (const StoredLetter& l : all) {
    if (l.version == version->get_int64() && l.copy == 1) copy = &l;
  }
  if (copy && prot && !IsScreened(*copy)) return Internal("case " + c->key + ": its letter was not screened");
  if (!copy || copy->pdfa.empty()) {
    return FailedPrecondition("case " + c->key + " has no rendered letter version " +
                              std::to_string(version->get_int64()) + " to archive");
  }

  ArchiveFiling f;
  f.pupil_key = PupilArchiveKey(settings_.municipality.number, child.person.id);
  f.letter_key = r.idempotency_key;
  const std::string name = child.person.name.Full();
  const std::string year = std::to_string(c->school_year) + "/" + std::to_string(c->school_year + 1);
  f.mappe_title = "Elevmappe - " + name;
  f.mappe_public_title = "Elevmappe - ******";
  const std::string what = std::string("Vedtak om skoleplass ") + GradeWord(c->grade) + " " + year;
  f.title = what + " - " + name;
  f.public_title = what + " - ******";
  f.document_title = what;
  // The letter's date as it reads in Norway (a letter made at 00:30 in Oslo
  // is that day's, though UTC still says the day before).
  const std::optional<std::string> dated = OsloDateOfUtc(copy->created_at);
  if (!dated) return Internal("letter of case " + c->key + " has no readable creation time");
  f.document_date = *dated;
  f.protected_address = prot;
  for (const auto& [id, g] : guardians) {
    if (!g.person.home || g.person.home->kind == core::AddressKind::kUkjentBosted) continue;
    ArchiveRecipient rec;
    rec.name = g.person.name.Full();
    if (prot) {  // a protected address never leaves the engine: the name alone
      f.recipients.push_back(std::move(rec));
      continue;
    }
    rec.address_lines = {g.person.home->StreetLine()};
    rec.postnummer = g.person.home->postnummer;
    rec.poststed = g.person.home->poststed;
    f.recipients.push_back(std::move(rec));
  }
  f.file = copy->pdfa;
  f.file_name = "vedtak-skoleplass-v" + std::to_string(copy->version) + ".pdf";
  return f;
}

namespace {

JobOutcome Filed(ArchivePort& archive, const ArchiveFiling& filing, int64_t timeout_ms) {
  auto receipt = archive.File(filing, timeout_ms);
  if (!receipt) {
    JobOutcome out = Fail("archive: " + receipt.error().message, receipt.error().code == ErrorCode::kUnavailable);
    out.retry_after_ms = receipt.error().retry_after_ms;
    out.pending = receipt.error().pending && out.retryable;
    return out;
  }
  return JobOutcome{true, std::move(*receipt), "", true};
}

JobOutcome NotPrepared(const Error& e) {
  const ErrorCode code = e.code;
  return Fail("archive: " + e.message,
              code == ErrorCode::kUnavailable || code == ErrorCode::kAborted || code == ErrorCode::kInternal);
}

}  // namespace

JobOutcome ArchiveService::Execute(const JobRequest& r) {
  auto filing = Prepare(r);
  if (!filing) return NotPrepared(filing.error());
  return Filed(archive_, *filing, r.timeout_ms);
}

Connector::Call ArchiveService::Begin(const JobRequest& r) {
  auto filing = Prepare(r);
  if (!filing) {
    JobOutcome out = NotPrepared(filing.error());
    return [out] { return out; };
  }
  return [&archive = archive_, f = std::move(*filing), timeout = r.timeout_ms] { return Filed(archive, f, timeout); };
}

}  // namespace enrol::app
