// The web app's case lists over SQLite: the scope (schools, protected),
// phase and grade filters, a search that is text and never SQL, the counts,
// paging, and a cached page that is read afresh once another connection
// (the worker) or this one changed the database.
#include "engine/store/sqlite_case_store.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"
#include "tests/support/test_support.h"

namespace enrol::store {
namespace {

using sql::Database;
using sql::Statement;

namespace json = boost::json;

class CaseListTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db);
    db_ = std::move(*db);
    ASSERT_TRUE(Migrate(*db_));
    ASSERT_TRUE(db_->Exec("INSERT INTO imports VALUES(1, 'x', 'x', 0, 0, 0, 0, 0);"
                          "INSERT INTO workflow_versions VALUES('w', 'enrolment', '<scxml/>', 'x');"));
    auto cases = SqliteCaseStore::Create(*db_, "");
    ASSERT_TRUE(cases);
    cases_ = std::move(*cases);
    Add(1, "Ada Lovelace", "S01", 1, "awaiting_approval", false);
    Add(2, "Bjørn 100% Berg", "S01", 1, "awaiting_approval", false);
    Add(3, "Cato_Dahl", "S01", 5, "manual_handling", false);
    Add(4, "Skjult Barn", "S01", 1, "manual_handling", true);
    Add(5, "Eva Eng", "S02", 1, "awaiting_approval", false);
    Add(6, "Frida Fjell", "S01", 1, "completed", false, "completed");
  }
  void Add(int64_t person, const std::string& name, const std::string& school, int grade, const std::string& state,
           bool protected_case, const std::string& status = "active") {
    const auto space = name.find(' ');
    json::object n{{"f", name.substr(0, space)}, {"e", space == std::string::npos ? "" : name.substr(space + 1)}};
    auto st = db_->Prepare("INSERT INTO persons(id, nin, birth_year, record, first_import, last_import) VALUES(?,?,?,?,1,1)");
    ASSERT_TRUE(st);
    ASSERT_TRUE(st->Bind(1, person).Bind(2, "0101" + std::to_string(person)).Bind(3, 2021)
                    .Bind(4, json::serialize(json::object{{"n", n}, {"bd", "2021-01-01"}})).Run());
    app::CaseRecord c;
    c.key = "2027/" + std::to_string(grade) + "/P" + std::to_string(person);
    c.person_id = person;
    c.school_year = 2027;
    c.grade = grade;
    c.school = school;
    c.workflow = "w";
    c.state = status == "active" ? state : "";
    c.status = status;
    c.instance = json::object{{"data", json::object{{"protected", protected_case}}}};
    c.protected_case = protected_case;  // the engine sets it from the workflow's role
    c.created_at = c.updated_at = "2026-12-01T10:00:00Z";
    ASSERT_TRUE(cases_->Begin());
    ASSERT_TRUE(cases_->InsertCase(c));
    ASSERT_TRUE(cases_->Commit());
  }
  app::CaseListPage Page(app::CaseListQuery q) {
    auto p = cases_->ListPage(q);
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : app::CaseListPage{};
  }
  testing::TempDir dir_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<SqliteCaseStore> cases_;
};

TEST_F(CaseListTest, ASchoolsListHasItsCasesWithNamesAndCountsAndNoProtectedOnes) {
  app::CaseListQuery q;
  q.schools = {"S01"};
  q.phase = "awaiting_approval";
  auto p = Page(q);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.rows[0].child_name, "Ada Lovelace");
  EXPECT_EQ(p.rows[0].birth_date, "2021-01-01");
  EXPECT_EQ(p.total, 2);
  EXPECT_EQ(p.by_phase["awaiting_approval"], 2);
  EXPECT_EQ(p.by_phase["manual_handling"], 1);  // not the protected one
  EXPECT_EQ(p.by_phase["completed"], 1);
  EXPECT_EQ(p.by_grade[1], 2);
  q.with_protected = true;
  q.phase = "manual_handling";
  p = Page(q);
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_TRUE(p.rows[1].protected_case);
  q.phase = "completed";
  EXPECT_EQ(Page(q).rows.size(), 1u);
  q.schools = {"S01", "S02"};
  q.phase = "awaiting_approval";
  EXPECT_EQ(Page(q).total, 3);
  q.grade = 5;
  q.phase = "";
  EXPECT_EQ(Page(q).total, 1);
}

TEST_F(CaseListTest, SearchIsTextWithItsWildcardsEscaped) {
  app::CaseListQuery q;
  q.phase = "";
  auto search = [&](const std::string& s) {
    q.search = s;
    return Page(q).total;
  };
  EXPECT_EQ(search("love"), 1);   // ASCII case-insensitive
  EXPECT_EQ(search("Bjørn"), 1);
  EXPECT_EQ(search("100%"), 1);   // % is a character, not "anything"
  EXPECT_EQ(search("%"), 1);
  EXPECT_EQ(search("_"), 1);      // only Cato_Dahl
  EXPECT_EQ(search("' OR 1=1 --"), 0);
  EXPECT_EQ(search("\\"), 0);
}

TEST_F(CaseListTest, PagesAndAPageReadAfreshAfterAnotherConnectionWrote) {
  app::CaseListQuery q;
  q.phase = "awaiting_approval";
  q.limit = 1;
  auto first = Page(q);
  q.offset = 1;
  auto second = Page(q);
  ASSERT_EQ(first.rows.size(), 1u);
  ASSERT_EQ(second.rows.size(), 1u);
  EXPECT_LT(first.rows[0].id, second.rows[0].id);
  EXPECT_EQ(first.total, 3);
  // Another connection (the worker) moves a case on: the same query sees it.
  q.offset = 0;
  EXPECT_EQ(Page(q).total, 3);
  auto other = Database::Open(dir_.File("enrol.db"));
  ASSERT_TRUE(other);
  ASSERT_TRUE((*other)->Exec("UPDATE cases SET state='sending' WHERE person_id=1"));
  EXPECT_EQ(Page(q).total, 2);
  // And this connection's own writes.
  ASSERT_TRUE(db_->Exec("UPDATE cases SET state='awaiting_approval' WHERE person_id=1"));
  EXPECT_EQ(Page(q).total, 3);
}

// A full disk (here SQLite's page limit, which fails the same way) is
// said with the database's file and what it means: nothing of that step
// was written; no SQL, no code.
TEST(FullDiskTest, AFullDatabaseNamesItsFileAndSaysNothingOfTheStepWasWritten) {
  testing::TempDir dir;
  auto db = Database::Open(dir.File("full.db"));
  ASSERT_TRUE(db);
  ASSERT_TRUE((*db)->Exec("CREATE TABLE t(x BLOB)"));
  ASSERT_TRUE((*db)->Exec("PRAGMA max_page_count=20"));
  Status st;
  for (int i = 0; i < 200 && st; ++i) st = (*db)->Exec("INSERT INTO t VALUES(zeroblob(8000))");
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(st.error().message.find(dir.File("full.db")), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("is full"), std::string::npos) << st.error().message;
  EXPECT_NE(st.error().message.find("was not written"), std::string::npos) << st.error().message;
}

}  // namespace
}  // namespace enrol::store
