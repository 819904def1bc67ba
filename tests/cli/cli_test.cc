#include <unistd.h>

// Runs the enrol binary as a user would.

#include <fstream>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/support/personal_data.h"
#include "tests/support/test_support.h"

namespace enrol {
namespace {

using testing::CommandResult;


class CliTest : public ::testing::Test {
 protected:
  CommandResult Enrol(const std::string& args) {
    return testing::Run("cd " + dir_.path().string() + " && " + testing::EnrolBinary() + " --config " +
               testing::DemoConfig() + " " + args);
  }
  void ImportDemo(int children = 2500) {
    ASSERT_EQ(Enrol("init").exit_code, 0);
    auto gen = Enrol("gen-extract --municipality 5099 --children " + std::to_string(children) +
                     " --seed 4 --school-year 2027 --out x.json");
    ASSERT_EQ(gen.exit_code, 0) << gen.out;
    auto imp = Enrol("import x.json");
    ASSERT_EQ(imp.exit_code, 0) << imp.out;
  }
  static boost::json::value Json(const CommandResult& r) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.out, ec);
    EXPECT_FALSE(ec) << r.out.substr(0, 500);
    return v;
  }
  testing::TempDir dir_;
};

TEST_F(CliTest, HelpAndUsage) {
  auto help = Enrol("--help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("cohort"), std::string::npos);
  for (const char* cmd : {"init", "import", "imports", "gen-extract", "cohort", "placement explain"}) {
    auto r = Enrol(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd;
  }
  EXPECT_EQ(Enrol("").exit_code, 2);
  EXPECT_EQ(Enrol("frobnicate").exit_code, 2);
  EXPECT_EQ(Enrol("cohort --school-year 2027 --grade 3").exit_code, 2);
  EXPECT_EQ(Enrol("cohort --grade 1").exit_code, 2);
  EXPECT_EQ(Enrol("import no-such-file.json").exit_code, 2);
}

TEST_F(CliTest, CommandsBeforeInitSayWhatToDo) {
  auto r = Enrol("cohort --school-year 2027 --grade 1");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.out.find("enrol --db enrol.db init"), std::string::npos) << r.out;
}

TEST_F(CliTest, MissingConfigIsBadInput) {
  auto r = testing::Run("cd " + dir_.path().string() + " && ENROL_CONFIG= " + testing::EnrolBinary() +
               " gen-extract --municipality 5099 --children 5 --out x.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("--config"), std::string::npos) << r.out;
}

TEST_F(CliTest, GenExtractSharesComeFromTheConfig) {
  std::string cfg = testing::ReadFile(testing::DemoConfig());
  cfg.replace(cfg.find("\"protected_address\": 0.004"), 26, "\"protected_address\": 0.5");
  cfg.replace(cfg.find("\"address_table\": \"addresses.csv\""), 32,
              "\"address_table\": \"" + testing::SourceDir() + "/config/demo/addresses.csv\"");
  testing::WriteFile(dir_.File("c.json"), cfg);
  auto r = testing::Run("cd " + dir_.path().string() + " && " + testing::EnrolBinary() +
                        " --config c.json gen-extract --municipality 5099 --children 400 --seed 1 "
                        "--out x.json && " + testing::EnrolBinary() + " --config c.json init && " +
                        testing::EnrolBinary() + " --config c.json --json cohort --school-year 2027 --grade 1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out.find("protected_address"), std::string::npos);  // nothing imported yet
  r = testing::Run("cd " + dir_.path().string() + " && " + testing::EnrolBinary() +
                   " --config c.json import x.json >/dev/null && " + testing::EnrolBinary() +
                   " --config c.json --json cohort --school-year 2027 --grade 1");
  auto json = Json(r);
  EXPECT_GT(json.at("manual_reasons").at("protected_address").as_int64(), 40);

  cfg.replace(cfg.find("\"protected_address\": 0.5"), 24, "\"protectd_address\": 0.5");
  testing::WriteFile(dir_.File("c.json"), cfg);
  r = testing::Run("cd " + dir_.path().string() + " && " + testing::EnrolBinary() +
                   " --config c.json gen-extract --municipality 5099 --children 4 --out y.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("extract_generator.shares.protectd_address: unknown share"), std::string::npos)
      << r.out;
}

TEST_F(CliTest, GenExtractForAnotherMunicipalityIsRefused) {
  auto r = Enrol("gen-extract --municipality 5001 --children 5 --out x.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("does not match the config"), std::string::npos);
}

TEST_F(CliTest, ImportCohortExplain) {
  ImportDemo();
  auto again = Enrol("import x.json");
  EXPECT_EQ(again.exit_code, 0);
  EXPECT_NE(again.out.find("already imported"), std::string::npos);

  auto cohort = Enrol("cohort --school-year 2027 --grade 1 --limit 5");
  ASSERT_EQ(cohort.exit_code, 0) << cohort.out;
  EXPECT_NE(cohort.out.find("letter due"), std::string::npos);
  EXPECT_NE(cohort.out.find("manual handling by reason"), std::string::npos);

  auto json = Json(Enrol("--json cohort --school-year 2027 --grade 8"));
  ASSERT_TRUE(json.is_object());
  EXPECT_EQ(json.at("grade").as_int64(), 8);
  EXPECT_GT(json.at("entries").as_array().size(), 100u);
  EXPECT_GT(json.at("by_outcome").at("letter").as_int64(), 0);
  EXPECT_GT(json.at("by_outcome").at("no_letter").as_int64(), 0);  // 1-10 schools

  std::string placed, manual;
  for (const auto& e : json.at("entries").as_array()) {
    const auto& o = e.as_object();
    if (placed.empty() && o.at("outcome") == "letter") placed = o.at("person").as_string().c_str();
    if (manual.empty() && o.at("outcome") == "manual") manual = o.at("person").as_string().c_str();
  }
  ASSERT_FALSE(placed.empty());
  auto ex = Enrol("placement explain " + placed + " --school-year 2027");
  ASSERT_EQ(ex.exit_code, 0) << ex.out;
  EXPECT_NE(ex.out.find("grade 8"), std::string::npos);
  EXPECT_NE(ex.out.find("[match]"), std::string::npos);
  EXPECT_NE(ex.out.find("a decision letter is due"), std::string::npos);
  ASSERT_FALSE(manual.empty());
  auto exm = Enrol("placement explain " + manual + " --school-year 2027");
  EXPECT_EQ(exm.exit_code, 0);
  EXPECT_NE(exm.out.find("manual handling"), std::string::npos) << exm.out;

  EXPECT_EQ(Enrol("placement explain P999999 --school-year 2027").exit_code, 2);
  EXPECT_EQ(Enrol("placement explain nobody --school-year 2027").exit_code, 2);

  auto imports = Json(Enrol("--json imports"));
  EXPECT_EQ(imports.as_array().size(), 1u);
}

TEST_F(CliTest, ProtectedAddressesAreNeverShown) {
  ImportDemo(6000);
  auto json = Json(Enrol("--json cohort --school-year 2027 --grade 1"));
  int protected_cases = 0;
  for (const auto& e : json.at("entries").as_array()) {
    const auto& o = e.as_object();
    bool prot = false;
    for (const auto& r : o.at("manual_reasons").as_array()) prot = prot || r == "protected_address";
    if (!prot) continue;
    ++protected_cases;
    EXPECT_FALSE(o.contains("school")) << "a school derived from a protected address";
    EXPECT_FALSE(o.contains("why"));
    auto ex = Enrol("placement explain " + std::string(o.at("person").as_string()) +
                    " --school-year 2027");
    EXPECT_EQ(ex.exit_code, 0);
    EXPECT_NE(ex.out.find("address: withheld"), std::string::npos) << ex.out;
    EXPECT_EQ(ex.out.find("address table"), std::string::npos) << ex.out;
    EXPECT_EQ(ex.out.find("skolekrets"), std::string::npos) << ex.out;
  }
  EXPECT_GT(protected_cases, 0);
}

// Whatever the import accepts cannot break a later command: children with
// the oddest names the schema allows are imported (and those it does not
// allow are skipped), then intake, cohort, explain and a letter run on them.
TEST_F(CliTest, EdgeCasesTheImportAcceptsBreakNothingLater) {
  ASSERT_EQ(Enrol("init").exit_code, 0);
  ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 300 --seed 4 --school-year 2027 --out x.json").exit_code, 0);
  std::string text;
  {
    std::ifstream in(dir_.File("x.json"));
    std::stringstream ss;
    ss << in.rdbuf();
    text = ss.str();
  }
  boost::json::value doc = boost::json::parse(text);
  std::string aa;
  for (int i = 0; i < 4000; ++i) aa += "\xC3\xA5";  // 4,000 characters (8,000 bytes): the most a name may hold
  const std::vector<std::string> accepted = {
      aa, "\xC3\x81ilu \xC5\x8Auolja", "O'Brien \"Jr\" \\ <b>&amp;</b>", "{{fornavn}} {{#x}}", "%s%n%d",
      "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x91\xA7", "e\xCC\x81", "\xD9\x85\xD8\xB1\xD9\x8A\xD9\x85", "(((("};
  const std::vector<std::string> refused = {std::string("a\x07" "b"), std::string("a\0b", 3), "a\x7F"};
  std::vector<std::string> children;  // the ids changed
  size_t k = 0;
  for (auto& pv : doc.as_array()) {
    auto& p = pv.as_object();
    const auto& born = p.at("foedsel").as_array().at(0).as_object();
    if (!born.contains("foedselsdato") || std::string(born.at("foedselsdato").as_string()).substr(0, 4) != "2021") continue;
    if (k >= accepted.size() + refused.size()) break;
    const std::string name = k < accepted.size() ? accepted[k] : refused[k - accepted.size()];
    for (auto& n : p.at("navn").as_array()) n.as_object()["fornavn"] = name;
    if (k < accepted.size()) {
      children.push_back(std::string(p.at("identifikasjonsnummer").as_array().at(0).at("foedselsEllerDNummer").as_string()));
    }
    ++k;
  }
  ASSERT_EQ(k, accepted.size() + refused.size());
  testing::WriteFile(dir_.File("edge.json"), boost::json::serialize(doc));
  auto strict = Enrol("import edge.json");
  EXPECT_EQ(strict.exit_code, 2) << strict.out;
  EXPECT_NE(strict.out.find("control character"), std::string::npos) << strict.out;
  auto imp = Json(Enrol("--json import --skip-invalid edge.json"));
  ASSERT_TRUE(imp.is_object());
  EXPECT_EQ(imp.at("skipped").as_int64(), static_cast<int64_t>(refused.size())) << boost::json::serialize(imp);
  auto intake = Enrol("intake --school-year 2027");
  EXPECT_EQ(intake.exit_code, 0) << intake.out;
  auto cohort = Enrol("cohort --school-year 2027 --grade 1 --names");
  EXPECT_EQ(cohort.exit_code, 0) << cohort.out.substr(0, 400);
  EXPECT_EQ(Enrol("--json cohort --school-year 2027 --grade 1 --names").exit_code, 0);
  auto cases = Json(Enrol("--json case list --grade 1"));
  int previews = 0;
  for (const auto& c : cases.as_array()) {
    const std::string key(c.at("key").as_string());
    const std::string person = key.substr(key.rfind('/') + 1);
    auto ex = Enrol("placement explain " + person + " --school-year 2027");
    EXPECT_EQ(ex.exit_code, 0) << key << ": " << ex.out.substr(0, 300);
    if (previews < 12) {
      auto pdf = Enrol("letters preview " + key + " --out p" + std::to_string(previews) + ".pdf");
      EXPECT_TRUE(pdf.exit_code == 0 || pdf.out.find("no letter") != std::string::npos) << key << ": " << pdf.out;
      ++previews;
    }
  }
  EXPECT_GT(previews, 0);
}

// A million invalid records: all counted, the first thousand kept in detail.
TEST_F(CliTest, AMillionInvalidRecordsAreCountedNotAllKept) {
  ASSERT_EQ(Enrol("init").exit_code, 0);
  std::string lines;
  lines.reserve(14000000);
  for (int i = 0; i < 1000000; ++i) lines += "{\"navn\":[]}\n";
  testing::WriteFile(dir_.File("bad.ndjson"), lines);
  auto strict = Enrol("import bad.ndjson");
  EXPECT_EQ(strict.exit_code, 2);
  EXPECT_NE(strict.out.find("1000000 invalid record(s)"), std::string::npos) << strict.out.substr(0, 300);
  auto imp = Json(Enrol("--json import --skip-invalid bad.ndjson"));
  ASSERT_TRUE(imp.is_object());
  EXPECT_EQ(imp.at("skipped").as_int64(), 1000000);
  EXPECT_EQ(imp.at("issues_total").as_int64(), 1000000);
  auto kept = testing::Run("sqlite3 " + dir_.File("enrol.db") + " 'SELECT COUNT(*) FROM import_issues'");
  EXPECT_EQ(kept.out, "1000\n");
}

// A database this user may not write: the reading commands work, a writing
// one fails with SQLite's read-only error and changes nothing. As root
// (who may write anything) the commands run as nobody.
TEST_F(CliTest, AReadOnlyDatabaseServesTheReadingCommands) {
  ImportDemo(400);
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const std::string db = dir_.File("enrol.db");
  ASSERT_EQ(testing::Run("chmod 755 " + dir_.path().string() + " && chmod 444 " + db).exit_code, 0);
  const bool root = ::geteuid() == 0;
  if (root && testing::Run("command -v setpriv").exit_code != 0) GTEST_SKIP() << "setpriv (util-linux) is missing";
  auto as_reader = [&](const std::string& args) {
    const std::string who = root ? "setpriv --reuid=nobody --regid=nogroup --clear-groups " : "";
    return testing::Run("cd " + dir_.path().string() + " && " + who + testing::EnrolBinary() + " --config " +
                        testing::DemoConfig() + " " + args);
  };
  for (const char* args : {"cohort --school-year 2027 --grade 1 --limit 3", "case list", "case show 1", "imports",
                           "--json case show 1", "incidents list"}) {
    auto r = as_reader(args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.out.substr(0, 300) << " " << r.out.size();
  }
  const std::string before = Enrol("--json case show 1").out;
  auto write = as_reader("case event 1 approve");
  EXPECT_NE(write.exit_code, 0);
  EXPECT_NE(write.out.find("readonly"), std::string::npos) << write.out;
  EXPECT_EQ(Enrol("--json case show 1").out, before);
  ASSERT_EQ(testing::Run("chmod 644 " + db).exit_code, 0);
}

TEST_F(CliTest, NoPersonalDataInAnyOutput) {
  ImportDemo();
  std::string all;
  for (const char* args : {"cohort --school-year 2027 --grade 1 --names",
                           "--json cohort --school-year 2027 --grade 5 --names",
                           "placement explain P1 --school-year 2027", "imports",
                           "--json import x.json"}) {
    auto r = Enrol(args);
    all += r.out;
  }
  const testing::PersonalData personal = testing::ReadPersonalData(dir_.File("x.json"));
  ASSERT_GT(personal.ids.size(), 1000u);
  ASSERT_FALSE(personal.protected_texts.empty());
  EXPECT_EQ(personal.FindIn(all), "");
  EXPECT_NE(personal.FindIn(all + *personal.protected_texts.begin()), "");  // the check itself works
}

TEST_F(CliTest, BadExtractIsRejectedWithFileRecordAndField) {
  ASSERT_EQ(Enrol("init").exit_code, 0);
  testing::WriteFile(dir_.File("bad.json"),
                     "[\n{\"identifikasjonsnummer\":[{\"foedselsEllerDNummer\":\"12345678901\"}]}\n]");
  auto r = Enrol("import bad.json");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("bad.json: record 1 (line 2): identifikasjonsnummer[0].foedselsEllerDNummer"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("12345678901"), std::string::npos) << r.out;
  auto imports = Enrol("imports");
  EXPECT_NE(imports.out.find("no imports yet"), std::string::npos);
  auto skip = Json(Enrol("--json import --skip-invalid bad.json"));
  EXPECT_EQ(skip.at("skipped").as_int64(), 1);
}

}  // namespace
}  // namespace enrol
