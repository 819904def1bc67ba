// enrol user as the education office runs it: the password from stdin's
// first line, never on the command line or in any output.
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/support/demo_config.h"

namespace enrol {
namespace {

TEST(UserCliTest, AddListPasswdDisableAndNoPasswordAnywhere) {
  testing::TempDir dir;
  testing::WriteDemoConfig(dir);
  auto enrol = [&](const std::string& args, const std::string& input = "") {
    return testing::Run("cd " + dir.path().string() + " && printf '%s\\n' '" + input + "' | ENROL_CONFIG=" +
                        dir.File("config.json") + " " + testing::EnrolBinary() + " " + args);
  };
  ASSERT_EQ(enrol("init").exit_code, 0);
  auto added = enrol("user add kari.nordmann --role secretary --school S01", "correct horse battery");
  EXPECT_EQ(added.exit_code, 0) << added.out;
  EXPECT_EQ(added.out.find("horse"), std::string::npos);
  auto refused = enrol("user add per --role secretary", "correct horse battery");
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.out.find("a secretary works for at least one school"), std::string::npos) << refused.out;
  auto weak = enrol("user add per --role admin", "short");
  EXPECT_EQ(weak.exit_code, 2);
  EXPECT_EQ(enrol("user add kari.nordmann --role admin", "correct horse battery").exit_code, 2);  // exists
  EXPECT_EQ(enrol("user passwd kari.nordmann", "another long password").exit_code, 0);
  EXPECT_EQ(enrol("user disable kari.nordmann").exit_code, 0);
  EXPECT_EQ(enrol("user disable nobody").exit_code, 2);
  auto list = enrol("--json user list");
  ASSERT_EQ(list.exit_code, 0);
  const boost::json::value v = testing::OutputJson(list);
  ASSERT_EQ(v.as_array().size(), 1u);
  EXPECT_EQ(v.at(0).at("role"), "secretary");
  EXPECT_EQ(v.at(0).at("disabled"), true);
  EXPECT_FALSE(v.at(0).as_object().contains("password_hash"));
  EXPECT_EQ(list.out.find("argon2"), std::string::npos);
}

}  // namespace
}  // namespace enrol
