#include "connectors/student_system/oneroster_client.h"

#include <chrono>

#include <boost/json.hpp>

#include "engine/app/kill_point.h"

namespace enrol::sis {
namespace json = boost::json;

namespace {

json::object Ref(const std::string& collection, const std::string& type, const std::string& id) {
  return json::object{{"href", collection + "/" + id}, {"sourcedId", id}, {"type", type}};
}

json::object Base(const std::string& id, const std::string& modified, bool active = true) {
  return json::object{{"sourcedId", id}, {"status", active ? "active" : "tobedeleted"}, {"dateLastModified", modified}};
}

json::object User(const app::RosterPerson& p, const std::string& role, const app::RosterEnrolment& e) {
  // A guardian is shared by the cases of the children (twins, siblings): its
  // object carries the year's reference time, so that two cases send it
  // byte for byte alike and the second is no change at the student system.
  json::object u = Base(p.sourced_id, role == "guardian" ? e.reference_modified : e.modified);
  u["enabledUser"] = "true";
  u["givenName"] = p.given_name;
  u["familyName"] = p.family_name;
  if (!p.middle_name.empty()) u["middleName"] = p.middle_name;
  u["roles"] = json::array{json::object{{"roleType", "primary"}, {"role", role},
                                        {"org", Ref("/orgs", "org", e.school_id)}}};
  u["primaryOrg"] = Ref("/orgs", "org", e.school_id);
  return u;
}

// The server's own words (imsx_description), cut short.
std::string ServerMessage(const http::Response& r) {
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  std::string msg;
  if (!ec && v.is_object()) {
    if (const auto* d = v.get_object().if_contains("imsx_description"); d && d->is_string()) msg = d->get_string();
  }
  if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
  return msg.empty() ? "" : ": " + msg;
}

}  // namespace

OneRosterClient::OneRosterClient(OneRosterSettings settings, http::Transport& transport)
    : settings_(std::move(settings)), transport_(transport) {
  while (!settings_.base_url.empty() && settings_.base_url.back() == '/') settings_.base_url.pop_back();
}

std::vector<std::pair<std::string, json::object>> OneRosterClient::Payloads(const app::RosterEnrolment& e) {
  std::vector<std::pair<std::string, json::object>> out;
  const std::string year = std::to_string(e.school_year), grade = std::to_string(e.grade);
  const std::string grade_code = e.grade < 10 ? "0" + grade : grade;  // CEDS-style grade codes
  json::object session = Base(e.session_id, e.reference_modified);
  session["title"] = "Skoleåret " + year + "/" + std::to_string(e.school_year + 1);
  session["startDate"] = e.begin_date;
  session["endDate"] = e.end_date;
  session["type"] = "schoolYear";
  session["schoolYear"] = std::to_string(e.school_year + 1);  // OneRoster names a school year by its end
  out.emplace_back("academicSessions/" + e.session_id, json::object{{"academicSession", std::move(session)}});

  json::object org = Base(e.school_id, e.reference_modified);
  org["name"] = e.school_name;
  org["type"] = "school";
  org["identifier"] = e.school_org_number;
  out.emplace_back("orgs/" + e.school_id, json::object{{"org", std::move(org)}});

  json::object course = Base(e.course_id, e.reference_modified);
  course["title"] = grade + ". trinn " + year + "/" + std::to_string(e.school_year + 1);
  course["courseCode"] = "trinn-" + grade;
  course["schoolYear"] = Ref("/academicSessions", "academicSession", e.session_id);
  course["grades"] = json::array{json::value(grade_code)};
  out.emplace_back("courses/" + e.course_id, json::object{{"course", std::move(course)}});

  json::object klass = Base(e.class_id, e.reference_modified);
  klass["title"] = grade + ". trinn " + e.school_name;
  klass["classType"] = "homeroom";
  klass["grades"] = json::array{json::value(grade_code)};
  klass["course"] = Ref("/courses", "course", e.course_id);
  klass["school"] = Ref("/orgs", "org", e.school_id);
  klass["terms"] = json::array{Ref("/academicSessions", "academicSession", e.session_id)};
  out.emplace_back("classes/" + e.class_id, json::object{{"class", std::move(klass)}});

  json::array agents;
  for (const app::RosterPerson& g : e.guardians) {
    out.emplace_back("users/" + g.sourced_id, json::object{{"user", User(g, "guardian", e)}});
    agents.push_back(Ref("/users", "user", g.sourced_id));
  }
  json::object pupil = User(e.pupil, "student", e);
  pupil["agents"] = std::move(agents);
  pupil["grades"] = json::array{json::value(grade_code)};
  out.emplace_back("users/" + e.pupil.sourced_id, json::object{{"user", std::move(pupil)}});

  json::object enrollment = Base(e.enrollment_id, e.modified, !e.ended);
  enrollment["user"] = Ref("/users", "user", e.pupil.sourced_id);
  enrollment["class"] = Ref("/classes", "class", e.class_id);
  enrollment["school"] = Ref("/orgs", "org", e.school_id);
  enrollment["role"] = "student";
  enrollment["primary"] = "true";
  enrollment["beginDate"] = e.begin_date;
  enrollment["endDate"] = e.end_date;
  out.emplace_back("enrollments/" + e.enrollment_id, json::object{{"enrollment", std::move(enrollment)}});
  return out;
}

Result<json::object> OneRosterClient::Enter(const app::RosterEnrolment& e, int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int requests = 0;
  for (auto& [path, body] : Payloads(e)) {
    http::Request req;
    req.method = "PUT";
    req.url = settings_.base_url + "/" + path;
    req.headers["content-type"] = "application/json";
    req.headers["accept"] = "application/json";
    if (!settings_.bearer_token.empty()) req.headers["authorization"] = "Bearer " + settings_.bearer_token;
    req.body = json::serialize(body);
    if (timeout_ms > 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return Unavailable("the student system took longer than " + std::to_string(timeout_ms) + " ms");
      req.timeout_ms = left.count();
    }
    ENROL_ASSIGN_OR_RETURN(http::Response res, transport_.Send(req));
    ++requests;
    app::KillPoint("student_system_request");
    const std::string what = "PUT " + path.substr(0, path.find('/'));
    if (res.status == 429 || res.status >= 500) {
      Error err = Unavailable(what + " answered HTTP " + std::to_string(res.status) + ServerMessage(res)).value();
      err.retry_after_ms = http::RetryAfterMs(res);
      return tl::unexpected(err);
    }
    if (res.status != 200 && res.status != 201) {
      return FailedPrecondition(what + " answered HTTP " + std::to_string(res.status) + ServerMessage(res));
    }
  }
  return json::object{{"protocol", "oneroster-1.2"},     {"user_sourcedId", e.pupil.sourced_id},
                      {"enrollment_sourcedId", e.enrollment_id}, {"school_sourcedId", e.school_id},
                      {"class_sourcedId", e.class_id},   {"status", e.ended ? "tobedeleted" : "active"},
                      {"requests", requests}};
}

}  // namespace enrol::sis
