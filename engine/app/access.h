#pragma once
// Who may see and do what in the web app (pure). The education office
// (admin) sees every case, protected-address cases included; a secretary
// sees the cases of their own schools that are not protected, and may send
// the person events the workflow declares by="school"; an auditor reads
// receipts, history and the audit log, without the children's names.

#include <string>
#include <vector>

#include "engine/app/case_ports.h"
#include "engine/app/users.h"
#include "engine/statechart/model.h"

namespace enrol::app {

[[nodiscard]] bool MaySeeCase(const User& u, const std::string& school, bool protected_case);
// Names, addresses and letters (the auditor's view has none).
[[nodiscard]] bool MaySeePersonalData(const User& u);
[[nodiscard]] bool MaySend(const User& u, const sc::PersonEventSpec& spec);
// Incidents, imports, intake runs, the dashboard.
[[nodiscard]] bool IsOffice(const User& u);
[[nodiscard]] bool MayReadAudit(const User& u);

// `q` narrowed to what `u` may see. A secretary who asks for a school that
// is not theirs gets kNotFound (the same answer as a school that does not
// exist); without a school they get their own.
[[nodiscard]] Result<CaseListQuery> ScopeFor(const User& u, CaseListQuery q);

}  // namespace enrol::app
