#pragma once
// The demo municipality's configuration, written into a test folder with its
// relative paths made absolute, for tests that run the binary elsewhere.

#include <functional>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace enrol::testing {

// Which connectors the tests' configuration keeps of the demo's.
enum class DemoConnectors {
  kArchiveOnly,  // dispatch and student system by the generic simulators (whose effects the engine tests count)
  kAll,          // the demo's own: SvarUt, OneRoster and Noark 5 against their simulators
};

// Writes `dir/config.json`; `mutate` may change the configuration first.
// Returns the file's path.
inline std::string WriteDemoConfig(const TempDir& dir,
                                   const std::function<void(boost::json::object&)>& mutate = {},
                                   DemoConnectors connectors = DemoConnectors::kArchiveOnly) {
  boost::json::value cfg = boost::json::parse(ReadFile(DemoConfig()));
  boost::json::object& o = cfg.as_object();
  if (connectors == DemoConnectors::kArchiveOnly) {
    boost::json::object& c = o["connectors"].as_object();
    c.erase("dispatch");
    c.erase("student_system");
  }
  o["address_table"] = SourceDir() + "/config/demo/addresses.csv";
  o["workflow"].as_object()["definition"] = SourceDir() + "/workflows/enrolment.scxml";
  o["letters"].as_object()["templates"] = SourceDir() + "/workflows/letters";
  if (mutate) mutate(o);
  const std::string path = dir.File("config.json");
  WriteFile(path, boost::json::serialize(cfg));
  return path;
}

// Every person of a FREG extract (a JSON array) gets a protected address
// (strengt fortrolig).
inline void ProtectEveryone(boost::json::value& extract) {
  for (auto& p : extract.as_array()) {
    p.as_object()["adressebeskyttelse"] = boost::json::array{boost::json::object{
        {"graderingsnivaa", "strengtFortrolig"}, {"erGjeldende", true}, {"kilde", "skatteetaten"},
        {"ajourholdstidspunkt", "2027-02-01T10:00:00+01:00"}, {"gyldighetstidspunkt", "2027-02-01T00:00:00+01:00"}}};
  }
}

// Runs `enrol ARGS` in `dir` with the configuration written there.
inline CommandResult EnrolIn(const TempDir& dir, const std::string& args) {
  return Run("cd " + dir.path().string() + " && ENROL_CONFIG=" + dir.File("config.json") + " " + EnrolBinary() + " " +
             args);
}

// A command's output as JSON (a failed expectation when it is not).
inline boost::json::value OutputJson(const CommandResult& r) {
  boost::system::error_code ec;
  auto v = boost::json::parse(r.out, ec);
  EXPECT_FALSE(ec) << r.out.substr(0, 400);
  return v;
}

}  // namespace enrol::testing
