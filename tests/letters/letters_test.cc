#include <filesystem>
#include <regex>
#include <sstream>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/letters/letter_template.h"
#include "engine/letters/pdf_writer.h"
#include "engine/letters/pdfa.h"
#include "engine/letters/template_renderer.h"
#include "tests/support/test_support.h"

namespace enrol::letters {
namespace {

namespace json = boost::json;

json::object SampleData(int grade, const std::string& child = "Áilu Ánddeš Ŋuolja-Čalbmeš") {
  return {{"municipality", json::object{{"name", "Fjordvik kommune"}}},
          {"school", json::object{{"name", "Sentrum skole"}, {"address", "Skolegata 3"}, {"postnummer", "7010"}, {"poststed", "Fjordvik"}, {"phone", "72\u00a054\u00a010\u00a000"},
                                  {"email", "sentrum.skole@fjordvik.kommune.no"}}},
          {"child", json::object{{"name", child}, {"first_name", child.substr(0, child.find(' '))},
                                 {"birth_date", "14.03.2021"}}},
          {"grade", std::to_string(grade)}, {"school_year", "2027/2028"}, {"start_year", "2027"},
          {"start_date", "16. august 2027"}, {"reply_by", "13. desember 2026"},
          {"legal_basis", "opplæringslova § 2-6"}, {"signature", "Kari Rektor"}, {"copy_to", ""}};
}

LetterTemplate Load(const std::string& name) {
  auto t = LetterTemplate::Parse(name, testing::ReadFile(testing::SourceDir() + "/workflows/letters/" + name + ".mustache"));
  EXPECT_TRUE(t);
  return *t;
}

LetterPageData Page(const LetterText& text, std::vector<std::string> recipient = {"Kari Nordmann", "Storgata 12 B",
                                                                                     "7010 FJORDVIK"}) {
  LetterPageData d;
  d.head = {"Fjordvik kommune", "Sentrum skole", "Rådhusplassen 1", "7000 Fjordvik", "964100099", "72 54 00 00",
            "oppvekst@fjordvik.kommune.no", ""};
  d.return_address = "Fjordvik kommune, Rådhusplassen 1, 7000 Fjordvik";
  d.recipient = std::move(recipient);
  d.info = {{"Dato", "23.11.2026"}, {"Vår ref.", "2027/1/P124"}};
  d.text = text;
  return d;
}

std::string Pdf(const LetterPageData& page, bool pdfa_ready = false) {
  auto w = PdfWriter::Create({"Vedtak om skoleplass", "Fjordvik kommune", "", pdfa_ready});
  EXPECT_TRUE(w);
  auto st = (*w)->AddLetter(page);
  EXPECT_TRUE(st) << st.error().message;
  auto bytes = (*w)->Finish();
  EXPECT_TRUE(bytes);
  return *bytes;
}

bool HavePoppler() { return testing::Run("command -v pdftotext && command -v pdffonts").exit_code == 0; }

class LettersTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    testing::WriteFile(dir_.File(name), bytes);
    return dir_.File(name);
  }
  testing::TempDir dir_;
};

TEST(LetterTemplateTest, EveryTemplateChecksClean) {
  for (const char* name : {"grade1.nb", "grade1.nn", "grade5.nb", "grade5.nn", "grade8.nb", "grade8.nn"}) {
    const LetterTemplate t = Load(name);
    for (const auto& p : t.Check()) ADD_FAILURE() << name << ":" << p.line << ": " << p.message;
    EXPECT_EQ(t.version().size(), 64u);
  }
}

TEST(LetterTemplateTest, ProblemsAreReportedWithTheirLine) {
  auto t = LetterTemplate::Parse("bad", "Tittel\n\n{{#copy_to}}Kopi\n{{child.nmae}}\n{{/school}}\n{{> partial}}\n");
  ASSERT_TRUE(t);
  const auto problems = t->Check();
  std::string all;
  for (const auto& p : problems) all += std::to_string(p.line) + ": " + p.message + "\n";
  EXPECT_NE(all.find("4: unknown field 'child.nmae'"), std::string::npos) << all;
  EXPECT_NE(all.find("5: '{{/school}}' closes 'copy_to', opened on line 3"), std::string::npos) << all;
  EXPECT_NE(all.find("6: '{{> partial}}': partials"), std::string::npos) << all;
  auto untitled = LetterTemplate::Parse("x", "\nbody {{grade}}");
  EXPECT_NE(untitled->Check().front().message.find("title"), std::string::npos);
  auto unclosed = LetterTemplate::Parse("x", "T\n{{#copy_to}}\n");
  EXPECT_NE(unclosed->Check().front().message.find("never closed"), std::string::npos);
}

TEST(LetterTemplateTest, AMissingValueIsAnErrorNotABlank) {
  json::object data = SampleData(1);
  data["reply_by"] = "";
  auto r = Load("grade1.nb").Render(data);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("reply_by (line"), std::string::npos) << r.error().message;
}

TEST(LetterTemplateTest, HiddenSectionsNeedNoValues) {
  json::object data = SampleData(1);  // copy_to is empty: its section is not shown
  auto r = Load("grade1.nb").Render(data);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->find("Kopi av brevet"), std::string::npos);
  data["copy_to"] = "Ola Nordmann";
  EXPECT_NE(Load("grade1.nb").Render(data)->find("Kopi av brevet er sendt til Ola Nordmann"), std::string::npos);
}

TEST(LetterTemplateTest, ValuesAreEscapedForTheMarkup) {
  json::object data = SampleData(1, "Ola <b>& Co");
  auto r = Load("grade1.nb").Render(data);
  ASSERT_TRUE(r);
  EXPECT_NE(r->find("Ola &lt;b&gt;&amp; Co"), std::string::npos);
}

TEST(LetterMarkupTest, TitleHeadingsBulletsParagraphs) {
  const LetterText t = ParseLetterMarkup("Tittel\n\nEn\nto\n\n## Overskrift\n- punkt\nTekst\n");
  EXPECT_EQ(t.title, "Tittel");
  ASSERT_EQ(t.blocks.size(), 4u);
  EXPECT_EQ(t.blocks[0].markup, "En\nto");
  EXPECT_EQ(t.blocks[1].kind, Block::kHeading);
  EXPECT_EQ(t.blocks[2].kind, Block::kBullet);
  EXPECT_EQ(t.blocks[3].markup, "Tekst");
}

TEST_F(LettersTest, EveryTemplateRendersToAPdfWithEmbeddedFontsAndItsText) {
  if (!HavePoppler()) GTEST_SKIP() << "poppler-utils not installed";
  for (int grade : {1, 5, 8}) {
    for (const char* lang : {"nb", "nn"}) {
      const std::string name = "grade" + std::to_string(grade) + "." + lang;
      auto rendered = Load(name).Render(SampleData(grade));
      ASSERT_TRUE(rendered) << name << ": " << rendered.error().message;
      const std::string path = Write(name + ".pdf", Pdf(Page(ParseLetterMarkup(*rendered))));
      const std::string text = testing::Run("pdftotext " + path + " -").out;
      for (const char* expected : {"Fjordvik kommune", "Sentrum skole", "Áilu", "Ŋuolja", "Čalbmeš", "14.03.2021",
                                   "Statsforvalt", "Kari Nordmann", "7010 FJORDVIK"}) {
        EXPECT_NE(text.find(expected), std::string::npos) << name << " lacks " << expected;
      }
      EXPECT_NE(text.find(std::string(lang) == "nb" ? "Rett til å klage" : "Rett til å klage"), std::string::npos);
      const std::string fonts = testing::Run("pdffonts " + path).out;
      int rows = 0, embedded = 0;
      std::istringstream in(fonts);
      std::string line;
      while (std::getline(in, line)) {
        if (line.find("TrueType") == std::string::npos) continue;
        ++rows;
        embedded += std::regex_search(line, std::regex("\\s+yes\\s+yes\\s+yes\\s+"));
      }
      EXPECT_GT(rows, 0) << fonts;
      EXPECT_EQ(embedded, rows) << "every font embedded (subset, with ToUnicode):\n" << fonts;
    }
  }
}

TEST_F(LettersTest, NynorskTemplatesSpeakNynorsk) {
  auto nb = Load("grade8.nb").Render(SampleData(8));
  auto nn = Load("grade8.nn").Render(SampleData(8));
  EXPECT_NE(nb->find("skoleplass"), std::string::npos);
  EXPECT_NE(nn->find("skuleplass"), std::string::npos);
  EXPECT_NE(nn->find("Med venleg helsing"), std::string::npos);
}

TEST_F(LettersTest, AnEightyCharacterNameWrapsInsideTheWindow) {
  if (!HavePoppler()) GTEST_SKIP() << "poppler-utils not installed";
  const std::string name = "Maria José García Márquez de la Santísima Trinidad Fernández-Øvergård Bjørnstadsen";
  ASSERT_GE(name.size(), 80u);
  auto rendered = Load("grade1.nb").Render(SampleData(1));
  const std::string path = Write("long.pdf", Pdf(Page(ParseLetterMarkup(*rendered), {name, "Storgata 1", "7010 FJORDVIK"})));
  const std::string boxes = testing::Run("pdftotext -f 1 -l 1 -bbox " + path + " -").out;
  // The words in the address field's column (starting left of 105 mm, between
  // 45 and 90 mm from the top) must all end inside it, and hold the whole name.
  const double mm = 72 / 25.4;
  std::string window_text;
  double first_y = -1, last_y = -1;
  std::smatch m;
  std::string rest = boxes;
  const std::regex word("<word xMin=\"([0-9.]+)\" yMin=\"([0-9.]+)\" xMax=\"([0-9.]+)\" yMax=\"[0-9.]+\">([^<]*)</word>");
  while (std::regex_search(rest, m, word)) {
    const double x_min = std::stod(m[1]), y_min = std::stod(m[2]), x_max = std::stod(m[3]);
    if (x_min < 105 * mm && y_min > 50 * mm && y_min < 90 * mm) {
      EXPECT_LE(x_max, 105 * mm) << m[4] << " (at " << x_min / mm << "-" << x_max / mm << " mm, " << y_min / mm << " mm down) runs out of the window";
      window_text += std::string(m[4]) + " ";
      if (first_y < 0) first_y = y_min;
      last_y = y_min;
    }
    rest = m.suffix();
  }
  for (const char* part : {"Maria", "José", "Santísima", "Trinidad", "Øvergård", "Bjørnstadsen", "Storgata"}) {
    EXPECT_NE(window_text.find(part), std::string::npos) << part << " missing from the window: " << window_text;
  }
  EXPECT_GT(last_y - first_y, 3 * 10.0) << "the name should wrap onto several lines";
}

TEST_F(LettersTest, PageNumbersWhenALetterRunsOver) {
  if (!HavePoppler()) GTEST_SKIP() << "poppler-utils not installed";
  auto rendered = Load("grade1.nb").Render(SampleData(1));
  const std::string path = Write("pages.pdf", Pdf(Page(ParseLetterMarkup(*rendered))));
  const std::string text = testing::Run("pdftotext " + path + " -").out;
  const std::string pages = testing::Run("pdfinfo " + path + " | grep Pages").out;
  if (pages.find(" 1\n") != std::string::npos) {
    EXPECT_EQ(text.find("Side 1 av"), std::string::npos);
  } else {
    EXPECT_NE(text.find("Side 1 av 2"), std::string::npos) << text;
    EXPECT_NE(text.find("Side 2 av 2"), std::string::npos);
  }
  LetterText one_page;
  one_page.title = "Kort brev";
  one_page.blocks = {{Block::kParagraph, "Ett avsnitt."}};
  const std::string short_path = Write("short.pdf", Pdf(Page(one_page)));
  EXPECT_EQ(testing::Run("pdftotext " + short_path + " -").out.find("Side 1"), std::string::npos);
}

TEST_F(LettersTest, BadMarkupInATemplateIsAnError) {
  LetterText t;
  t.title = "x";
  t.blocks = {{Block::kParagraph, "<b>unclosed"}};
  auto w = PdfWriter::Create({"x", "y", "", false});
  auto st = (*w)->AddLetter(Page(t));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("not valid markup"), std::string::npos);
}

// Hostile templates: each is a check problem with its line, or a render
// error that is not retried, never a letter with only its letterhead.
TEST(LetterTemplateTest, HostileTemplatesAreProblems) {
  auto problems = [](const std::string& text) {
    std::string all;
    auto t = LetterTemplate::Parse("x.nb", text);
    EXPECT_TRUE(t);
    if (t) {
      for (const auto& p : t->Check()) all += std::to_string(p.line) + ": " + p.message + "\n";
    }
    return all;
  };
  EXPECT_NE(problems("").find("1: the template is empty"), std::string::npos);
  EXPECT_NE(problems(" \n\n").find("empty"), std::string::npos);
  EXPECT_NE(problems("Tittel\nlinje\nx\xC3\x28y\n").find("3: not valid UTF-8"), std::string::npos);
  EXPECT_NE(problems("Tittel\n{{#child}}\n{{child.name\n").find("3: a tag opened here is never closed"),
            std::string::npos);
  std::string nested = "Tittel\n";
  for (int i = 0; i < 100000; ++i) nested += "{{#child}}";
  EXPECT_NE(problems(nested).find("nested more than 16"), std::string::npos);
  // Rendered, a template with syntax problems is refused (not retryable).
  auto empty = LetterTemplate::Parse("x.nb", "");
  auto r = empty->Render(SampleData(1));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  // Output size is bounded.
  std::string big = "Tittel\n";
  for (int i = 0; i < 4000; ++i) big += "{{child.name}} {{school.name}} {{legal_basis}} {{municipality.name}}\n";
  auto t = LetterTemplate::Parse("x.nb", big);
  auto out = t->Render(SampleData(1));
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("KiB"), std::string::npos) << out.error().message;
}

// A directory or an empty file in a template's place fails the check, and a
// render with it is refused (an incident that is not retried).
TEST_F(LettersTest, ADirectoryOrAnEmptyFileInATemplatesPlace) {
  const std::string folder = dir_.File("templates");
  std::filesystem::create_directories(folder);
  for (const char* name : {"grade1.nb", "grade1.nn", "grade5.nn", "grade8.nb", "grade8.nn"}) {
    std::filesystem::copy_file(testing::SourceDir() + "/workflows/letters/" + name + ".mustache",
                               folder + "/" + name + ".mustache");
  }
  std::filesystem::create_directories(folder + "/grade5.nb.mustache");
  testing::WriteFile(folder + "/grade1.nb.mustache", "");
  auto r = TemplateLetterRenderer::Open(folder, Letterhead{});
  ASSERT_TRUE(r) << r.error().message;
  std::string all;
  for (const auto& p : (*r)->CheckTemplates()) all += p + "\n";
  EXPECT_NE(all.find("grade5.nb.mustache: not a file"), std::string::npos) << all;
  EXPECT_NE(all.find("grade1.nb.mustache:1: the template is empty"), std::string::npos) << all;
  for (const char* name : {"grade5.nb", "grade1.nb"}) {
    app::LetterRequest req;
    req.template_name = name;
    req.data = SampleData(1);
    auto out = (*r)->Render(req);
    ASSERT_FALSE(out) << name;
    EXPECT_EQ(out.error().code, ErrorCode::kFailedPrecondition) << out.error().message;
  }
}

TEST_F(LettersTest, ALetterPastTenPagesIsAnError) {
  LetterText t;
  t.title = "Langt brev";
  for (int i = 0; i < 600; ++i) t.blocks.push_back({Block::kParagraph, "Et avsnitt som gjentas " + std::to_string(i)});
  auto w = PdfWriter::Create({"x", "y", "", false});
  auto st = (*w)->AddLetter(Page(t));
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("at most 10"), std::string::npos) << st.error().message;
}

TEST_F(LettersTest, ArchiveCopyIsValidPdfA1b) {
  const std::string jars = "/usr/share/java/preflight.jar:/usr/share/java/pdfbox2.jar:/usr/share/java/fontbox2.jar:"
                           "/usr/share/java/xmpbox.jar:/usr/share/java/commons-logging.jar:"
                           "/usr/share/java/javax.activation.jar:/usr/share/java/jaxb-api.jar";
  if (testing::Run("command -v java && test -f /usr/share/java/preflight.jar").exit_code != 0) {
    GTEST_SKIP() << "java or PDFBox preflight (libpdfbox2-java) not installed";
  }
  for (const char* name : {"grade1.nb", "grade8.nn"}) {
    auto rendered = Load(name).Render(SampleData(1));
    ASSERT_TRUE(rendered);
    auto pdfa = ToPdfA1b(Pdf(Page(ParseLetterMarkup(*rendered)), true),
                         {"Vedtak om skoleplass", "Fjordvik kommune", "Vedtak om skoleplass 2027/2028", "2027/1/P124",
                          std::string(name).substr(7), "2026-11-23T07:30:00+01:00"});
    ASSERT_TRUE(pdfa) << pdfa.error().message;
    const std::string path = Write(std::string(name) + ".pdfa.pdf", *pdfa);
    auto r = testing::Run("java -cp " + jars + " org.apache.pdfbox.preflight.Validator_A1b " + path);
    EXPECT_NE(r.out.find("is a valid PDF/A-1b file"), std::string::npos) << r.out.substr(0, 3000);
    EXPECT_NE(pdfa->find("<dc:identifier>2027/1/P124</dc:identifier>"), std::string::npos);
  }
  // The plain dispatch PDF is not PDF/A: the check can fail.
  auto rendered = Load("grade1.nb").Render(SampleData(1));
  const std::string plain = Write("plain.pdf", Pdf(Page(ParseLetterMarkup(*rendered))));
  auto r = testing::Run("java -cp " + jars + " org.apache.pdfbox.preflight.Validator_A1b " + plain);
  EXPECT_NE(r.out.find("is not a valid PDF/A-1b"), std::string::npos);
}

}  // namespace
}  // namespace enrol::letters
