#include "connectors/register/freg_reader.h"

#include <gtest/gtest.h>

#include "tests/support/freg_docs.h"
#include "tests/support/test_support.h"

namespace enrol::freg {
namespace {

using testing::TempDir;
using testing::WriteFile;

using testing::kChild;  // synthetic ids (Tenor, month +80)
using testing::kFather;
using testing::kMother;

std::string ChildDoc(const std::string& id = kChild, const std::string& extra = "") {
  return R"({"identifikasjonsnummer":[{"erGjeldende":true,"foedselsEllerDNummer":")" + id +
         R"(","identifikatortype":"foedselsnummer","status":"iBruk"}],)"
         R"("status":[{"erGjeldende":true,"status":"bosatt"}],)"
         R"("navn":[{"erGjeldende":false,"fornavn":"GAMMEL","etternavn":"NAVN"},)"
         R"({"erGjeldende":true,"fornavn":"Áilu","etternavn":"Ŋuolja"}],)"
         R"("foedsel":[{"erGjeldende":true,"foedselsdato":"2020-03-14","foedselsaar":"2020"}],)"
         R"("bostedsadresse":[{"erGjeldende":true,"adressegradering":"ugradert","skolekrets":17,)"
         R"("vegadresse":{"kommunenummer":"5001","adressekode":"01234","adressenavn":"Eksempelvegen",)"
         R"("adressenummer":{"husnummer":"12","husbokstav":"B"},)"
         R"("poststed":{"postnummer":"7030","poststedsnavn":"TRONDHEIM"}}}],)"
         R"("foreldreansvar":[{"erGjeldende":true,"ansvar":"felles","ansvarlig":")" +
         std::string(kMother) + R"(","ansvarssubjekt":")" + id + R"("},)"
         R"({"erGjeldende":true,"ansvar":"felles","ansvarlig":")" + std::string(kFather) +
         R"(","ansvarssubjekt":")" + id + R"("}])" + extra + "}";
}

class ReaderTest : public ::testing::Test {
 protected:
  // Reads all records; returns the fatal error, if any.
  std::optional<Error> ReadAll(const std::string& content) {
    const std::string path = dir_.File("extract");
    WriteFile(path, content);
    records_.clear();
    FregExtractOpener opener({.accept_synthetic = true});
    auto source = opener.Open(path);
    if (!source) return source.error();
    source_format_.clear();
    for (;;) {
      auto next = (*source)->Next();
      if (!next) return next.error();
      if (!*next) break;
      records_.push_back(std::move(**next));
    }
    source_format_ = (*source)->Format();
    sha_ = (*source)->Sha256Hex();
    return std::nullopt;
  }
  TempDir dir_;
  std::vector<app::ExtractRecord> records_;
  std::string source_format_;
  std::string sha_;
};

TEST_F(ReaderTest, JsonArrayUsesTheCurrentEntries) {
  ASSERT_FALSE(ReadAll(std::string("[") + ChildDoc() + "]"));
  ASSERT_EQ(records_.size(), 1u);
  ASSERT_TRUE(records_[0].person) << records_[0].field << ": " << records_[0].message;
  const core::Person& p = *records_[0].person;
  EXPECT_EQ(p.id, kChild);
  EXPECT_EQ(p.name.fornavn, "Áilu");
  EXPECT_EQ(p.name.etternavn, "Ŋuolja");
  EXPECT_EQ(p.birth_year, 2020);
  EXPECT_EQ(p.birth_date, (core::Date{2020, 3, 14}));
  ASSERT_TRUE(p.home);
  EXPECT_EQ(p.home->adressenavn, "Eksempelvegen");
  EXPECT_EQ(p.home->husnummer, 12);
  EXPECT_EQ(p.home->husbokstav, "B");
  EXPECT_EQ(p.home->skolekrets, 17);
  ASSERT_EQ(p.responsibility.size(), 2u);
  EXPECT_EQ(p.responsibility[0].guardian_id, kMother);
  EXPECT_EQ(source_format_, "json");
  EXPECT_EQ(sha_.size(), 64u);
}

TEST_F(ReaderTest, OneDocumentPerLine) {
  ASSERT_FALSE(ReadAll(ChildDoc() + "\n" + ChildDoc(kMother) + "\n"));
  ASSERT_EQ(records_.size(), 2u);
  EXPECT_EQ(records_[1].line, 2);
  EXPECT_EQ(records_[1].index, 2);
  EXPECT_EQ(source_format_, "ndjson");
}

TEST_F(ReaderTest, BulkLookupResponse) {
  ASSERT_FALSE(ReadAll(R"({"oppslag":[{"foedselsEllerDNummer":")" + std::string(kChild) +
                       R"(","folkeregisterperson":)" + ChildDoc() + R"(},)"
                       R"({"foedselsEllerDNummer":"x","feilmelding":{"kode":"404"}}],"meta":{"a":[1]}})"));
  ASSERT_EQ(records_.size(), 2u);
  EXPECT_TRUE(records_[0].person);
  EXPECT_FALSE(records_[1].person);
  EXPECT_EQ(records_[1].field, "feilmelding");
  EXPECT_EQ(source_format_, "bulk-json");
}

TEST_F(ReaderTest, ConstructedExampleFromShared) {
  const std::string path =
      testing::SharedDir() + "/reference/folkeregister/CONSTRUCTED_example_child_persondokument.json";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "../shared is absent";
  ASSERT_FALSE(ReadAll(testing::ReadFile(path)));
  ASSERT_EQ(records_.size(), 1u);
  ASSERT_TRUE(records_[0].person) << records_[0].field << ": " << records_[0].message;
  EXPECT_EQ(records_[0].person->home->kommunenummer, "5001");
  EXPECT_EQ(records_[0].person->responsibility.size(), 2u);
}

TEST_F(ReaderTest, XmlWithWrapperAndPrefixes) {
  const std::string xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<!-- an extract -->
<ns2:personer xmlns:ns2="folkeregisteret:tilgjengeliggjoering:person:v1">
  <ns2:folkeregisterperson>
    <ns2:identifikasjonsnummer><ns2:erGjeldende>true</ns2:erGjeldende><ns2:status>iBruk</ns2:status>
      <ns2:foedselsEllerDNummer>)" + std::string(kChild) + R"(</ns2:foedselsEllerDNummer>
      <ns2:identifikatortype>foedselsnummer</ns2:identifikatortype></ns2:identifikasjonsnummer>
    <ns2:status><ns2:erGjeldende>true</ns2:erGjeldende><ns2:status>bosatt</ns2:status></ns2:status>
    <ns2:bostedsadresse><ns2:erGjeldende>true</ns2:erGjeldende>
      <ns2:vegadresse><ns2:kommunenummer>5099</ns2:kommunenummer><ns2:adressenavn>Storgata</ns2:adressenavn>
        <ns2:adressenummer><ns2:husnummer>7</ns2:husnummer></ns2:adressenummer></ns2:vegadresse>
      <ns2:adressegradering>fortrolig</ns2:adressegradering><ns2:skolekrets>4</ns2:skolekrets></ns2:bostedsadresse>
    <ns2:foreldreansvar><ns2:erGjeldende>true</ns2:erGjeldende><ns2:ansvar>mor</ns2:ansvar>
      <ns2:ansvarssubjekt>)" + std::string(kChild) + R"(</ns2:ansvarssubjekt><ns2:ansvarlig>)" +
                          std::string(kMother) + R"(</ns2:ansvarlig></ns2:foreldreansvar>
    <ns2:foedsel><ns2:erGjeldende>true</ns2:erGjeldende><ns2:foedselsdato>2020-03-14</ns2:foedselsdato><ns2:foedselsaar>2020</ns2:foedselsaar></ns2:foedsel>
    <ns2:navn><ns2:erGjeldende>true</ns2:erGjeldende><ns2:fornavn>Kari &amp; Co</ns2:fornavn><ns2:etternavn>Nordmann</ns2:etternavn></ns2:navn>
  </ns2:folkeregisterperson>
  <ns2:folkeregisterperson><ns2:navn/></ns2:folkeregisterperson>
</ns2:personer>
)";
  ASSERT_FALSE(ReadAll(xml));
  ASSERT_EQ(records_.size(), 2u);
  ASSERT_TRUE(records_[0].person) << records_[0].field << ": " << records_[0].message;
  const core::Person& p = *records_[0].person;
  EXPECT_EQ(p.name.fornavn, "Kari & Co");
  EXPECT_EQ(p.home->gradering, core::Gradering::kFortrolig);
  EXPECT_EQ(p.home->skolekrets, 4);
  EXPECT_EQ(p.responsibility.at(0).ansvar, core::Ansvar::kMor);
  EXPECT_EQ(records_[0].line, 4);
  EXPECT_FALSE(records_[1].person);
  EXPECT_EQ(records_[1].field, "identifikasjonsnummer");
  EXPECT_EQ(records_[1].line, 18);
  EXPECT_EQ(source_format_, "xml");
}

TEST_F(ReaderTest, SingleXmlPersonDocument) {
  ASSERT_FALSE(ReadAll("<folkeregisterperson><navn/></folkeregisterperson>"));
  EXPECT_EQ(records_.size(), 1u);
}

// --- Bad input: each names the record, its line and the field.

TEST_F(ReaderTest, InvalidIdNamesTheField) {
  std::string doc = ChildDoc();
  doc.replace(doc.find(kChild), 11, "14832051251");
  ASSERT_FALSE(ReadAll("[\n" + ChildDoc() + ",\n" + doc + "\n]"));
  ASSERT_EQ(records_.size(), 2u);
  EXPECT_FALSE(records_[1].person);
  EXPECT_EQ(records_[1].index, 2);
  EXPECT_EQ(records_[1].line, 3);
  EXPECT_EQ(records_[1].field, "identifikasjonsnummer[0].foedselsEllerDNummer");
  EXPECT_NE(records_[1].message.find("check digits"), std::string::npos);
  EXPECT_EQ(records_[1].message.find("14832051251"), std::string::npos);
}

TEST_F(ReaderTest, InvalidGuardianId) {
  std::string doc = ChildDoc();
  doc.replace(doc.find(kMother), 11, "0287882303X");
  ASSERT_FALSE(ReadAll(doc));
  EXPECT_EQ(records_.at(0).field, "foreldreansvar[0].ansvarlig");
}

TEST_F(ReaderTest, MissingRequiredField) {
  std::string doc = ChildDoc();
  const size_t at = doc.find("\"foedsel\"");
  doc.erase(at, doc.find("],", at) + 2 - at);
  ASSERT_FALSE(ReadAll(doc));
  EXPECT_EQ(records_.at(0).field, "foedsel");
  EXPECT_NE(records_[0].message.find("missing"), std::string::npos);
}

TEST_F(ReaderTest, UnknownCodeValue) {
  std::string doc = ChildDoc();
  doc.replace(doc.find("\"bosatt\""), 8, "\"bosat\"");
  ASSERT_FALSE(ReadAll(doc));
  EXPECT_EQ(records_.at(0).field, "status[0].status");
  EXPECT_NE(records_[0].message.find("unknown code 'bosat'"), std::string::npos);
}

TEST_F(ReaderTest, UnknownGradering) {
  ASSERT_FALSE(ReadAll(ChildDoc(kChild, R"(,"adressebeskyttelse":[{"erGjeldende":true,"graderingsnivaa":"kode6"}])")));
  EXPECT_EQ(records_.at(0).field, "adressebeskyttelse[0].graderingsnivaa");
}

TEST_F(ReaderTest, HNumberIsNotARegisterIdentity) {
  // 15.03 with month + 40 and valid check digits.
  ASSERT_EQ(core::ParseNationalId("15431210042")->kind, core::NationalIdKind::kHNummer);
  ASSERT_FALSE(ReadAll(ChildDoc("15431210042")));
  EXPECT_FALSE(records_.at(0).person);
  EXPECT_NE(records_[0].message.find("H-nummer is a help number"), std::string::npos);
}

TEST_F(ReaderTest, IdentifierTypeMustMatchTheNumber) {
  std::string doc = ChildDoc("41819077906");
  ASSERT_FALSE(ReadAll(doc));
  EXPECT_EQ(records_.at(0).field, "identifikasjonsnummer[0].identifikatortype");
}

TEST_F(ReaderTest, BrokenJsonInsideOneLineIsARecordError) {
  ASSERT_FALSE(ReadAll(ChildDoc() + "\n{\"navn\": tru}\n" + ChildDoc(kMother) + "\n"));
  ASSERT_EQ(records_.size(), 3u);
  EXPECT_FALSE(records_[1].person);
  EXPECT_EQ(records_[1].line, 2);
  EXPECT_NE(records_[1].message.find("not valid JSON"), std::string::npos);
  EXPECT_TRUE(records_[2].person);
}

TEST_F(ReaderTest, TruncatedJsonIsFatal) {
  const std::string full = std::string("[") + ChildDoc() + "," + ChildDoc(kMother) + "]";
  auto err = ReadAll(full.substr(0, full.size() - 40));
  ASSERT_TRUE(err);
  EXPECT_EQ(err->code, ErrorCode::kInvalidArgument);
  EXPECT_NE(err->message.find("record 2"), std::string::npos);
  EXPECT_NE(err->message.find("truncated"), std::string::npos);
}

TEST_F(ReaderTest, UnclosedArrayIsFatal) {
  auto err = ReadAll(std::string("[") + ChildDoc() + ",\n");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("truncated"), std::string::npos);
}

TEST_F(ReaderTest, NotAnExtract) {
  auto err = ReadAll("hello, world");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("not a FREG JSON extract"), std::string::npos);
  ASSERT_TRUE(ReadAll(""));
  ASSERT_TRUE(ReadAll("[1,2]"));
  ASSERT_TRUE(ReadAll(ChildDoc() + " garbage"));
}

TEST_F(ReaderTest, TruncatedXmlIsFatal) {
  auto err = ReadAll("<personer><folkeregisterperson><navn>");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("truncated"), std::string::npos);
  err = ReadAll("<personer><folkeregisterperson><navn/></folkeregisterperson>");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("root element is closed"), std::string::npos);
}

TEST_F(ReaderTest, MalformedXmlInsideARecordIsARecordError) {
  ASSERT_FALSE(ReadAll("<p>\n<folkeregisterperson><navn><x></navn></folkeregisterperson>\n</p>"));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_NE(records_[0].message.find("not well-formed XML"), std::string::npos);
  EXPECT_EQ(records_[0].line, 2);
}

TEST_F(ReaderTest, DoctypeWithInternalSubsetIsRefused) {
  auto err = ReadAll("<!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><p></p>");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("DOCTYPE"), std::string::npos);
}

TEST_F(ReaderTest, MissingFileIsAnError) {
  FregExtractOpener opener({});
  auto source = opener.Open(dir_.File("nope.json"));
  ASSERT_FALSE(source);
  EXPECT_NE(source.error().message.find("cannot open"), std::string::npos);
}

TEST_F(ReaderTest, RecordsLargerThanTheReadBlockAreKept) {
  // A document of about 3 MiB (a long name) crosses several 1 MiB blocks.
  const std::string long_name(3 << 20, 'a');
  std::string doc = ChildDoc();
  const std::string old_name = "\"Áilu\"";
  doc.replace(doc.find(old_name), old_name.size(), "\"" + long_name + "\"");
  auto err = ReadAll("[" + doc + "," + ChildDoc(kMother) + "]");
  ASSERT_FALSE(err) << err->message;
  ASSERT_EQ(records_.size(), 2u);
  ASSERT_TRUE(records_[0].person);
  EXPECT_EQ(records_[0].person->name.fornavn.size(), long_name.size());
  EXPECT_TRUE(records_[1].person);
}

}  // namespace
}  // namespace enrol::freg
