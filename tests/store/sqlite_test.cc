#include "engine/store/sqlite.h"

#include <gtest/gtest.h>

#include "engine/store/person_codec.h"
#include "tests/support/test_support.h"

namespace enrol::store {
namespace {

TEST(SqliteTest, MigrateIsIdempotent) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("a.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE(Migrate(**db));
  ASSERT_TRUE(Migrate(**db));
  EXPECT_EQ(*SchemaVersion(**db), LatestSchemaVersion());
  EXPECT_GE(LatestSchemaVersion(), 1);
}

TEST(SqliteTest, RefusesADatabaseFromANewerVersion) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("a.db"));
  ASSERT_TRUE(db && Migrate(**db));
  ASSERT_TRUE((*db)->Exec("INSERT INTO schema_migrations VALUES(999, '0999_future.sql', 'x')"));
  auto st = Migrate(**db);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(st.error().message.find("newer"), std::string::npos);
}

TEST(SqliteTest, NotADatabaseIsAClearError) {
  testing::TempDir dir;
  testing::WriteFile(dir.File("x.db"), std::string(4096, 'x'));
  auto db = Database::Open(dir.File("x.db"));
  ASSERT_FALSE(db);
  EXPECT_NE(db.error().message.find("cannot use"), std::string::npos);
}

TEST(SqliteTest, TransactionRollsBackUnlessCommitted) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("a.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(x INTEGER)"));
  {
    auto tx = Transaction::Begin(**db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES(1)"));
  }
  {
    auto tx = Transaction::Begin(**db);
    ASSERT_TRUE(tx);
    ASSERT_TRUE((*db)->Exec("INSERT INTO t VALUES(2)"));
    ASSERT_TRUE(tx->Commit());
  }
  auto q = (*db)->Prepare("SELECT group_concat(x) FROM t");
  ASSERT_TRUE(q && *q->Step());
  EXPECT_EQ(q->ColumnText(0), "2");
}

TEST(SqliteTest, BoundParametersAreNotSql) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("a.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(x TEXT)"));
  auto ins = (*db)->Prepare("INSERT INTO t VALUES(?)");
  ASSERT_TRUE(ins);
  ASSERT_TRUE(ins->Bind(1, "'); DROP TABLE t; --").Run());
  auto q = (*db)->Prepare("SELECT x FROM t");
  ASSERT_TRUE(q && *q->Step());
  EXPECT_EQ(q->ColumnText(0), "'); DROP TABLE t; --");
}

TEST(PersonCodecTest, RoundTripKeepsEveryField) {
  core::Person p;
  p.id = "14832051250";
  p.id_kind = core::NationalIdKind::kDNummer;
  p.name = {"Áilu", "Máret", "Ŋuolja \"quoted\""};
  p.birth_date = core::Date{2020, 3, 14};
  p.birth_year = 2020;
  p.kjoenn = "kvinne";
  p.status = core::PersonStatus::kMidlertidig;
  p.death_date = core::Date{2024, 1, 2};
  core::Address a;
  a.kind = core::AddressKind::kMatrikkeladresse;
  a.kommunenummer = "5099";
  a.gaardsnummer = 12;
  a.bruksnummer = 3;
  a.festenummer = 1;
  a.skolekrets = 0;
  a.grunnkrets = 44;
  a.gradering = core::Gradering::kStrengtFortrolig;
  a.flyttedato = core::Date{2022, 8, 1};
  p.home = a;
  core::Address v;
  v.adressenavn = "Storgata";
  v.husnummer = 12;
  v.husbokstav = "B";
  v.postnummer = "7030";
  p.stay = v;
  p.shared_home = {v, v};
  p.protection = core::Gradering::kFortrolig;
  p.responsibility = {{core::Ansvar::kAndre, "", {"Verge", "", "Vergesen"}},
                      {core::Ansvar::kMor, "02878823039", {}}};
  const std::string text = EncodePerson(p);
  auto back = DecodePerson(text);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, p);
  EXPECT_EQ(EncodePerson(*back), text);  // deterministic
}

TEST(PersonCodecTest, GarbageIsAnInternalError) {
  auto p = DecodePerson("{not json");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace enrol::store
