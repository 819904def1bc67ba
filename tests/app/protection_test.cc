// Whether a child's case is under a protected address, from a child and its
// guardians already read.
#include "engine/app/protection.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace enrol::app {
namespace {

core::Person Child(std::initializer_list<const char*> guardians) {
  core::Person c;
  c.id = "child";
  c.home = core::Address{};
  for (const char* g : guardians) c.responsibility.push_back(core::Responsibility{core::Ansvar::kUkjent, g, {}});
  return c;
}

class ProtectionTest : public ::testing::Test {
 protected:
  bool Protected(const core::Person& child) {
    return ChildOrGuardianProtected(child, [&](std::string_view id) -> const core::Person* {
      auto it = guardians_.find(std::string(id));
      return it == guardians_.end() ? nullptr : &it->second;
    });
  }
  void Guardian(const std::string& id, core::Gradering g, bool on_address = false) {
    core::Person p;
    p.id = id;
    p.home = core::Address{};
    (on_address ? p.home->gradering : p.protection) = g;
    guardians_[id] = p;
  }
  std::map<std::string, core::Person> guardians_;
};

TEST_F(ProtectionTest, NobodyGradedIsNotProtected) {
  Guardian("mor", core::Gradering::kUgradert);
  EXPECT_FALSE(Protected(Child({"mor", "far-not-imported", ""})));
}

TEST_F(ProtectionTest, TheChildsOwnProtectionCounts) {
  core::Person c = Child({});
  c.protection = core::Gradering::kStrengtFortrolig;
  EXPECT_TRUE(Protected(c));
  c.protection = core::Gradering::kUgradert;
  c.home->gradering = core::Gradering::kFortrolig;
  EXPECT_TRUE(Protected(c));
}

TEST_F(ProtectionTest, AnyGuardianWithResponsibilityCounts) {
  Guardian("mor", core::Gradering::kUgradert);
  Guardian("far", core::Gradering::kFortrolig, /*on_address=*/true);
  EXPECT_TRUE(Protected(Child({"mor", "far"})));
  EXPECT_FALSE(Protected(Child({"mor"})));
}

TEST_F(ProtectionTest, KlientadresseIsNotAProtectedAddress) {
  Guardian("mor", core::Gradering::kKlientadresse);
  EXPECT_FALSE(Protected(Child({"mor"})));
}

}  // namespace
}  // namespace enrol::app
