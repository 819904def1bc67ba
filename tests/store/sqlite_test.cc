#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"

#include <gtest/gtest.h>

#include "engine/store/person_codec.h"
#include "engine/store/sqlite_person_store.h"
#include "tests/support/test_support.h"

namespace enrol::store {
namespace {

using sql::Database;
using sql::Statement;
using sql::Transaction;

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

// The SQL first cut of the protection check finds every gradering the codec
// can write, on the child and on each guardian, and nobody else.
TEST(SqlitePersonStoreTest, HouseholdWithGraderingFindsEveryMarking) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("a.db"));
  ASSERT_TRUE(db && Migrate(**db));
  auto store = SqlitePersonStore::Create(**db);
  ASSERT_TRUE(store);
  auto& s = **store;
  ASSERT_TRUE(s.BeginImport());
  auto import_id = s.CreateImport("2026-12-01T00:00:00Z");
  ASSERT_TRUE(import_id);
  int serial = 0;
  auto add = [&](core::Person p) {
    p.id = "0" + std::to_string(1000000000 + ++serial);
    p.birth_year = 2020;
    auto r = s.Upsert(p, *import_id);
    EXPECT_TRUE(r);
    return std::make_pair(r ? r->key : 0, p.id);
  };
  core::Address plain;
  plain.adressenavn = "Storgata";
  core::Address secret = plain;
  secret.gradering = core::Gradering::kStrengtFortrolig;
  core::Person open_guardian;
  open_guardian.home = plain;
  core::Person hidden_guardian;
  hidden_guardian.home = secret;
  const auto [open_key, open_id] = add(open_guardian);
  const auto [hidden_key, hidden_id] = add(hidden_guardian);
  auto child_of = [&](const std::string& guardian) {
    core::Person c;
    c.home = plain;
    c.responsibility = {{core::Ansvar::kMor, guardian, {}}};
    return c;
  };
  const auto [child_open, c1] = add(child_of(open_id));
  const auto [child_hidden, c2] = add(child_of(hidden_id));
  core::Person marked = child_of(open_id);
  marked.protection = core::Gradering::kFortrolig;
  const auto [child_marked, c3] = add(marked);
  core::Person stays = child_of(open_id);
  stays.stay = secret;
  const auto [child_stay, c4] = add(stays);
  core::Person shared = child_of(open_id);
  shared.shared_home = {plain, secret};
  const auto [child_shared, c5] = add(shared);
  core::Person client = child_of(open_id);
  client.home->gradering = core::Gradering::kKlientadresse;
  const auto [child_client, c6] = add(client);
  ASSERT_TRUE(s.CommitImport());
  auto keys = [&](int64_t child) {
    std::vector<int64_t> out;
    auto found = s.HouseholdWithGradering(child);
    EXPECT_TRUE(found);
    if (found) {
      for (const auto& p : *found) out.push_back(p.key);
    }
    return out;
  };
  EXPECT_EQ(keys(child_open), std::vector<int64_t>{});
  EXPECT_EQ(keys(child_hidden), std::vector<int64_t>{hidden_key});
  EXPECT_EQ(keys(child_marked), std::vector<int64_t>{child_marked});
  EXPECT_EQ(keys(child_stay), std::vector<int64_t>{child_stay});
  EXPECT_EQ(keys(child_shared), std::vector<int64_t>{child_shared});
  EXPECT_EQ(keys(child_client), std::vector<int64_t>{child_client});  // marked; not protected
  EXPECT_EQ(keys(hidden_key), std::vector<int64_t>{hidden_key});
  EXPECT_EQ(keys(open_key), std::vector<int64_t>{});
  EXPECT_EQ(keys(999999), std::vector<int64_t>{});
}

}  // namespace
}  // namespace enrol::store
