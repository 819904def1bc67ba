#pragma once
// Enters an enrolment in a student system as OneRoster 1.2 objects, each
// upserted with PUT {base}/{collection}/{sourcedId} in an order that lets a
// strict server check every reference: the school year (academicSession),
// the school (org), the grade (course), the school's class for the grade,
// the guardians (users, role guardian), the pupil (user, role student, the
// guardians as agents) and the enrollment (role student, primary). The
// payloads are the official envelopes ({"user": UserDType}, ...); the tests
// validate them against the OneRoster 1.2 rostering OpenAPI schemas.
//
// Every id is the enrolment's own, so a repeat is harmless; a changed
// decision PUTs the same enrollment with the new class and school; an ended
// one PUTs it with status tobedeleted. Errors: Unavailable for what a retry
// may cure (no connection, 429, 5xx), another code with the server's
// imsx_description for what it cannot; never a name.

#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/net/http_message.h"
#include "engine/app/student_system_ports.h"

namespace enrol::sis {

struct OneRosterSettings {
  std::string base_url;       // ".../ims/oneroster/rostering/v1p2" (no trailing slash needed)
  std::string bearer_token;   // "" when the transport authenticates
};

class OneRosterClient final : public app::StudentSystemPort {
 public:
  OneRosterClient(OneRosterSettings settings, http::Transport& transport);
  [[nodiscard]] Result<boost::json::object> Enter(const app::RosterEnrolment& e, int64_t timeout_ms) override;

  // The PUTs Enter makes, in order: (collection/sourcedId, body).
  [[nodiscard]] static std::vector<std::pair<std::string, boost::json::object>> Payloads(const app::RosterEnrolment& e);

 private:
  OneRosterSettings settings_;
  http::Transport& transport_;
};

}  // namespace enrol::sis
