// Integration: the letter service over SQLite and the real renderer.
#include "engine/app/letter_service.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/register/freg_reader.h"
#include "engine/app/case_engine.h"
#include "engine/app/dispatch_service.h"
#include "engine/app/import_extract.h"
#include "engine/config/config_loader.h"
#include "engine/letters/template_renderer.h"
#include "engine/sql/sqlite.h"
#include "engine/store/schema_migrations.h"
#include "engine/store/sqlite_case_store.h"
#include "engine/store/sqlite_letter_store.h"
#include "engine/store/sqlite_person_store.h"
#include "tests/support/freg_docs.h"
#include "tests/support/test_support.h"

namespace enrol::app {
namespace {

namespace json = boost::json;
using testing::DocSpec;

class FixedClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::time_point(std::chrono::seconds(1795420000)); }
};

class LetterServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = std::move(*sql::Database::Open(dir_.File("enrol.db")));
    ASSERT_TRUE(store::Migrate(*db_));
    persons_ = std::move(*store::SqlitePersonStore::Create(*db_));
    cases_ = std::move(*store::SqliteCaseStore::Create(*db_));
    letters_ = std::make_unique<store::SqliteLetterStore>(*db_);
    settings_ = std::move(*config::LoadSettings(testing::DemoConfig()));
    renderer_ = std::move(*letters::TemplateLetterRenderer::Open(settings_.letter_templates,
                                                                 {"Fjordvik kommune", "", "Rådhusplassen 1", "7000 Fjordvik",
                                                                  "964100099", "72 54 00 00", "post@fjordvik.no", ""}));
    service_ = std::make_unique<LetterService>(*persons_, *cases_, *letters_, *renderer_, settings_, clock_);
  }

  // Imports the family, makes the case (the simulators do nothing here: the
  // case only needs to exist) and returns it.
  CaseRecord MakeCase(const DocSpec& mother, const DocSpec& father, const DocSpec& child) {
    std::string content = "[" + testing::PersonDoc(child) + "," + testing::PersonDoc(mother) + "," + testing::PersonDoc(father) + "]";
    testing::WriteFile(dir_.File("x.json"), content);
    freg::FregExtractOpener opener(settings_.national_ids);
    ImportOptions o;
    o.municipality = "5099";
    EXPECT_TRUE(ImportExtracts({dir_.File("x.json")}, o, opener, *persons_, clock_));
    CaseRecord c;
    c.key = "2026/1/P1";
    c.person_id = 1;
    c.school_year = 2026;
    c.grade = 1;
    c.school = "S01";
    c.state = "drafting";
    c.status = "active";
    c.created_at = c.updated_at = "2026-11-23T00:00:00Z";
    EXPECT_TRUE(cases_->SaveWorkflow("w", "w", "<scxml/>", "now"));
    c.workflow = "w";
    c.id = *cases_->InsertCase(c);
    return c;
  }

  JobOutcome Draft(const std::string& key) {
    JobRequest r;
    r.idempotency_key = key;
    r.params = json::object{{"case_ref", "2026/1/P1"}, {"school", "S01"}};
    return service_->Execute(r);
  }

  static DocSpec Child() { return {testing::kChild, "2020-03-14", "Storgata", 5, true}; }
  static DocSpec Mother(const std::string& street = "Storgata", int n = 5) {
    return {testing::kMother, "1988-05-05", street, n, false, "bosatt", "5099", "ugradert", "Kari", "Mor"};
  }
  static DocSpec Father(const std::string& street = "Storgata", int n = 5) {
    return {testing::kFather, "1987-02-02", street, n, false, "bosatt", "5099", "ugradert", "Ola", "Far"};
  }

  testing::TempDir dir_;
  FixedClock clock_;
  Settings settings_;
  std::unique_ptr<sql::Database> db_;
  std::unique_ptr<store::SqlitePersonStore> persons_;
  std::unique_ptr<store::SqliteCaseStore> cases_;
  std::unique_ptr<store::SqliteLetterStore> letters_;
  std::unique_ptr<letters::TemplateLetterRenderer> renderer_;
  std::unique_ptr<LetterService> service_;
};

TEST_F(LetterServiceTest, GuardiansAtOneAddressGetOneJointLetter) {
  CaseRecord c = MakeCase(Mother(), Father(), Child());
  auto copies = service_->Prepare(c);
  ASSERT_TRUE(copies) << copies.error().message;
  ASSERT_EQ(copies->size(), 1u);
  EXPECT_EQ((*copies)[0].data.at("recipients"), "Kari Mor og Ola Far");
  EXPECT_EQ((*copies)[0].data.at("copy_to"), "");
  EXPECT_EQ((*copies)[0].recipient.front(), "Kari Mor");
  EXPECT_EQ((*copies)[0].recipient.back(), "7010 FJORDVIK");
  EXPECT_EQ((*copies)[0].template_name, "grade1.nb");
  const std::string data = json::serialize((*copies)[0].data);
  EXPECT_EQ(data.find(testing::kChild), std::string::npos) << "no national id in letter data";
}

TEST_F(LetterServiceTest, GuardiansApartEachGetACopyNamingTheOther) {
  CaseRecord c = MakeCase(Mother(), Father("Granlia", 9), Child());
  auto copies = service_->Prepare(c);
  ASSERT_TRUE(copies);
  ASSERT_EQ(copies->size(), 2u);
  EXPECT_EQ((*copies)[0].data.at("recipients"), "Kari Mor");
  EXPECT_EQ((*copies)[0].data.at("copy_to"), "Ola Far");
  EXPECT_EQ((*copies)[1].data.at("copy_to"), "Kari Mor");
  EXPECT_NE((*copies)[1].recipient[1], (*copies)[0].recipient[1]);  // each at their own street
  // Never one parent's address on the other's copy.
  for (const auto& line : (*copies)[0].recipient) EXPECT_EQ(line.find("Granlia"), std::string::npos);
  auto out = Draft("k1");
  ASSERT_TRUE(out.ok) << out.error;
  EXPECT_EQ(out.receipt.at("copies").as_int64(), 2);
}

TEST_F(LetterServiceTest, NynorskSchoolPicksTheNynorskTemplate) {
  CaseRecord c = MakeCase(Mother(), Father(), Child());
  c.school = "S05";  // Lundamo skule
  auto copies = service_->Prepare(c);
  ASSERT_TRUE(copies);
  EXPECT_EQ((*copies)[0].template_name, "grade1.nn");
}

TEST_F(LetterServiceTest, ProtectedAddressGetsNoLetter) {
  DocSpec child = Child();
  child.gradering = "fortrolig";
  MakeCase(Mother(), Father(), child);
  auto out = Draft("k1");
  EXPECT_FALSE(out.ok);
  EXPECT_FALSE(out.retryable);
  EXPECT_NE(out.error.find("protected address"), std::string::npos);
  EXPECT_TRUE(letters_->OfCase(1, true)->empty());
}

TEST_F(LetterServiceTest, ProtectedGuardianGetsNoLetter) {
  DocSpec mother = Mother();
  mother.gradering = "strengtFortrolig";
  MakeCase(mother, Father(), Child());
  auto out = Draft("k1");
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.error.find("guardian has a protected address"), std::string::npos);
}

TEST_F(LetterServiceTest, SameKeySameLetterNewKeyNewVersionOldKept) {
  MakeCase(Mother(), Father(), Child());
  auto first = Draft("k1");
  ASSERT_TRUE(first.ok) << first.error;
  auto again = Draft("k1");
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(first.receipt, again.receipt);
  EXPECT_EQ(letters_->OfCase(1, true)->size(), 1u);
  auto redraft = Draft("k2");
  ASSERT_TRUE(redraft.ok);
  EXPECT_EQ(redraft.receipt.at("letter_version").as_int64(), 2);
  auto all = letters_->OfCase(1, true);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].status, "superseded");
  EXPECT_EQ((*all)[1].status, "current");
  EXPECT_EQ((*all)[0].pdf_sha256.size(), 64u);
  EXPECT_EQ((*all)[0].template_version.size(), 64u);
  EXPECT_NE((*all)[0].data.find("\"school_year\":\"2026/2027\""), std::string::npos);
  EXPECT_EQ((*all)[1].pdf.substr(0, 5), "%PDF-");
  EXPECT_NE((*all)[1].pdfa.find("pdfaid:part>1<"), std::string::npos);
}

TEST_F(LetterServiceTest, AMissingValueIsAnErrorOnTheCase) {
  settings_.letters_config.as_object().erase("first_school_day");
  MakeCase(Mother(), Father(), Child());
  auto out = Draft("k1");
  EXPECT_FALSE(out.ok);
  EXPECT_FALSE(out.retryable);
  EXPECT_NE(out.error.find("start_date"), std::string::npos) << out.error;
}

TEST_F(LetterServiceTest, GuardianWithoutRegisterDocumentIsSkipped) {
  std::string content = "[" + testing::PersonDoc(Child()) + "," + testing::PersonDoc(Mother()) + "]";
  testing::WriteFile(dir_.File("x.json"), content);
  freg::FregExtractOpener opener(settings_.national_ids);
  ImportOptions o;
  o.municipality = "5099";
  ASSERT_TRUE(ImportExtracts({dir_.File("x.json")}, o, opener, *persons_, clock_));
  CaseRecord c;
  c.person_id = 1;
  c.key = "2026/1/P1";
  c.school_year = 2026;
  c.grade = 1;
  c.school = "S01";
  auto copies = service_->Prepare(c);
  ASSERT_TRUE(copies);
  ASSERT_EQ(copies->size(), 1u);
  EXPECT_EQ((*copies)[0].data.at("recipients"), "Kari Mor");
}

// A digital post port that is never to be called (Prepare alone is tested).
class NoPost final : public DigitalPostPort {
 public:
  Result<json::object> Send(const PostShipment&, int64_t) override { return Internal("not to be called"); }
  Result<std::map<std::string, std::string>> Statuses(const std::vector<std::string>&, int64_t) override {
    return Internal("not to be called");
  }
};

// Defect (issue 19): the dispatch rebuilt its recipients from the register
// on every attempt; a household that changed between a lost answer and the
// retry shifted the recipients. They are kept with the letter now: every
// attempt sends the same, to the addresses in the letter's window.
TEST_F(LetterServiceTest, TheDispatchSendsToWhomTheLetterWasWrittenForOnEveryAttempt) {
  MakeCase(Mother(), Father("Granlia", 9), Child());
  ASSERT_TRUE(Draft("k1").ok);
  NoPost post;
  DispatchService dispatch(*persons_, *cases_, *letters_, post, settings_);
  JobRequest send;
  send.idempotency_key = "send-1";
  send.params = json::object{{"case_ref", "2026/1/P1"}, {"letter", json::object{{"letter_version", 1}}}};
  auto first = dispatch.Prepare(send);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->recipients.size(), 2u);
  // The father moves in with the mother, and another child's father is
  // nobody's concern here: one household now.
  std::string content = "[" + testing::PersonDoc(Child()) + "," + testing::PersonDoc(Mother()) + "," +
                        testing::PersonDoc(Father()) + "]";
  testing::WriteFile(dir_.File("x2.json"), content);
  freg::FregExtractOpener opener(settings_.national_ids);
  ImportOptions o;
  o.municipality = "5099";
  ASSERT_TRUE(ImportExtracts({dir_.File("x2.json")}, o, opener, *persons_, clock_));
  auto retry = dispatch.Prepare(send);
  ASSERT_TRUE(retry) << retry.error().message;
  ASSERT_EQ(retry->recipients.size(), first->recipients.size());
  for (size_t i = 0; i < first->recipients.size(); ++i) {
    const PostRecipient& a = first->recipients[i];
    const PostRecipient& b = retry->recipients[i];
    EXPECT_EQ(a.eksternref, b.eksternref);
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.national_id, b.national_id);
    EXPECT_EQ(a.address_lines, b.address_lines);
    EXPECT_EQ(a.copy, b.copy);
  }
  EXPECT_EQ(retry->recipients[1].address_lines.front(), "Granlia 9");  // as in the window of copy 2
  // The letter's data keeps whom, not their national id numbers.
  auto stored = letters_->OfCase(1, true);
  ASSERT_TRUE(stored);
  for (const auto& l : *stored) {
    for (const char* id : {testing::kChild, testing::kMother, testing::kFather}) {
      EXPECT_EQ(l.data.find(id), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace enrol::app
