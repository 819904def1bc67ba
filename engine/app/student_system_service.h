#pragma once
// The `student_system` invoke: enters the approved enrolment in the student
// system through the student-system port: the pupil (role student) with the
// guardians as agents, the school as org, the school year, and the
// enrollment with the grade. The ids are derived from the municipality, the
// pupil's national id number and the school year by a hash (stable across
// databases and restores; no id number leaves the engine), so a repeat is
// harmless and another school for the same year updates the enrollment. A
// case under a protected address is never entered automatically.

#include "engine/app/case_ports.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"
#include "engine/app/student_system_ports.h"

namespace enrol::app {

class StudentSystemService final : public Connector {
 public:
  StudentSystemService(PersonStore& persons, Cases& cases, StudentSystemPort& port, const Settings& settings,
                       int in_flight = 1)
      : persons_(persons), cases_(cases), port_(port), settings_(settings), in_flight_(in_flight) {}

  JobOutcome Execute(const JobRequest& request) override;
  [[nodiscard]] int MaxInFlight() const override { return in_flight_; }
  [[nodiscard]] Call Begin(const JobRequest& request) override;

  // What would be entered for a job (for tests).
  [[nodiscard]] Result<RosterEnrolment> Prepare(const JobRequest& request);

 private:
  PersonStore& persons_;
  Cases& cases_;
  StudentSystemPort& port_;
  const Settings& settings_;
  int in_flight_;
};

// "<kind>-" and 32 hex digits of SHA-256 over the municipality and `parts`.
std::string RosterId(const std::string& kind, const std::string& kommunenummer, const std::string& parts);

// The Unix ms in a version 7 UUID, or -1 when `key` is not one.
int64_t UuidV7Millis(const std::string& key);

}  // namespace enrol::app
