#include "engine/app/letter_service.h"

#include "engine/app/protection.h"

#include <map>

#include <boost/json.hpp>

#include "engine/app/cohort_report.h"
#include "engine/core/cohort.h"
#include "engine/core/sha256.h"

namespace enrol::app {
namespace json = boost::json;

namespace {

std::string ConfigText(const json::value& cfg, const char* key, const std::string& fallback) {
  const json::object* o = cfg.if_object();
  const json::value* v = o ? o->if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->get_string()) : fallback;
}

// Phone numbers keep together on a line.
std::string NoBreak(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == ' ') out += "\u00a0";
    else out += c;
  }
  return out;
}

std::string AddressKey(const core::Address& a) {
  return a.kommunenummer + "|" + a.StreetLine() + "|" + a.bruksenhetsnummer + "|" + a.postnummer;
}

}  // namespace

std::vector<std::pair<std::string, std::vector<const core::Person*>>> LetterHouseholds(const core::CohortEntry& entry) {
  std::vector<std::pair<std::string, std::vector<const core::Person*>>> households;
  for (const core::Guardian& g : entry.guardians) {
    if (!g.person || !g.person->home || g.person->home->kind == core::AddressKind::kUkjentBosted) continue;
    const std::string key = AddressKey(*g.person->home);
    auto it = std::find_if(households.begin(), households.end(), [&](const auto& h) { return h.first == key; });
    if (it == households.end()) {
      households.push_back({key, {g.person}});
    } else {
      it->second.push_back(g.person);
    }
  }
  return households;
}

namespace {

std::string JoinNames(const std::vector<std::string>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) s += i + 1 == names.size() ? " og " : ", ";
    s += names[i];
  }
  return s;
}

JobOutcome Fail(std::string error, bool retryable) { return JobOutcome{false, nullptr, std::move(error), retryable}; }

}  // namespace

json::object LetterReceipt(const std::vector<StoredLetter>& copies) {
  json::array hashes;
  for (const auto& c : copies) hashes.push_back(json::string(c.pdf_sha256));
  const StoredLetter& first = copies.front();
  return json::object{{"letter_version", first.version}, {"copies", first.copies},
                      {"template", first.template_name},  {"template_version", first.template_version.substr(0, 12)},
                      {"pdf_sha256", std::move(hashes)},   {"pdfa_sha256", first.pdfa_sha256}};
}

namespace {

using Households = std::vector<std::pair<std::string, std::vector<const core::Person*>>>;

// What every copy of a case's letter says: who writes, about whom, when.
json::object LetterBase(const core::Municipality& m, const core::School& school, const core::Person& child,
                        const CaseRecord& c, const core::Date& today, const core::Date& reply_by,
                        const std::string& start_date, const json::value& letters_config) {
  json::object base;
  base["municipality"] = json::object{{"name", m.name},         {"office", m.office_name}, {"address", m.address},
                                      {"postnummer", m.postnummer}, {"poststed", m.poststed},
                                      {"org_number", m.org_number}, {"phone", NoBreak(m.phone)}, {"email", m.email}};
  base["school"] = json::object{{"name", school.name}, {"address", school.address}, {"postnummer", school.postnummer},
                                {"poststed", school.poststed}, {"phone", NoBreak(school.phone)},
                                {"email", school.email}};
  base["child"] = json::object{{"name", child.name.Full()},
                               {"first_name", child.name.fornavn},
                               {"birth_date", child.birth_date ? child.birth_date->ToNorwegian() : ""}};
  base["grade"] = std::to_string(c.grade);
  base["previous_grade"] = std::to_string(c.grade - 1);
  base["school_year"] = std::to_string(c.school_year) + "/" + std::to_string(c.school_year + 1);
  base["start_year"] = std::to_string(c.school_year);
  base["start_date"] = start_date;
  base["reply_by"] = reply_by.ToNorwegianLong();
  base["letter_date"] = today.ToNorwegian();
  base["case_ref"] = c.key;
  base["archive_ref"] = "";
  base["legal_basis"] = ConfigText(letters_config, "legal_basis", "");
  base["appeal_body"] = "Statsforvalteren";
  base["signature"] = ConfigText(letters_config, "signature", "rektor") + ", " + school.name;
  return base;
}

// The copy of household `h`: its window, its info block, and whom the
// dispatch sends it to.
Result<LetterRequest> HouseholdLetter(const CaseRecord& c, const core::School& school, const std::string& lang,
                                      const std::string& created, const core::Date& today, const json::object& base,
                                      const Households& households, size_t h, const Family& family) {
  LetterRequest req;
  req.template_name = "grade" + std::to_string(c.grade) + "." + lang;
  req.language = lang;
  req.case_ref = c.key;
  req.sender_unit = school.name;
  req.created = created;
  std::vector<std::string> names;
  for (const core::Person* p : households[h].second) names.push_back(p->name.Full());
  std::vector<std::string> others;
  for (size_t o = 0; o < households.size(); ++o) {
    if (o == h) continue;
    for (const core::Person* p : households[o].second) others.push_back(p->name.Full());
  }
  const core::Address& a = *households[h].second.front()->home;
  req.recipient = names;
  req.recipient.push_back(a.StreetLine());
  std::string poststed = a.poststed;
  for (char& ch : poststed) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  req.recipient.push_back(a.postnummer + " " + poststed);
  req.return_address = school.name + ", " + school.address + ", " + school.postnummer + " " + school.poststed;
  req.info = {{"Dato", today.ToNorwegian()},
              {"Vår ref.", c.key},
              {lang == "nn" ? "Sakshandsamar" : "Saksbehandler", school.name},
              {"Telefon", NoBreak(school.phone)}};
  req.data = base;
  req.data["recipients"] = JoinNames(names);
  req.data["copy_to"] = JoinNames(others);
  // Whom this copy goes to, as written in its window: the dispatch sends
  // exactly these, on every attempt, whatever the register says later.
  json::array delivery;
  for (const core::Person* p : households[h].second) {
    const auto it = family.guardians.find(p->id);
    if (it == family.guardians.end()) return Internal("a guardian of case " + c.key + " is not in the family read");
    delivery.push_back(json::object{{"person", it->second.key}, {"name", p->name.Full()},
                                    {"address_lines", json::array{json::string(a.StreetLine())}},
                                    {"postnummer", a.postnummer}, {"poststed", a.poststed}});
  }
  req.data["delivery"] = std::move(delivery);
  return req;
}

}  // namespace

Result<std::vector<LetterRequest>> LetterService::Prepare(const CaseRecord& c) {
  const core::Municipality& m = settings_.municipality;
  ENROL_ASSIGN_OR_RETURN(Family family, LoadFamily(persons_, c.person_id));
  const StoredPerson& child = family.child;
  if (family.protected_address) {
    return FailedPrecondition("the child or a guardian has a protected address: no automatic letter (handle by hand)");
  }
  auto lookup = [&family](std::string_view id) { return family.Guardian(id); };
  const core::CohortEntry entry = core::EvaluateChild(child.person, c.school_year, c.grade, m, lookup);
  const core::School* school = m.FindSchool(c.school);
  if (!school) return FailedPrecondition("case " + c.key + " has no school ('" + c.school + "') to write from");

  const Households households = LetterHouseholds(entry);
  if (households.empty()) {
    return FailedPrecondition("no guardian of case " + c.key + " has an address in the register to write to");
  }

  const std::string lang = school->language == core::LanguageForm::kNynorsk ? "nn" : "nb";
  const auto now = clock_.Now();
  // The letter's date and its reply-by date are dates in Norway, not UTC:
  // a letter made at 00:30 in Oslo carries that day.
  const core::Date today =
      core::OsloDate(std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
  const json::object* lcfg = settings_.letters_config.if_object();
  int64_t reply_days = 14;
  if (lcfg) {
    if (const auto* d = lcfg->if_contains("reply_days"); d && d->is_int64()) reply_days = d->get_int64();
  }
  std::string start_date;
  if (const std::string first = ConfigText(settings_.letters_config, "first_school_day", ""); !first.empty()) {
    start_date = core::ParseIsoDate(first)->ToNorwegianLong();
  }
  const core::Date reply_by = core::Date::FromDaysSinceEpoch(today.DaysSinceEpoch() + reply_days);
  const json::object base =
      LetterBase(m, *school, child.person, c, today, reply_by, start_date, settings_.letters_config);
  const std::string created = FormatUtc(now).substr(0, 19) + "+00:00";
  std::vector<LetterRequest> out;
  for (size_t h = 0; h < households.size(); ++h) {
    ENROL_ASSIGN_OR_RETURN(LetterRequest req, HouseholdLetter(c, *school, lang, created, today, base, households, h, family));
    out.push_back(std::move(req));
  }
  return out;
}

JobOutcome LetterService::Execute(const JobRequest& r) {
  auto existing = letters_.ByJobKey(r.idempotency_key);
  if (!existing) return Fail("letter store: " + existing.error().message, true);
  if (!existing->empty()) return JobOutcome{true, LetterReceipt(*existing), "", true};

  const json::value* ref = r.params.if_contains("case_ref");
  if (!ref || !ref->is_string()) return Fail("the letters invoke needs the case_ref param", false);
  auto c = cases_.FindCaseByKey(std::string(ref->get_string()));
  if (!c) return Fail("case store: " + c.error().message, true);
  if (!*c) return Fail("no case " + std::string(ref->get_string()), false);
  // The school may have been reassigned since the case row was read.
  CaseRecord record = **c;
  if (const auto* s = r.params.if_contains("school"); s && s->is_string() && !s->get_string().empty()) {
    record.school = std::string(s->get_string());
  }
  auto requests = Prepare(record);
  if (!requests) return Fail(requests.error().message, false);

  std::vector<StoredLetter> copies;
  for (size_t i = 0; i < requests->size(); ++i) {
    auto rendered = renderer_.Render((*requests)[i]);
    if (!rendered) {
      const bool retryable = rendered.error().code != ErrorCode::kFailedPrecondition &&
                             rendered.error().code != ErrorCode::kInvalidArgument;
      return Fail(rendered.error().message, retryable);
    }
    StoredLetter s;
    s.case_id = record.id;
    s.copy = static_cast<int>(i + 1);
    s.copies = static_cast<int>(requests->size());
    s.job_key = r.idempotency_key;
    s.template_name = (*requests)[i].template_name;
    s.template_version = rendered->template_version;
    s.data = json::serialize((*requests)[i].data);
    s.pdf_sha256 = core::Sha256Hex(rendered->pdf);
    s.pdfa_sha256 = core::Sha256Hex(rendered->pdfa);
    s.pdf = std::move(rendered->pdf);
    s.pdfa = std::move(rendered->pdfa);
    s.created_at = FormatUtc(clock_.Now());
    copies.push_back(std::move(s));
  }
  auto version = letters_.AddVersion(record.id, std::move(copies));
  if (!version) return Fail("letter store: " + version.error().message, true);
  auto stored = letters_.ByJobKey(r.idempotency_key);
  if (!stored || stored->empty()) return Fail("letter store: the letter vanished after storing", true);
  return JobOutcome{true, LetterReceipt(*stored), "", true};
}

bool IsScreened(const StoredLetter& l) {
  boost::system::error_code ec;
  const json::value d = json::parse(l.data, ec);
  return !ec && d.is_object() && d.get_object().contains("screened");
}

Result<int> LetterService::ScreenCase(const CaseRecord& c) {
  ENROL_ASSIGN_OR_RETURN(std::vector<StoredLetter> all, letters_.OfCase(c.id, /*all=*/true));
  int screened = 0;
  for (StoredLetter& l : all) {
    if (IsScreened(l)) continue;
    boost::system::error_code ec;
    json::value parsed = json::parse(l.data, ec);
    if (ec || !parsed.is_object()) return Internal("letter " + std::to_string(l.id) + " of case " + c.key + ": its data does not read");
    json::object data = std::move(parsed.get_object());
    // Whom it went to, by name only: no address of anyone in the family.
    std::vector<std::string> names;
    json::array delivery;
    if (const json::value* d = data.if_contains("delivery"); d && d->is_array()) {
      for (const json::value& r : d->get_array()) {
        if (!r.is_object()) continue;
        const json::value* name = r.get_object().if_contains("name");
        const json::value* person = r.get_object().if_contains("person");
        if (name && name->is_string()) names.emplace_back(name->get_string());
        delivery.push_back(json::object{{"person", person ? *person : json::value()}, {"name", name ? *name : json::value()}});
      }
    }
    data["delivery"] = std::move(delivery);
    data["screened"] = true;
    const json::object* school = data.contains("school") ? data.at("school").if_object() : nullptr;
    auto text = [&](const json::object* o, const char* key) {
      const json::value* v = o ? o->if_contains(key) : nullptr;
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    LetterRequest req;
    req.template_name = l.template_name;
    req.language = l.template_name.size() > 3 && l.template_name.substr(l.template_name.size() - 3) == ".nn" ? "nn" : "nb";
    req.case_ref = c.key;
    req.sender_unit = text(school, "name");
    req.created = l.created_at;
    req.recipient = names;
    req.recipient.push_back(req.language == "nn" ? "Adressa er skjerma" : "Adressen er skjermet");
    req.return_address = text(school, "name") + ", " + text(school, "address") + ", " + text(school, "postnummer") + " " +
                         text(school, "poststed");
    req.info = {{"Dato", text(&data, "letter_date")},
                {"Vår ref.", c.key},
                {req.language == "nn" ? "Sakshandsamar" : "Saksbehandler", text(school, "name")},
                {"Telefon", text(school, "phone")}};
    req.data = data;
    ENROL_ASSIGN_OR_RETURN(RenderedLetter rendered, renderer_.Render(req));
    l.data = json::serialize(data);
    l.template_version = rendered.template_version;
    l.pdf_sha256 = core::Sha256Hex(rendered.pdf);
    l.pdfa_sha256 = core::Sha256Hex(rendered.pdfa);
    l.pdf = std::move(rendered.pdf);
    l.pdfa = std::move(rendered.pdfa);
    ENROL_RETURN_IF_ERROR(letters_.Screen(l));
    ++screened;
  }
  return screened;
}

}  // namespace enrol::app
