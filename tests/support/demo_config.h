#pragma once
// The demo municipality's configuration, written into a test folder with its
// relative paths made absolute, for tests that run the binary elsewhere.

#include <functional>
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace enrol::testing {

// Writes `dir/config.json`; `mutate` may change the configuration first.
// Returns the file's path.
inline std::string WriteDemoConfig(const TempDir& dir,
                                   const std::function<void(boost::json::object&)>& mutate = {}) {
  boost::json::value cfg = boost::json::parse(ReadFile(DemoConfig()));
  boost::json::object& o = cfg.as_object();
  o["address_table"] = SourceDir() + "/config/demo/addresses.csv";
  o["workflow"].as_object()["definition"] = SourceDir() + "/workflows/enrolment.scxml";
  o["letters"].as_object()["templates"] = SourceDir() + "/workflows/letters";
  if (mutate) mutate(o);
  const std::string path = dir.File("config.json");
  WriteFile(path, boost::json::serialize(cfg));
  return path;
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
