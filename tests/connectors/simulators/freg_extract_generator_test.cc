#include "connectors/simulators/freg_extract_generator.h"

#include <gtest/gtest.h>

#include "connectors/register/freg_reader.h"
#include "engine/config/config_loader.h"
#include "tests/support/test_support.h"

namespace enrol::sim {
namespace {

using testing::TempDir;

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = config::LoadSettings(testing::DemoConfig());
    ASSERT_TRUE(s) << s.error().message;
    settings_ = std::move(*s);
  }
  std::string Generate(const std::string& name, int children, uint64_t seed, ExtractFormat f) {
    ExtractOptions o;
    o.children = children;
    o.seed = seed;
    o.format = f;
    const std::string path = dir_.File(name);
    auto stats = GenerateExtract(settings_.municipality, o, path);
    EXPECT_TRUE(stats) << stats.error().message;
    return path;
  }
  std::vector<core::Person> ReadBack(const std::string& path) {
    freg::FregExtractOpener opener(settings_.national_ids);
    auto source = opener.Open(path);
    EXPECT_TRUE(source);
    std::vector<core::Person> out;
    for (;;) {
      auto next = (*source)->Next();
      EXPECT_TRUE(next) << next.error().message;
      if (!next || !*next) break;
      EXPECT_TRUE((*next)->person) << (*next)->field << ": " << (*next)->message;
      if ((*next)->person) out.push_back(*(*next)->person);
    }
    return out;
  }
  TempDir dir_;
  app::Settings settings_;
};

TEST_F(GeneratorTest, SameSeedSameFileOtherSeedOtherFile) {
  const auto a = testing::ReadFile(Generate("a.json", 300, 7, ExtractFormat::kJsonArray));
  const auto b = testing::ReadFile(Generate("b.json", 300, 7, ExtractFormat::kJsonArray));
  const auto c = testing::ReadFile(Generate("c.json", 300, 8, ExtractFormat::kJsonArray));
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST_F(GeneratorTest, EveryFormatReadsBackToTheSamePersons) {
  const auto json = ReadBack(Generate("a.json", 200, 3, ExtractFormat::kJsonArray));
  const auto ndjson = ReadBack(Generate("a.ndjson", 200, 3, ExtractFormat::kNdjson));
  const auto xml = ReadBack(Generate("a.xml", 200, 3, ExtractFormat::kXml));
  ASSERT_GT(json.size(), 200u);
  EXPECT_EQ(json, ndjson);
  EXPECT_EQ(json, xml);
}

TEST_F(GeneratorTest, ProducesTheCasesThatMatter) {
  const auto persons = ReadBack(Generate("big.json", 6000, 11, ExtractFormat::kJsonArray));
  int children = 0, protected_ = 0, d_number = 0, shared = 0, one_guardian = 0, dead = 0,
      emigrated = 0, unknown = 0, no_guardian = 0, sami = 0, foreign = 0;
  std::set<std::string> ids, guardian_ids;
  for (const auto& p : persons) {
    EXPECT_TRUE(ids.insert(p.id).second) << "ids must be unique";
    EXPECT_TRUE(core::ParseNationalId(p.id)->synthetic);
    for (const auto& r : p.responsibility) guardian_ids.insert(r.guardian_id);
    if (p.birth_year < 2005) continue;  // guardians are born 2000 or before
    ++children;
    protected_ += core::IsProtected(p.EffectiveProtection());
    d_number += p.id_kind == core::NationalIdKind::kDNummer;
    shared += !p.shared_home.empty();
    one_guardian += p.responsibility.size() == 1;
    no_guardian += p.responsibility.empty();
    dead += p.status == core::PersonStatus::kDoed;
    emigrated += p.status == core::PersonStatus::kUtflyttet;
    unknown += p.home && p.home->kind == core::AddressKind::kUkjentBosted;
    const std::string name = p.name.Full();
    sami += name.find("Á") != std::string::npos || name.find("Ŋ") != std::string::npos ||
            name.find("Č") != std::string::npos;
    foreign += name.find("ễ") != std::string::npos || name.find("ř") != std::string::npos ||
               name.find("Ł") != std::string::npos;
  }
  int missing_docs = 0;
  for (const auto& g : guardian_ids) missing_docs += ids.count(g) == 0;
  EXPECT_EQ(children, 6000);
  EXPECT_GT(protected_, 5);
  EXPECT_GT(d_number, 5);
  EXPECT_GT(shared, 50);
  EXPECT_GT(one_guardian, 500);
  EXPECT_GT(no_guardian, 2);
  EXPECT_GT(emigrated, 5);
  EXPECT_GT(unknown, 20);
  EXPECT_GT(missing_docs, 20);
  EXPECT_GT(sami, 20);
  EXPECT_GT(foreign, 20);
  (void)dead;  // 0.05 %: may be zero in 6,000
}

TEST_F(GeneratorTest, XmlValidatesAgainstTheOfficialXsd) {
  if (!testing::HaveReference("folkeregister/PersondokumentMedHistorikk_v1BETA2.xsd")) GTEST_SKIP() << "the official XSD is not available";
  if (testing::Run("command -v xmllint").exit_code != 0) GTEST_SKIP() << "xmllint not installed";
  const std::string xsd =
      testing::Reference("folkeregister/PersondokumentMedHistorikk_v1BETA2.xsd");
  // The official schema defines one person; a wrapper schema of the same
  // namespace includes it and allows a list of them.
  const std::string wrapper = dir_.File("wrapper.xsd");
  testing::WriteFile(wrapper,
      R"(<?xml version="1.0"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema"
  targetNamespace="folkeregisteret:tilgjengeliggjoering:person:v1"
  xmlns="folkeregisteret:tilgjengeliggjoering:person:v1" elementFormDefault="qualified">
  <xsd:include schemaLocation=")" + xsd + R"("/>
  <xsd:element name="folkeregisterpersoner"><xsd:complexType><xsd:sequence>
    <xsd:element ref="folkeregisterperson" maxOccurs="unbounded"/>
  </xsd:sequence></xsd:complexType></xsd:element>
</xsd:schema>)");
  const std::string xml = Generate("x.xml", 1500, 5, ExtractFormat::kXml);
  auto r = testing::Run("xmllint --noout --schema " + wrapper + " " + xml);
  EXPECT_EQ(r.exit_code, 0) << r.out.substr(0, 3000);
  EXPECT_NE(r.out.find("validates"), std::string::npos) << r.out.substr(0, 3000);
}

TEST_F(GeneratorTest, JsonValidatesAgainstTheOfficialOpenApiSchema) {
  if (!testing::HaveReference("folkeregister/freg-offentlig-med-hjemmel-openapi-v1.5.yaml")) GTEST_SKIP() << "the official OpenAPI is not available";
  if (testing::Run("/usr/bin/python3 -c 'import jsonschema, yaml'").exit_code != 0) {
    GTEST_SKIP() << "python3-jsonschema / python3-yaml not installed";
  }
  const std::string json = Generate("x.json", 1500, 5, ExtractFormat::kJsonArray);
  auto r = testing::Run("/usr/bin/python3 " + testing::SourceDir() +
                        "/tests/connectors/simulators/validate_freg_json.py " +
                        testing::Reference("folkeregister/freg-offentlig-med-hjemmel-openapi-v1.5.yaml") + " " +
                        json);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find(" 0 errors"), std::string::npos) << r.out;
}

TEST_F(GeneratorTest, ValidatorCatchesAnInventedField) {
  if (!testing::HaveReference("folkeregister/freg-offentlig-med-hjemmel-openapi-v1.5.yaml")) GTEST_SKIP() << "the official OpenAPI is not available";
  if (testing::Run("/usr/bin/python3 -c 'import jsonschema, yaml'").exit_code != 0) {
    GTEST_SKIP() << "python3-jsonschema / python3-yaml not installed";
  }
  const std::string path = dir_.File("bad.json");
  testing::WriteFile(path, R"([{"navn":[{"fornavn":"A","etternavn":"B","kallenavn":"C"}]}])");
  auto r = testing::Run("/usr/bin/python3 " + testing::SourceDir() +
                        "/tests/connectors/simulators/validate_freg_json.py " +
                        testing::Reference("folkeregister/freg-offentlig-med-hjemmel-openapi-v1.5.yaml") + " " +
                        path);
  EXPECT_EQ(r.exit_code, 1) << r.out;
}

TEST_F(GeneratorTest, UnwritablePathIsAnError) {
  ExtractOptions o;
  auto stats = GenerateExtract(settings_.municipality, o, "/nonexistent-dir/x.json");
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().message.find("cannot write"), std::string::npos);
}

}  // namespace
}  // namespace enrol::sim
