// init, import, imports, gen-extract.
#include <boost/json.hpp>

#include "connectors/simulators/freg_extract_generator.h"
#include "engine/app/cohort_report.h"
#include "engine/app/import_extract.h"
#include "engine/cli/commands.h"
#include "engine/cli/output.h"

namespace enrol::cli {
namespace json = boost::json;

int RunInit(const GlobalOptions& g, Services& s) {
  auto version = s.InitDatabase();
  if (!version) return ReportError(version.error());
  if (g.json) {
    PrintJson(json::object{{"database", g.db_path}, {"schema_version", *version}});
  } else {
    std::cout << "database " << g.db_path << " is ready (schema version " << *version << ")\n";
  }
  return 0;
}

int RunImport(const GlobalOptions& g, Services& s, const ImportArgs& a) {
  auto store = s.Store();
  if (!store) return ReportError(store.error());
  auto settings = s.Settings();
  if (!settings) return ReportError(settings.error());
  auto opener = s.Opener();
  if (!opener) return ReportError(opener.error());
  app::ImportOptions options;
  options.skip_invalid = a.skip_invalid;
  options.municipality = (*settings)->municipality.number;
  auto summary = app::ImportExtracts(a.files, options, **opener, **store, s.Clock());
  if (!summary) return ReportError(summary.error());
  // A new protection (adressebeskyttelse) reaches the open cases now, not at
  // the next intake. Only where cases can exist (the engine is configured).
  // After every import, also one without such changes: the check it records
  // lets the worker trust each case's own flag until the next import.
  int protected_cases = 0;
  if (summary->import_id != 0) {
    if (auto engine = s.Engine()) {
      auto reached = (*engine)->ApplyProtectionChanges(summary->import_id);
      if (!reached) return ReportError(reached.error().WithContext("the import is kept; applying its protection changes"));
      protected_cases = *reached;
    }
  }

  if (g.json) {
    json::array files;
    for (const auto& f : summary->files) {
      files.push_back(json::object{{"path", f.path},
                                   {"format", f.format},
                                   {"sha256", f.sha256},
                                   {"records", f.records},
                                   {"invalid", f.invalid},
                                   {"bytes", f.bytes},
                                   {"already_imported_as", f.already_imported_as}});
    }
    json::array issues;
    for (const auto& i : summary->issues) {
      issues.push_back(json::object{{"path", i.path},
                                    {"record", i.record},
                                    {"line", i.line},
                                    {"field", i.field},
                                    {"message", i.message}});
    }
    json::object changes;
    for (const auto& [k, v] : summary->changes) changes[k] = v;
    PrintJson(json::object{{"import_id", summary->import_id},
                           {"files", std::move(files)},
                           {"records", summary->counts.records},
                           {"new", summary->counts.new_persons},
                           {"changed", summary->counts.changed},
                           {"unchanged", summary->counts.unchanged},
                           {"skipped", summary->counts.skipped},
                           {"changes", std::move(changes)},
                           {"issues", std::move(issues)},
                           {"issues_total", summary->issues_total},
                           {"cases_now_protected", protected_cases}});
    return 0;
  }
  for (const auto& f : summary->files) {
    if (f.already_imported_as) {
      std::cout << f.path << ": already imported (import " << f.already_imported_as
                << ", same SHA-256); passed over\n";
    } else {
      std::cout << f.path << ": " << f.records << " records (" << f.format << ", " << f.bytes
                << " bytes)" << (f.invalid ? ", " + std::to_string(f.invalid) + " invalid skipped" : "")
                << "\n";
    }
  }
  for (const auto& i : summary->issues) std::cout << "  skipped " << i.ToString() << "\n";
  if (summary->issues_total > static_cast<int>(summary->issues.size())) {
    std::cout << "  ... and " << summary->issues_total - summary->issues.size()
              << " more skipped (all are stored in the import's issue list)\n";
  }
  if (summary->import_id == 0) {
    std::cout << "nothing new: the database is unchanged\n";
    return 0;
  }
  std::cout << "import " << summary->import_id << ": " << summary->counts.records << " persons, "
            << summary->counts.new_persons << " new, " << summary->counts.changed << " changed, "
            << summary->counts.unchanged << " unchanged, " << summary->counts.skipped
            << " skipped\n";
  if (!summary->changes.empty()) {
    std::cout << "changes:";
    for (const auto& [k, v] : summary->changes) std::cout << " " << k << "=" << v;
    std::cout << "\n";
  }
  if (protected_cases) {
    std::cout << protected_cases << " open case(s) now have a protected address: moved to manual handling\n";
  }
  return 0;
}

int RunImports(const GlobalOptions& g, Services& s) {
  auto operator_queries = s.Operator();
  if (!operator_queries) return ReportError(operator_queries.error());
  auto list = (*operator_queries)->Imports();
  if (!list) return ReportError(list.error());
  if (g.json) {
    json::array a;
    for (const auto& i : *list) {
      a.push_back(json::object{{"id", i.id},
                               {"started_at", i.started_at},
                               {"finished_at", i.finished_at},
                               {"records", i.counts.records},
                               {"new", i.counts.new_persons},
                               {"changed", i.counts.changed},
                               {"unchanged", i.counts.unchanged},
                               {"skipped", i.counts.skipped}});
    }
    PrintJson(a);
    return 0;
  }
  if (list->empty()) std::cout << "no imports yet\n";
  for (const auto& i : *list) {
    std::cout << "import " << i.id << "  " << i.finished_at << "  " << i.counts.records
              << " persons, " << i.counts.new_persons << " new, " << i.counts.changed
              << " changed, " << i.counts.skipped << " skipped\n";
  }
  return 0;
}

int RunGenExtract(const GlobalOptions& g, Services& s, const GenExtractArgs& a) {
  auto settings = s.Settings();
  if (!settings) return ReportError(settings.error());
  const core::Municipality& m = (*settings)->municipality;
  if (a.municipality != m.number) {
    return ReportError(Error{ErrorCode::kInvalidArgument,
                             "--municipality " + a.municipality + " does not match the config (" +
                                 (*settings)->source + " is for " + m.number + ", " + m.name +
                                 "); pass --config for that municipality"});
  }
  sim::ExtractOptions o;
  o.children = a.children;
  o.seed = a.seed;
  o.format = a.format == "xml"      ? sim::ExtractFormat::kXml
             : a.format == "ndjson" ? sim::ExtractFormat::kNdjson
                                    : sim::ExtractFormat::kJsonArray;
  o.school_year = a.school_year ? a.school_year : app::DefaultSchoolYear(s.Clock().Now());
  for (const auto& [name, share] : (*settings)->extract_shares) {
    if (!sim::SetShare(o.shares, name, share)) {
      return ReportError(Error{ErrorCode::kInvalidArgument,
                               (*settings)->source + ": extract_generator.shares." + name +
                                   ": unknown share (see connectors/simulators/"
                                   "freg_extract_generator.h for the names)"});
    }
  }
  auto stats = sim::GenerateExtract(m, o, a.out);
  if (!stats) return ReportError(stats.error());
  if (g.json) {
    PrintJson(json::object{{"out", a.out},
                           {"children", stats->children},
                           {"guardians", stats->guardians},
                           {"persons", stats->persons_written},
                           {"bytes", stats->bytes},
                           {"school_year", o.school_year}});
  } else {
    std::cout << "wrote " << a.out << ": " << stats->persons_written << " persons ("
              << stats->children << " children, " << stats->guardians << " guardians), "
              << stats->bytes << " bytes, cohorts around school year " << o.school_year << "/"
              << o.school_year + 1 << "\n";
  }
  return 0;
}

}  // namespace enrol::cli
