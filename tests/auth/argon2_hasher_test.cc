// Argon2id hashes: salted (two hashes of one password differ), verified,
// a wrong password is false, a hash that is not Argon2id is an error.
#include "engine/auth/argon2_hasher.h"

#include <gtest/gtest.h>

namespace enrol::auth {
namespace {

TEST(Argon2HasherTest, HashesAreSaltedArgon2idAndVerify) {
  Argon2Hasher h(Argon2Hasher::Strength::kMinimum);
  auto a = h.Hash("correct horse battery");
  auto b = h.Hash("correct horse battery");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->rfind("$argon2id$", 0), 0u) << *a;
  EXPECT_NE(*a, *b);
  EXPECT_EQ(a->find("correct"), std::string::npos);
  EXPECT_TRUE(*h.Verify(*a, "correct horse battery"));
  EXPECT_FALSE(*h.Verify(*a, "correct horse batterY"));
  EXPECT_FALSE(*h.Verify(*a, ""));
  auto bad = h.Verify("$2y$10$notargon", "x");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
}

TEST(Argon2HasherTest, TheInteractiveStrengthIsTheDefault) {
  auto hash = Argon2Hasher().Hash("correct horse battery");
  ASSERT_TRUE(hash);
  EXPECT_NE(hash->find("m=65536"), std::string::npos) << *hash;  // 64 MiB
}

}  // namespace
}  // namespace enrol::auth
