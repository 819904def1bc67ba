#include <filesystem>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "tests/support/demo_config.h"

namespace enrol {
namespace {

namespace json = boost::json;

class LettersCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::WriteDemoConfig(dir_, [](json::object& o) { o["connectors"].as_object()["simulator_db"] = ""; });
  }
  testing::CommandResult Enrol(const std::string& args) { return testing::EnrolIn(dir_, args); }
  void Intake() {
    ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 300 --seed 2 --school-year 2027 --out x.json").exit_code, 0);
    ASSERT_EQ(Enrol("init").exit_code, 0);
    ASSERT_EQ(Enrol("import x.json").exit_code, 0);
    auto r = Enrol("intake --school-year 2027 --grades 1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
  }
  testing::TempDir dir_;
};

TEST_F(LettersCliTest, CheckPassesTheShippedTemplates) {
  auto r = Enrol("letters check");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("letter templates: ok"), std::string::npos);
}

TEST_F(LettersCliTest, CheckReportsABrokenTemplateWithItsLine) {
  const auto folder = dir_.path() / "letters";
  std::filesystem::copy(testing::SourceDir() + "/workflows/letters", folder);
  std::string text = testing::ReadFile((folder / "grade5.nn.mustache").string());
  text.replace(text.find("{{reply_by}}"), 12, "{{svarfrist}}");
  text += "\n{{#copy_to}}\n";
  testing::WriteFile((folder / "grade5.nn.mustache").string(), text);
  std::filesystem::remove(folder / "grade8.nb.mustache");
  json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
  cfg.as_object()["letters"].as_object()["templates"] = folder.string();
  testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  auto r = Enrol("letters check");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("grade5.nn.mustache:12: unknown field 'svarfrist'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("section 'copy_to' is opened here and never closed"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("grade8.nb.mustache: missing"), std::string::npos) << r.out;
}

TEST_F(LettersCliTest, PreviewWritesTheLetterAndItsArchiveCopy) {
  Intake();
  auto p = Enrol("--json letters preview 1 --out one.pdf");
  ASSERT_EQ(p.exit_code, 0) << p.out;
  EXPECT_EQ(testing::ReadFile(dir_.File("one.pdf")).substr(0, 5), "%PDF-");
  auto a = Enrol("letters preview 2027/1/P" + std::string("1") + " --out one-a.pdf --archive-copy");
  if (a.exit_code == 0) {
    EXPECT_NE(testing::ReadFile(dir_.File("one-a.pdf")).find("GTS_PDFA1"), std::string::npos);
  }
  EXPECT_EQ(Enrol("letters preview 99999 --out x.pdf").exit_code, 2);
  EXPECT_EQ(Enrol("letters preview 1 --copy 7 --out x.pdf").exit_code, 2);
}

TEST_F(LettersCliTest, PrintBatchHoldsTheApprovedLetters) {
  Intake();
  EXPECT_EQ(Enrol("letters print-batch --school S01 --out b.pdf").exit_code, 2);  // nothing approved yet
  ASSERT_EQ(Enrol("case event --school S01 --state awaiting_approval approve").exit_code, 0);
  auto r = Enrol("--json letters print-batch --school S01 --out b.pdf");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  const int letters = static_cast<int>(json::parse(r.out).at("letters").as_int64());
  EXPECT_GT(letters, 0);
  if (testing::Run("command -v pdfinfo").exit_code == 0) {
    const std::string info = testing::Run("pdfinfo " + dir_.File("b.pdf")).out;
    const int pages = std::stoi(info.substr(info.find("Pages:") + 6));
    EXPECT_GE(pages, letters + 1);  // a cover sheet, then at least a page per letter
  }
  EXPECT_EQ(Enrol("letters print-batch --school S99 --out b.pdf").exit_code, 2);
}

}  // namespace
}  // namespace enrol
