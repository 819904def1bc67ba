#include <CLI/CLI.hpp>

#include "engine/cli/commands.h"
#include "engine/cli/services.h"

namespace enrol::cli {

int Main(int argc, char** argv, GlobalOptions& g, Services& s) {
  CLI::App app{
      "enrol: pupil enrolment for Norwegian municipalities.\n"
      "Imports population-register extracts, finds the children who start grade 1, 5 or 8,\n"
      "places each at a school by home address, and explains every placement."};
  app.require_subcommand(1);
  app.option_defaults()->always_capture_default();
  app.add_option("--db", g.db_path, "SQLite database file")->capture_default_str();
  app.add_option("--config", g.config_path,
                 "municipality configuration (JSON); default $ENROL_CONFIG, else enrol.json");
  app.add_flag("--json", g.json, "print results as JSON");

  auto* init = app.add_subcommand("init", "create the database, or upgrade it to this version");

  ImportArgs import_args;
  auto* imp = app.add_subcommand("import", "import Folkeregister extract files (JSON or XML)");
  imp->add_option("FILE", import_args.files, "extract files; all land as one import")
      ->required()
      ->check(CLI::ExistingFile);
  imp->add_flag("--skip-invalid", import_args.skip_invalid,
                "import the valid records and report each invalid one "
                "(default: a file with any invalid record is rejected whole)");

  auto* imports = app.add_subcommand("imports", "list the imports made so far");

  GenExtractArgs gen;
  auto* ge = app.add_subcommand("gen-extract",
                                "write a synthetic Folkeregister extract for the configured "
                                "municipality (test and demo data only)");
  ge->add_option("--municipality", gen.municipality, "kommunenummer (must match the config)")
      ->required();
  ge->add_option("--children", gen.children, "number of children in all")
      ->required()
      ->check(CLI::Range(1, 10000000));
  ge->add_option("--seed", gen.seed, "random seed; the same seed gives the same file");
  ge->add_option("--format", gen.format, "json (array), ndjson or xml")
      ->check(CLI::IsMember({"json", "ndjson", "xml"}));
  ge->add_option("--out", gen.out, "output file")->required();
  ge->add_option("--school-year", gen.school_year,
                 "school year Y (for Y/Y+1) the cohorts are built around; default the next intake");

  CohortArgs cohort;
  auto* co = app.add_subcommand("cohort",
                                "list a cohort with each child's placement and rule, or the "
                                "reason for manual handling");
  co->add_option("--school-year", cohort.school_year, "school year Y, for Y/Y+1")->required()
      ->check(CLI::Range(1990, 2200));
  co->add_option("--grade", cohort.grade, "1, 5 or 8")->required()->check(CLI::IsMember({1, 5, 8}));
  co->add_flag("--names", cohort.names, "include the children's names (default: references only)");
  co->add_option("--limit", cohort.limit, "print at most this many rows (text output)");

  auto* placement = app.add_subcommand("placement", "placement tools");
  placement->require_subcommand(1);
  ExplainArgs explain;
  auto* ex = placement->add_subcommand("explain", "show which rule placed a person, and why");
  ex->add_option("PERSON-ID", explain.person, "P<number> as listed by `cohort`, or a national id")
      ->required();
  ex->add_option("--school-year", explain.school_year, "school year Y; default the next intake");
  ex->add_option("--grade", explain.grade, "grade; default the grade the child enters by age");

  auto* workflow = app.add_subcommand("workflow", "workflow definitions (SCXML)");
  workflow->require_subcommand(1);
  WorkflowArgs check_args;
  auto* wcheck = workflow->add_subcommand("check", "report every problem in a definition, with its line");
  wcheck->add_option("FILE", check_args.file, "SCXML file")->required();
  WorkflowArgs graph_args;
  auto* wgraph = workflow->add_subcommand("graph", "print the statechart as Graphviz DOT");
  wgraph->add_option("FILE", graph_args.file, "SCXML file")->required();
  SimulateArgs sim;
  auto* wsim = workflow->add_subcommand(
      "simulate", "run a definition in memory on a virtual clock (no case, no connectors)");
  wsim->add_option("FILE", sim.file, "SCXML file")->required();
  wsim->add_option("--event", sim.events, "an event to feed, NAME or NAME=JSON (repeatable, in order)");
  wsim->add_option("--data", sim.data, "initial case data, a JSON object");
  wsim->add_flag("--invoke-ok", sim.invoke_ok,
                 "let every invoke succeed at once (default: error.communication)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*wcheck) return RunWorkflowCheck(g, s, check_args);
  if (*wgraph) return RunWorkflowGraph(g, s, graph_args);
  if (*wsim) return RunWorkflowSimulate(g, s, sim);
  if (*init) return RunInit(g, s);
  if (*imp) return RunImport(g, s, import_args);
  if (*imports) return RunImports(g, s);
  if (*ge) return RunGenExtract(g, s, gen);
  if (*co) return RunCohort(g, s, cohort);
  if (*ex) return RunExplain(g, s, explain);
  return 2;
}

}  // namespace enrol::cli
