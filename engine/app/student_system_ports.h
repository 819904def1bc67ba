#pragma once
// The student-system port: enters one approved enrolment (the pupil, the
// guardians, the school and the placement for a school year) in the student
// system, or ends it when the case closed. The adapters
// (connectors/student_system: OneRoster 1.2 REST) speak the protocol; the
// student-system service (student_system_service.h) gathers what to enter.
// Every id is derived from the case, so entering the same enrolment again
// changes nothing, and a changed decision updates the one enrollment.

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/core/result.h"

namespace enrol::app {

struct RosterPerson {
  std::string sourced_id;  // stable, derived: no national id number in it
  std::string given_name, middle_name, family_name;
};

struct RosterEnrolment {
  RosterPerson pupil;
  std::vector<RosterPerson> guardians;
  std::string school_id, school_name, school_org_number;  // the org
  int school_year = 0;       // 2027 for 2027/2028
  int grade = 0;
  std::string session_id;    // the school year as an academicSession
  std::string course_id;     // the grade in that year
  std::string class_id;      // the school's class (basisgruppe) for the grade
  std::string enrollment_id; // one per pupil and school year
  std::string begin_date, end_date;  // the school year's first and last day
  std::string modified;      // the pupil's objects' dateLastModified: the job's creation (the same on every attempt)
  std::string reference_modified;  // the school year's, school's, grade's, class's and guardians': fixed per year
  bool ended = false;        // the case closed: the enrollment ends (tobedeleted)
};

class StudentSystemPort {
 public:
  virtual ~StudentSystemPort() = default;
  // The student system's ids as the case's receipt. Unavailable when a retry
  // may cure it; never a name in the error. Ends within `timeout_ms`.
  [[nodiscard]] virtual Result<boost::json::object> Enter(const RosterEnrolment& enrolment, int64_t timeout_ms) = 0;
};

}  // namespace enrol::app
