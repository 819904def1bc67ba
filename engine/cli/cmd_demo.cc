// enrol demo: the whole product on the demo municipality in one command. A
// fresh database (or --db: an existing one is served as it is), a generated
// register extract, import and intake, the demo users with their passwords
// printed (a secretary per school with cases, an admin, an auditor), then
// `enrol serve` with the three simulators in this process (the demo config's
// connectors). Ctrl-C stops it cleanly.
#include <filesystem>
#include <iomanip>
#include <iostream>

#include "engine/app/cohort_report.h"
#include "engine/app/settings.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"

namespace enrol::cli {

int RunDemo(const GlobalOptions& g, Services& s, const DemoArgs& a) {
  auto settings = s.Settings();
  if (!settings) return ReportError(settings.error());
  const core::Municipality& m = (*settings)->municipality;
  const bool existing = std::filesystem::exists(g.db_path);
  if (existing && !a.db_given) {
    return ReportError(Error{ErrorCode::kFailedPrecondition,
                             g.db_path + " exists: enrol demo starts from a fresh database; remove it, or pass "
                                         "--db " + g.db_path + " to serve it as it is"});
  }
  if (!existing) {
    std::cout << "== enrol demo: " << m.name << " (" << m.number << ")\n";
    if (int rc = RunInit(g, s); rc != 0) return rc;
    GenExtractArgs gen;
    gen.municipality = m.number;
    gen.children = a.children;
    gen.seed = 2026;
    gen.out = std::filesystem::path(g.db_path).replace_extension(".extract.json").string();
    if (int rc = RunGenExtract(g, s, gen); rc != 0) return rc;
    ImportArgs imp;
    imp.files = {gen.out};
    if (int rc = RunImport(g, s, imp); rc != 0) return rc;
    IntakeArgs intake;
    intake.grades = {1, 5, 8};
    intake.school_year = app::DefaultSchoolYear(s.Clock().Now());
    if (int rc = RunIntake(g, s, intake); rc != 0) return rc;
  }

  // The demo users: created once per database, with passwords printed once.
  auto users = s.Users();
  if (!users) return ReportError(users.error());
  auto cases = s.Operator();
  if (!cases) return ReportError(cases.error());
  auto list = (*users)->List();
  if (!list) return ReportError(list.error());
  if (list->empty()) {
    std::vector<std::tuple<std::string, std::string, std::string, std::string>> made;  // name, role, school, password
    auto add = [&](const std::string& name, const std::string& role, const std::vector<std::string>& schools) {
      const std::string password = s.RandomToken().substr(0, 16);
      auto st = (*users)->Add(name, role, schools, password, (*s.Engine())->NowText());
      if (!st) return st;
      made.emplace_back(name, role, schools.empty() ? "" : schools.front(), password);
      return Status{};
    };
    if (auto st = add("kontoret", "admin", {}); !st) return ReportError(st.error());
    if (auto st = add("revisor", "auditor", {}); !st) return ReportError(st.error());
    for (const auto& school : m.schools) {
      app::CaseFilter f;
      f.school = school.id;
      auto any = (*cases)->AnyCase(f);
      if (!any) return ReportError(any.error());
      if (!*any) continue;
      std::string lower = school.id;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (auto st = add("sekretaer." + lower, "secretary", {school.id}); !st) return ReportError(st.error());
    }
    std::cout << "\n== demo users (the passwords are shown only now; `enrol user passwd NAME` sets another)\n";
    for (const auto& [name, role, school, password] : made) {
      std::string who = role == "admin" ? "the education office" : role == "auditor" ? "auditor" : "";
      if (role == "secretary") {
        for (const auto& sc : m.schools) {
          if (sc.id == school) who = sc.name;
        }
      }
      std::cout << "  " << std::left << std::setw(16) << name << std::setw(20) << password << who << "\n";
    }
    std::cout << std::endl;
  }
  ServeArgs serve;
  serve.listen = a.listen;
  serve.poll_ms = 200;
  return RunServe(g, s, serve);
}

}  // namespace enrol::cli
