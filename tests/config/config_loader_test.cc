#include "engine/config/config_loader.h"

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace enrol::config {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(ConfigLoaderTest, DemoConfigLoads) {
  auto s = LoadSettings(testing::DemoConfig());
  ASSERT_TRUE(s) << s.error().message;
  const core::Municipality& m = s->municipality;
  EXPECT_EQ(m.number, "5099");
  EXPECT_GE(m.schools.size(), 15u);
  EXPECT_LE(m.schools.size(), 25u);
  EXPECT_GT(m.address_rules.size(), 100u);
  EXPECT_FALSE(m.skolekrets_rules.empty());
  EXPECT_TRUE(s->national_ids.accept_synthetic);
  bool nynorsk = false, combined = false, low = false;
  for (const auto& sc : m.schools) {
    nynorsk = nynorsk || sc.language == core::LanguageForm::kNynorsk;
    combined = combined || (sc.grades.first == 1 && sc.grades.last == 10);
    low = low || (sc.grades.first == 1 && sc.grades.last == 4);
  }
  EXPECT_TRUE(nynorsk && combined && low);
}

class BadConfigTest : public ::testing::Test {
 protected:
  Result<app::Settings> Load(const std::string& json, const std::string& csv =
      "street_code,street_name,from,to,parity,grades,school\n1,Avegen,,,all,1-7,A\n") {
    WriteFile(dir_.File("c.json"), json);
    WriteFile(dir_.File("a.csv"), csv);
    return LoadSettings(dir_.File("c.json"));
  }
  static std::string Json(const std::string& schools_extra = "", const std::string& krets = "[]") {
    return R"({"municipality":{"number":"5099","name":"X"},"address_table":"a.csv",)"
           R"("skolekrets":)" + krets + R"(,"schools":[{"id":"A","name":"A skole",)"
           R"("org_number":"974100100","address":"Skolevegen 1","grades":"1-7","language":"bokmaal"})" +
           schools_extra + "]}";
  }
  TempDir dir_;
};

TEST_F(BadConfigTest, MinimalConfigLoadsAndRefusesSyntheticIdsByDefault) {
  auto s = Load(Json());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_FALSE(s->national_ids.accept_synthetic);
}

TEST_F(BadConfigTest, MissingFile) {
  auto s = LoadSettings(dir_.File("nope.json"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("cannot read"), std::string::npos);
}

TEST_F(BadConfigTest, NotJson) {
  auto s = Load("{");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("not valid JSON"), std::string::npos);
}

TEST_F(BadConfigTest, BadMunicipalityNumber) {
  auto s = Load(R"({"municipality":{"number":"50","name":"X"},"schools":[]})");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("municipality.number"), std::string::npos);
}

TEST_F(BadConfigTest, DuplicateSchool) {
  auto s = Load(Json(R"(,{"id":"A","name":"B","org_number":"974100101","address":"x","grades":"1-7","language":"nynorsk"})"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("schools[1].id"), std::string::npos);
}

TEST_F(BadConfigTest, BadLanguage) {
  auto s = Load(Json(R"(,{"id":"B","name":"B","org_number":"974100101","address":"x","grades":"1-7","language":"svensk"})"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("schools[1].language"), std::string::npos);
}

TEST_F(BadConfigTest, AddressRowWithUnknownSchoolNamesTheLine) {
  auto s = Load(Json(), "street_code,street_name,from,to,parity,grades,school\n"
                        "1,Avegen,,,all,1-7,A\n"
                        "# a comment\n"
                        "2,Bvegen,,,all,1-7,S99\n");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("a.csv:4: column school: unknown school 'S99'"), std::string::npos)
      << s.error().message;
}

TEST_F(BadConfigTest, AddressRowWithGradesTheSchoolDoesNotServe) {
  auto s = Load(Json(), "street_code,street_name,from,to,parity,grades,school\n2,Bvegen,,,all,8-10,A\n");
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("serves grades 1-7, not 8-10"), std::string::npos);
}

TEST_F(BadConfigTest, AddressRowErrors) {
  const std::string head = "street_code,street_name,from,to,parity,grades,school\n";
  EXPECT_NE(Load(Json(), head + "1,A,x,,all,1-7,A\n").error().message.find("column from"), std::string::npos);
  EXPECT_NE(Load(Json(), head + "1,A,,,both,1-7,A\n").error().message.find("column parity"), std::string::npos);
  EXPECT_NE(Load(Json(), head + "1,A,,,all,7-1,A\n").error().message.find("column grades"), std::string::npos);
  EXPECT_NE(Load(Json(), head + "1,A,20,10,all,1-7,A\n").error().message.find("ends before it starts"), std::string::npos);
  EXPECT_NE(Load(Json(), head + "1,A,,all,1-7,A\n").error().message.find("columns"), std::string::npos);
  EXPECT_NE(Load(Json(), "street,school\n").error().message.find("lacks the column"), std::string::npos);
}

TEST_F(BadConfigTest, SkolekretsErrors) {
  auto s = Load(Json("", R"([{"skolekrets":"x","grades":"1-7","school":"A"}])"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("skolekrets[0].skolekrets"), std::string::npos);
  s = Load(Json("", R"([{"skolekrets":4,"grades":"1-7","school":"Z"}])"));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("unknown school 'Z'"), std::string::npos);
}

TEST_F(BadConfigTest, ExtractSharesMustBeFractions) {
  std::string json = Json();
  json.insert(json.size() - 1, R"(,"extract_generator":{"shares":{"twins":1.5}})");
  auto s = Load(json);
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().message.find("extract_generator.shares.twins: must be between 0 and 1"),
            std::string::npos);
  json = Json();
  json.insert(json.size() - 1, R"(,"extract_generator":{"shares":{"twins":0.5}})");
  s = Load(json);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->extract_shares.at("twins"), 0.5);
}

// Every field is typed and range-checked at load, its path in the error.
TEST_F(BadConfigTest, FieldsAreTypedAndRangeCheckedAtLoad) {
  struct Case {
    std::string extra, path;
  };
  const std::vector<Case> cases = {
      {R"("letters":{"reply_days":0})", "letters.reply_days: must be 1 to 365"},
      {R"("letters":{"reply_days":400})", "letters.reply_days: must be 1 to 365"},
      {R"("letters":{"reply_days":"14"})", "letters.reply_days: must be a whole number"},
      {R"("letters":{"logo":"c.json"})", "letters.logo:"},
      {R"("letters":{"logo":"missing.png"})", "letters.logo:"},
      {R"("letters":{"signature":7})", "letters.signature: must be text"},
      {R"("workflow":{"retry":{"attempts":0}})", "workflow.retry.attempts"},
      {R"("workflow":{"retry":{"attempts":2.5}})", "workflow.retry.attempts"},
      {R"("workflow":{"retry":{"backoff":"ten seconds"}})", "workflow.retry.backoff"},
      {R"("workflow":{"retry":{"backoff":10}})", "workflow.retry.backoff"},
      {R"("workflow":{"retry":{"backoff":"PT10M","max_backoff":"PT1M"}})", "workflow.retry.backoff: is longer"},
      {R"("workflow":{"retry":{"atempts":3}})", "workflow.retry.atempts: unknown setting"},
      {R"("workflow":{"retry_by_type":{"archive":{"timeout":"P999D"}}})", "workflow.retry_by_type.archive.timeout"},
      {R"("workflow":{"approval_reminder_after":"P1M"})", "workflow.approval_reminder_after"},
      {R"("workflow":{"approval_reminder_after":"PT0S"})", "workflow.approval_reminder_after: must be longer than zero"},
  };
  for (const Case& c : cases) {
    std::string json = Json();
    json.insert(json.size() - 1, "," + c.extra);
    auto s = Load(json);
    ASSERT_FALSE(s) << c.extra;
    EXPECT_NE(s.error().message.find(c.path), std::string::npos) << c.extra << ": " << s.error().message;
  }
  std::string json = Json();
  json.insert(json.size() - 1, R"(,"workflow":{"retry":{"attempts":3,"backoff":"PT10S","max_backoff":"PT10M"},)"
                               R"("approval_reminder_after":"P7D"},"letters":{"reply_days":14})");
  auto s = Load(json);
  EXPECT_TRUE(s) << s.error().message;
}

TEST_F(BadConfigTest, AnAddressTableWithAByteOrderMarkReads) {
  auto s = Load(Json(), "\xEF\xBB\xBFstreet_code,street_name,from,to,parity,grades,school\n1,Avegen,,,all,1-7,A\n");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->municipality.address_rules.size(), 1u);
}

TEST(GradeSpanTest, Parses) {
  EXPECT_EQ(*ParseGradeSpan("1-7"), (core::GradeSpan{1, 7}));
  EXPECT_EQ(*ParseGradeSpan(" 8 - 10 "), (core::GradeSpan{8, 10}));
  EXPECT_EQ(*ParseGradeSpan("5"), (core::GradeSpan{5, 5}));
  EXPECT_FALSE(ParseGradeSpan("0-7"));
  EXPECT_FALSE(ParseGradeSpan("1-11"));
  EXPECT_FALSE(ParseGradeSpan("a"));
}

}  // namespace
}  // namespace enrol::config
