#include "engine/app/student_system_service.h"

#include <cstdio>
#include <ctime>
#include <map>

#include <boost/json.hpp>

#include "engine/app/cohort_report.h"
#include "engine/app/protection.h"
#include "engine/core/sha256.h"

namespace enrol::app {
namespace json = boost::json;

namespace {

JobOutcome Fail(std::string error, bool retryable) { return JobOutcome{false, nullptr, std::move(error), retryable}; }

RosterPerson Person(const std::string& id, const core::Name& n) {
  return RosterPerson{id, n.fornavn, n.mellomnavn, n.etternavn};
}

std::string IsoMillis(int64_t ms) {
  const std::time_t s = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  return buf;
}

JobOutcome Entered(StudentSystemPort& port, const RosterEnrolment& e, int64_t timeout_ms) {
  auto receipt = port.Enter(e, timeout_ms);
  if (!receipt) {
    JobOutcome out = Fail("student system: " + receipt.error().message, receipt.error().code == ErrorCode::kUnavailable);
    out.retry_after_ms = receipt.error().retry_after_ms;
    return out;
  }
  return JobOutcome{true, std::move(*receipt), "", true};
}

JobOutcome NotPrepared(const Error& e) {
  return Fail("student system: " + e.message, e.code == ErrorCode::kUnavailable || e.code == ErrorCode::kAborted ||
                                                  e.code == ErrorCode::kInternal);
}

}  // namespace

std::string RosterId(const std::string& kind, const std::string& kommunenummer, const std::string& parts) {
  return kind + "-" + core::Sha256Hex("enrol-oneroster\n" + kind + "\n" + kommunenummer + "\n" + parts).substr(0, 32);
}

int64_t UuidV7Millis(const std::string& key) {
  if (key.size() != 36 || key[8] != '-' || key[13] != '-' || key[14] != '7') return -1;
  int64_t ms = 0;
  for (int i = 0; i < 13; ++i) {
    if (i == 8) continue;
    const char c = key[static_cast<size_t>(i)];
    const int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) return -1;
    ms = ms * 16 + v;
  }
  return ms;
}

Result<RosterEnrolment> StudentSystemService::Prepare(const JobRequest& r) {
  const json::value* ref = r.params.if_contains("case_ref");
  if (!ref || !ref->is_string()) return InvalidArgument("the student_system invoke needs the case_ref param");
  ENROL_ASSIGN_OR_RETURN(std::optional<CaseRecord> c, cases_.FindCaseByKey(std::string(ref->get_string())));
  if (!c) return NotFound("no case " + std::string(ref->get_string()));
  ENROL_ASSIGN_OR_RETURN(Family family, LoadFamily(persons_, c->person_id));
  const StoredPerson& child = family.child;
  const std::map<std::string, StoredPerson>& guardians = family.guardians;
  const bool prot = family.protected_address;
  // The education office may order it (student_system.protected): the
  // student system gets names and the school, never an address.
  const json::value* ordered = r.params.if_contains("protected_order");
  if (prot && !(ordered && ordered->is_bool() && ordered->get_bool())) {
    return FailedPrecondition("case " + c->key +
                              " is under a protected address: it is never entered in the student system automatically "
                              "(the education office may order it: student_system.protected)");
  }
  // The school the workflow decided (its param), else the case's.
  std::string school_id = c->school;
  if (const json::value* s = r.params.if_contains("school"); s && s->is_string()) school_id = std::string(s->get_string());
  const core::School* school = settings_.municipality.FindSchool(school_id);
  if (!school) return FailedPrecondition("case " + c->key + " is placed at school '" + school_id + "', which is not configured");
  const std::string& kommune = settings_.municipality.number;
  const std::string year = std::to_string(c->school_year);
  const std::string grade = std::to_string(c->grade);
  RosterEnrolment e;
  e.pupil = Person(RosterId("elev", kommune, child.person.id), child.person.name);
  for (const auto& [nin, g] : guardians) e.guardians.push_back(Person(RosterId("foresatt", kommune, nin), g.person.name));
  e.school_id = "skole-" + school->org_number;
  e.school_name = school->name;
  e.school_org_number = school->org_number;
  e.school_year = c->school_year;
  e.grade = c->grade;
  e.session_id = "skoleaar-" + year + "-" + std::to_string(c->school_year + 1);
  e.course_id = "trinn-" + grade + "-" + year;
  e.class_id = "basisgruppe-" + school->org_number + "-" + year + "-" + grade;
  e.enrollment_id = RosterId("elevforhold", kommune, child.person.id + "\n" + year);
  e.begin_date = year + "-08-01";
  e.end_date = std::to_string(c->school_year + 1) + "-07-31";
  const int64_t ms = UuidV7Millis(r.idempotency_key);
  e.reference_modified = year + "-01-01T00:00:00.000Z";
  e.modified = ms >= 0 ? IsoMillis(ms) : e.reference_modified;
  if (const json::value* end = r.params.if_contains("ended"); end && end->is_bool()) e.ended = end->get_bool();
  return e;
}

JobOutcome StudentSystemService::Execute(const JobRequest& r) {
  auto e = Prepare(r);
  if (!e) return NotPrepared(e.error());
  return Entered(port_, *e, r.timeout_ms);
}

Connector::Call StudentSystemService::Begin(const JobRequest& r) {
  auto e = Prepare(r);
  if (!e) {
    JobOutcome out = NotPrepared(e.error());
    return [out] { return out; };
  }
  return [&port = port_, en = std::move(*e), timeout = r.timeout_ms] { return Entered(port, en, timeout); };
}

}  // namespace enrol::app
