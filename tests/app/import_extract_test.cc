// Integration: the import use case over the real reader and a SQLite file.
#include "engine/app/import_extract.h"

#include <gtest/gtest.h>

#include "connectors/register/freg_reader.h"
#include "engine/app/cohort_report.h"
#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"
#include "engine/store/sqlite_person_store.h"
#include "tests/support/freg_docs.h"
#include "tests/support/test_support.h"

namespace enrol::app {
namespace {

using testing::TempDir;
using testing::WriteFile;

using testing::kChild;  // synthetic ids (Tenor, month +80)
using testing::kFather;
using testing::kMother;

struct Doc {
  std::string id = kChild;
  std::string status = "bosatt";
  std::string kommune = "5099";
  std::string street = "Storgata";
  int number = 12;
  std::string gradering = "ugradert";
  std::vector<std::string> guardians = {kMother, kFather};
  std::string Json() const {
    std::string fa;
    for (const auto& g : guardians) {
      if (!fa.empty()) fa += ",";
      fa += R"({"erGjeldende":true,"ansvar":"felles","ansvarlig":")" + g +
            R"(","ansvarssubjekt":")" + id + R"("})";
    }
    return R"({"identifikasjonsnummer":[{"erGjeldende":true,"foedselsEllerDNummer":")" + id +
           R"(","identifikatortype":"foedselsnummer","status":"iBruk"}],)"
           R"("status":[{"erGjeldende":true,"status":")" + status + R"("}],)"
           R"("navn":[{"erGjeldende":true,"fornavn":"Kari","etternavn":"Nordmann"}],)"
           R"("foedsel":[{"erGjeldende":true,"foedselsdato":"2020-03-14","foedselsaar":"2020"}],)"
           R"("bostedsadresse":[{"erGjeldende":true,"adressegradering":")" + gradering + R"(",)"
           R"("vegadresse":{"kommunenummer":")" + kommune + R"(","adressenavn":")" + street +
           R"(","adressenummer":{"husnummer":")" + std::to_string(number) + R"("}}}],)"
           R"("foreldreansvar":[)" + fa + "]}";
  }
};

class FixedClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override {
    return std::chrono::system_clock::time_point(std::chrono::seconds(1800000000));
  }
};

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    ASSERT_TRUE(store::Migrate(*db_));
    auto s = store::SqlitePersonStore::Create(*db_);
    ASSERT_TRUE(s);
    store_ = std::move(*s);
  }
  std::string File(const std::string& name, const std::vector<std::string>& docs) {
    std::string content = "[";
    for (size_t i = 0; i < docs.size(); ++i) content += (i ? ",\n" : "\n") + docs[i];
    content += "\n]\n";
    const std::string path = dir_.File(name);
    WriteFile(path, content);
    return path;
  }
  Result<ImportSummary> Import(const std::vector<std::string>& paths, bool skip = false) {
    ImportOptions o;
    o.skip_invalid = skip;
    o.municipality = "5099";
    return ImportExtracts(paths, o, opener_, *store_, clock_);
  }
  int64_t Count(const std::string& table) {
    auto q = db_->Prepare("SELECT COUNT(*) FROM " + table);
    EXPECT_TRUE(q);
    EXPECT_TRUE(*q->Step());
    return q->ColumnInt(0);
  }
  std::string Adult(const std::string& id) {
    Doc d;
    d.id = id;
    d.guardians = {};
    std::string json = d.Json();
    json.replace(json.find("2020-03-14"), 10, "1988-05-05");
    json.replace(json.find("\"2020\""), 6, "\"1988\"");
    return json;
  }

  TempDir dir_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<store::SqlitePersonStore> store_;
  freg::FregExtractOpener opener_{{.accept_synthetic = true}};
  FixedClock clock_;
};

TEST_F(ImportTest, ImportsPersonsAndRecordsTheFile) {
  auto s = Import({File("a.json", {Doc{}.Json(), Adult(kMother), Adult(kFather)})});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->import_id, 1);
  EXPECT_EQ(s->counts.records, 3);
  EXPECT_EQ(s->counts.new_persons, 3);
  EXPECT_EQ(Count("persons"), 3);
  EXPECT_EQ(Count("import_files"), 1);
  EXPECT_EQ(s->files.at(0).sha256.size(), 64u);
  auto imports = store_->Imports();
  ASSERT_TRUE(imports);
  EXPECT_EQ(imports->at(0).finished_at, "2027-01-15T08:00:00Z");
}

TEST_F(ImportTest, SameFileTwiceChangesNothing) {
  const std::string path = File("a.json", {Doc{}.Json(), Adult(kMother)});
  ASSERT_TRUE(Import({path}));
  const auto before = testing::ReadFile(dir_.File("enrol.db"));
  auto again = Import({path});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->import_id, 0);
  EXPECT_EQ(again->files.at(0).already_imported_as, 1);
  EXPECT_EQ(Count("imports"), 1);
  EXPECT_EQ(Count("person_changes"), 0);  // "new" is derived from persons.first_import
}

TEST_F(ImportTest, SameFileTwiceInOneImportIsTakenOnce) {
  const std::string path = File("a.json", {Doc{}.Json()});
  auto s = Import({path, path});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->counts.records, 1);
  EXPECT_EQ(s->files.at(1).already_imported_as, s->import_id);
}

TEST_F(ImportTest, InvalidRecordRejectsTheWholeImport) {
  Doc bad;
  bad.status = "bosat";
  bad.id = kFather;
  auto s = Import({File("ok.json", {Adult(kMother)}), File("bad.json", {Doc{}.Json(), bad.Json()})});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(s.error().message.find("bad.json: record 2 (line 3): status[0].status: unknown code 'bosat'"),
            std::string::npos)
      << s.error().message;
  EXPECT_NE(s.error().message.find("--skip-invalid"), std::string::npos);
  // Nothing was written: not even the valid file.
  EXPECT_EQ(Count("persons"), 0);
  EXPECT_EQ(Count("imports"), 0);
  EXPECT_EQ(Count("import_files"), 0);
}

TEST_F(ImportTest, TruncatedFileRejectsTheImportEvenWithSkipInvalid) {
  const std::string path = dir_.File("cut.json");
  const std::string full = "[" + Doc{}.Json() + "," + Adult(kMother) + "]";
  WriteFile(path, full.substr(0, full.size() - 30));
  auto s = Import({File("ok.json", {Adult(kFather)}), path}, true);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("cut.json: record 2"), std::string::npos) << s.error().message;
  EXPECT_EQ(Count("persons"), 0);
  EXPECT_EQ(Count("imports"), 0);
}

TEST_F(ImportTest, SkipInvalidImportsTheValidRecordsAndStoresTheIssues) {
  Doc bad;
  bad.id = "14832051251";
  auto s = Import({File("a.json", {Doc{}.Json(), bad.Json(), Adult(kMother)})}, true);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->counts.records, 2);
  EXPECT_EQ(s->counts.skipped, 1);
  ASSERT_EQ(s->issues.size(), 1u);
  EXPECT_EQ(s->issues[0].record, 2);
  EXPECT_EQ(s->issues[0].field, "identifikasjonsnummer[0].foedselsEllerDNummer");
  EXPECT_EQ(Count("persons"), 2);
  EXPECT_EQ(Count("import_issues"), 1);
}

TEST_F(ImportTest, DuplicatePersonIsInvalid) {
  auto s = Import({File("a.json", {Doc{}.Json(), Doc{}.Json()})});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("record 2"), std::string::npos);
  EXPECT_NE(s.error().message.find("appears earlier"), std::string::npos);
  EXPECT_EQ(Count("persons"), 0);
  auto skipped = Import({File("b.json", {Doc{}.Json(), Doc{}.Json()})}, true);
  ASSERT_TRUE(skipped);
  EXPECT_EQ(skipped->counts.records, 1);
  EXPECT_EQ(skipped->counts.skipped, 1);
}

TEST_F(ImportTest, DuplicateAcrossFilesOfOneImportIsInvalid) {
  auto s = Import({File("a.json", {Doc{}.Json()}), File("b.json", {Doc{}.Json(), Adult(kMother)})});
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("b.json: record 1"), std::string::npos);
}

TEST_F(ImportTest, NewerExtractRecordsWhatChanged) {
  ASSERT_TRUE(Import({File("v1.json", {Doc{}.Json(), Adult(kMother), Adult(kFather)})}));
  Doc moved;
  moved.number = 14;
  Doc mother;
  mother.id = kMother;
  mother.guardians = {};
  mother.gradering = "fortrolig";
  Doc father;
  father.id = kFather;
  father.guardians = {};
  father.status = "doed";
  auto s = Import({File("v2.json", {moved.Json(), mother.Json(), father.Json()})});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->counts.changed, 3);
  EXPECT_EQ(s->changes["moved"], 1);
  EXPECT_EQ(s->changes["protection_changed"], 1);
  EXPECT_EQ(s->changes["died"], 1);

  Doc left = moved;
  left.kommune = "5001";
  left.guardians = {kMother};
  auto s3 = Import({File("v3.json", {left.Json()})});
  ASSERT_TRUE(s3);
  EXPECT_EQ(s3->changes["left_municipality"], 1);
  EXPECT_EQ(s3->changes["guardians_changed"], 1);
  EXPECT_EQ(s3->counts.unchanged, 0);

  auto child = store_->FindByNin(kChild);
  ASSERT_TRUE(child && *child);
  auto changes = store_->ChangesOf((*child)->key);
  ASSERT_TRUE(changes);
  EXPECT_EQ(changes->size(), 4u);  // new, moved, left_municipality, guardians_changed
  EXPECT_EQ((*child)->person.home->kommunenummer, "5001");
}

TEST_F(ImportTest, UnchangedPersonsAreCountedAsSuch) {
  ASSERT_TRUE(Import({File("v1.json", {Doc{}.Json(), Adult(kMother)})}));
  auto s = Import({File("v2.json", {Adult(kMother), Doc{}.Json()})});  // other order, same data
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->counts.unchanged, 2);
  EXPECT_EQ(s->counts.changed, 0);
}

TEST_F(ImportTest, CohortBoundariesAreTheCalendarYear) {
  // Born 31 Dec 2020 and 1 Jan 2021: only the latter starts grade 1 in 2027.
  std::string dec = Doc{}.Json();
  dec.replace(dec.find("2020-03-14"), 10, "2020-12-31");
  Doc jan_doc;
  jan_doc.id = "01812150096";
  std::string jan = jan_doc.Json();
  jan.replace(jan.find("2020-03-14"), 10, "2021-01-01");
  jan.replace(jan.find("\"2020\""), 6, "\"2021\"");
  auto s = Import({File("a.json", {dec, jan, Adult(kMother), Adult(kFather)})});
  ASSERT_TRUE(s) << s.error().message;
  Settings settings;
  settings.municipality.number = "5099";
  auto c2027 = BuildCohort(*store_, settings, 2027, 1);
  ASSERT_TRUE(c2027);
  ASSERT_EQ((*c2027)->children.size(), 1u);
  EXPECT_EQ((*c2027)->children[0].person.id, "01812150096");
  auto c2026 = BuildCohort(*store_, settings, 2026, 1);
  ASSERT_TRUE(c2026);
  ASSERT_EQ((*c2026)->children.size(), 1u);
  EXPECT_EQ((*c2026)->children[0].person.id, kChild);
}

TEST_F(ImportTest, CohortRejectsGradesWithoutIntake) {
  Settings settings;
  auto c = BuildCohort(*store_, settings, 2027, 3);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ImportTest, FindPersonByReferenceOrId) {
  ASSERT_TRUE(Import({File("a.json", {Doc{}.Json()})}));
  auto by_ref = FindPerson(*store_, "P1");
  ASSERT_TRUE(by_ref);
  EXPECT_EQ(by_ref->person.id, kChild);
  EXPECT_TRUE(FindPerson(*store_, kChild));
  EXPECT_EQ(FindPerson(*store_, "P99").error().code, ErrorCode::kNotFound);
  EXPECT_EQ(FindPerson(*store_, "P1x").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(FindPerson(*store_, "12345").error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(FindPerson(*store_, kMother).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace enrol::app
