#pragma once
// The student system by file: an enrolment as a PIFU-IMS document (the
// Norwegian national profile of IMS Enterprise, Udir; valid against
// ../shared/reference/student-system/pifu-ims/PIFU-IMS_SAS.xsd), written to
// a drop folder the student system imports from. A delta document per
// enrolment: the pupil (with the guardians as pifu_hasContactPerson) and the
// guardians as persons, the municipality (skoleeier), the school and the
// school's class for the grade (basisgruppe, with the school year as its
// timeframe) as groups, and the pupil's memberships of the school and the
// class (role 01, learner; status 0 when the case closed). The ids are the
// same as over OneRoster, so an import of the same document twice, or of a
// later one, updates rather than adds. No national id number is written.
//
// The file is <folder>/pifu-<enrollment id>-<time of the job>.xml, made
// under a dot-name, fsynced and renamed: a retry rewrites the same file with
// the same bytes.

#include <string>

#include "engine/app/student_system_ports.h"

namespace enrol::sis {

struct PifuSettings {
  std::string folder;
  std::string source;       // sourcedid/source and datasource: "enrol-5099" (at most 32 characters)
  std::string kommunenummer;
  std::string kommune_name;
};

[[nodiscard]] std::string BuildPifuDocument(const app::RosterEnrolment& e, const PifuSettings& settings);

class PifuFolderClient final : public app::StudentSystemPort {
 public:
  explicit PifuFolderClient(PifuSettings settings) : settings_(std::move(settings)) {}
  [[nodiscard]] Result<boost::json::object> Enter(const app::RosterEnrolment& e, int64_t timeout_ms) override;

 private:
  PifuSettings settings_;
};

}  // namespace enrol::sis
