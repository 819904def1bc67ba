// Sessions: found by their token only, ended by the idle and the absolute
// timeout and by sign-out, each with its own CSRF token, the oldest dropped
// when full, and the time in use counted in gaps of at most five minutes.
#include "engine/http/sessions.h"

#include <gtest/gtest.h>

namespace enrol::web {
namespace {

class SessionsTest : public ::testing::Test {
 protected:
  SessionStore store_{[this] { return "token-" + std::to_string(++n_); }, /*idle*/ 1000, /*absolute*/ 5000, 3};
  int n_ = 0;
};

TEST_F(SessionsTest, ASessionIsFoundByItsTokenAndEndsWhenIdle) {
  const std::string t = store_.Create("kari", "stamp", 0);
  auto s = store_.Touch(t, 500);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->user, "kari");
  EXPECT_FALSE(s->csrf.empty());
  EXPECT_NE(s->csrf, t);
  EXPECT_FALSE(store_.Touch("token-999", 600));
  EXPECT_FALSE(store_.Touch("", 600));
  EXPECT_TRUE(store_.Touch(t, 1400));   // 900 ms after the last request
  EXPECT_FALSE(store_.Touch(t, 2401));  // 1001 ms idle: ended
  EXPECT_FALSE(store_.Touch(t, 2402));
}

TEST_F(SessionsTest, ASessionEndsAfterTheAbsoluteTimeoutHoweverBusy) {
  const std::string t = store_.Create("kari", "stamp", 0);
  for (int64_t now = 500; now <= 5000; now += 500) EXPECT_TRUE(store_.Touch(t, now)) << now;
  EXPECT_FALSE(store_.Touch(t, 5001));
}

TEST_F(SessionsTest, SignOutEndsItAndWhenFullTheLeastRecentGoes) {
  const std::string a = store_.Create("a", "stamp", 0), b = store_.Create("b", "stamp", 10), c = store_.Create("c", "stamp", 20);
  EXPECT_TRUE(store_.Touch(a, 30));  // a is now the most recent
  const std::string d = store_.Create("d", "stamp", 40);
  EXPECT_EQ(store_.size(), 3u);
  EXPECT_FALSE(store_.Touch(b, 50));
  EXPECT_TRUE(store_.Touch(a, 50));
  EXPECT_TRUE(store_.Touch(c, 50));
  store_.Drop(d);
  EXPECT_FALSE(store_.Touch(d, 60));
}

TEST_F(SessionsTest, TimeInUseIsCountedInGapsOfAtMostFiveMinutes) {
  SessionStore long_lived([this] { return "t" + std::to_string(++n_); }, 3600 * 1000, 10 * 3600 * 1000);
  const std::string t = long_lived.Create("kari", "stamp", 0);
  ASSERT_TRUE(long_lived.Touch(t, 60 * 1000));       // +1 min
  ASSERT_TRUE(long_lived.Touch(t, 40 * 60 * 1000));  // +39 min: counts 5
  auto used = long_lived.TakeActiveTime();
  EXPECT_EQ(used["kari"], 6 * 60 * 1000);
  EXPECT_TRUE(long_lived.TakeActiveTime().empty());
}

}  // namespace
}  // namespace enrol::web
