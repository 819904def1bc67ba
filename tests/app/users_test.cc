// The web app's users: names, roles and schools checked with what is wrong;
// passwords only as hashes; a new password lifts a lockout; a disabled user
// is kept.
#include "engine/app/users.h"

#include <gtest/gtest.h>

#include "engine/auth/argon2_hasher.h"
#include "engine/config/config_loader.h"
#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"
#include "engine/store/sqlite_user_store.h"
#include "tests/support/test_support.h"

namespace enrol::app {
namespace {

class UsersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    ASSERT_TRUE(store::Migrate(*db_));
    auto settings = config::LoadSettings(testing::DemoConfig());
    ASSERT_TRUE(settings) << settings.error().message;
    settings_ = std::move(*settings);
    users_ = std::make_unique<store::SqliteUserStore>(*db_);
    service_ = std::make_unique<UserService>(*users_, hasher_, settings_.municipality);
  }
  std::string Why(const Status& st) { return st ? "ok" : st.error().message; }
  testing::TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  Settings settings_;
  auth::Argon2Hasher hasher_{auth::Argon2Hasher::Strength::kMinimum};
  std::unique_ptr<store::SqliteUserStore> users_;
  std::unique_ptr<UserService> service_;
};

TEST_F(UsersTest, AUserIsKeptWithAHashNeverThePassword) {
  ASSERT_TRUE(service_->Add("kari.nordmann", "secretary", {"S02", "S01", "S01"}, "correct horse battery", "t0"));
  auto u = users_->FindUser("kari.nordmann");
  ASSERT_TRUE(u && *u);
  EXPECT_EQ((*u)->role, Role::kSecretary);
  EXPECT_EQ((*u)->schools, (std::vector<std::string>{"S01", "S02"}));
  EXPECT_TRUE(*hasher_.Verify((*u)->password_hash, "correct horse battery"));
  auto q = db_->Prepare("SELECT COUNT(*) FROM users WHERE password_hash LIKE '%horse%'");
  ASSERT_TRUE(q && *q->Step());
  EXPECT_EQ(q->ColumnInt(0), 0);
}

TEST_F(UsersTest, WhatIsWrongIsSaid) {
  EXPECT_EQ(Why(service_->Add("Kari", "admin", {}, "correct horse battery", "t")),
            "a user name has 2 to 64 of a-z, 0-9, '.', '-' and '_' (e.g. kari.nordmann)");
  EXPECT_EQ(Why(service_->Add("kari", "rektor", {}, "correct horse battery", "t")),
            "role 'rektor' is not known (admin, secretary or auditor)");
  EXPECT_EQ(Why(service_->Add("kari", "secretary", {}, "correct horse battery", "t")),
            "a secretary works for at least one school: give --school ID");
  EXPECT_EQ(Why(service_->Add("kari", "auditor", {"S01"}, "correct horse battery", "t")),
            "only a secretary has schools; an auditor sees the audit log and receipts");
  EXPECT_EQ(Why(service_->Add("kari", "secretary", {"S99"}, "correct horse battery", "t")), "no school S99 in the configuration");
  EXPECT_EQ(Why(service_->Add("kari", "admin", {}, "short", "t")), "a password has at least 12 characters");
  EXPECT_EQ(Why(service_->Add("kari", "admin", {}, "kari-is-my-password", "t")), "a password does not contain the user's name");
  EXPECT_EQ(Why(service_->Add("kari", "admin", {}, "æøåæøåæøåæø", "t")), "a password has at least 12 characters");  // 11 characters
  ASSERT_TRUE(service_->Add("kari", "admin", {}, "correct horse battery", "t"));
  const Status again = service_->Add("kari", "admin", {}, "correct horse battery", "t");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, ErrorCode::kAlreadyExists);
  EXPECT_EQ(Why(service_->SetPassword("nobody", "correct horse battery", "t")), "no user nobody");
}

TEST_F(UsersTest, ANewPasswordLiftsALockoutAndADisabledUserIsKept) {
  ASSERT_TRUE(service_->Add("per", "admin", {}, "correct horse battery", "t0"));
  User u = **users_->FindUser("per");
  u.failed_logins = 5;
  u.locked_until = 999;
  ASSERT_TRUE(users_->UpdateUser(u));
  ASSERT_TRUE(service_->SetPassword("per", "another long password", "t1"));
  u = **users_->FindUser("per");
  EXPECT_EQ(u.failed_logins, 0);
  EXPECT_EQ(u.locked_until, 0);
  EXPECT_TRUE(*hasher_.Verify(u.password_hash, "another long password"));
  EXPECT_FALSE(*hasher_.Verify(u.password_hash, "correct horse battery"));
  ASSERT_TRUE(service_->Disable("per", "t2"));
  auto list = service_->List();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE(list->front().disabled);
  EXPECT_EQ(list->front().updated_at, "t2");
}

TEST_F(UsersTest, SigningInCountsWrongPasswordsLocksAfterFiveAndTheLockEnds) {
  ASSERT_TRUE(service_->Add("kari.nordmann", "secretary", {"S01"}, "correct horse battery", "t0"));
  int64_t now = 1'000'000;
  int64_t last_delay = 0;
  for (int i = 1; i < UserService::kMaxFailures; ++i) {
    auto r = service_->Authenticate("kari.nordmann", "wrong horse battery", now, "t1");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->user);
    EXPECT_EQ(r->locked_ms, 0);
    EXPECT_GT(r->delay_ms, last_delay);  // a growing delay
    last_delay = r->delay_ms;
  }
  auto locked = service_->Authenticate("kari.nordmann", "wrong horse battery", now, "t1");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->locked_ms, UserService::kLockMs);
  // Locked: the right password does not sign in either, until the lock ends.
  auto during = service_->Authenticate("kari.nordmann", "correct horse battery", now + UserService::kLockMs - 1, "t2");
  ASSERT_TRUE(during);
  EXPECT_FALSE(during->user);
  EXPECT_EQ(during->locked_ms, 1);
  auto after = service_->Authenticate("kari.nordmann", "correct horse battery", now + UserService::kLockMs, "t3");
  ASSERT_TRUE(after);
  ASSERT_TRUE(after->user);
  EXPECT_EQ((*users_->FindUser("kari.nordmann"))->failed_logins, 0);
}

TEST_F(UsersTest, AnUnknownOrDisabledNameIsAnsweredLikeAWrongPassword) {
  ASSERT_TRUE(service_->Add("ola.nordmann", "admin", {}, "correct horse battery", "t0"));
  ASSERT_TRUE(service_->Disable("ola.nordmann", "t1"));
  for (const char* name : {"nobody", "ola.nordmann"}) {
    auto r = service_->Authenticate(name, "correct horse battery", 1000, "t2");
    ASSERT_TRUE(r);
    EXPECT_FALSE(r->user) << name;
    EXPECT_EQ(r->locked_ms, 0);
    EXPECT_GT(r->delay_ms, 0);
  }
}

}  // namespace
}  // namespace enrol::app

