#include "connectors/register/freg_reader.h"

#include "connectors/register/flat_doc.h"

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
      testing::Reference("folkeregister/CONSTRUCTED_example_child_persondokument.json");
  ASSERT_TRUE(std::filesystem::exists(path)) << "the test fixture " << path << " is missing";
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
  ASSERT_FALSE(ReadAll("<folkeregisterperson xmlns=\"folkeregisteret:tilgjengeliggjoering:person:v1\"><navn/>"
                       "</folkeregisterperson>"));
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

constexpr const char* kNs = "xmlns=\"folkeregisteret:tilgjengeliggjoering:person:v1\"";

// An XML file with the FREG namespace around `body`.
std::string Xml(const std::string& body, const std::string& prolog = "") {
  return prolog + "<personer " + kNs + ">\n" + body + "\n</personer>";
}

TEST_F(ReaderTest, TruncatedXmlIsFatal) {
  auto err = ReadAll(std::string("<personer ") + kNs + "><folkeregisterperson><navn>");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("truncated"), std::string::npos) << err->message;
  EXPECT_NE(err->message.find("record 1"), std::string::npos) << err->message;
  err = ReadAll(std::string("<personer ") + kNs + "><folkeregisterperson><navn/></folkeregisterperson>");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("root element is closed"), std::string::npos) << err->message;
}

// XML's well-formedness errors are fatal (the parser cannot go on), with
// the line.
TEST_F(ReaderTest, MalformedXmlIsFatalWithItsLine) {
  auto err = ReadAll(Xml("<folkeregisterperson><navn><x></navn></folkeregisterperson>"));
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("not well-formed XML"), std::string::npos) << err->message;
  EXPECT_EQ(err->message.rfind("line 2:", 0), 0u) << err->message;
}

TEST_F(ReaderTest, AnyDoctypeIsRefused) {
  for (const std::string& doc : {std::string("<!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><p>&x;</p>"),
                                 std::string("<!DOCTYPE p SYSTEM \"http://example.org/p.dtd\"><p></p>"),
                                 std::string("<!DOCTYPE p><p ") + kNs + "></p>"}) {
    auto err = ReadAll(doc);
    ASSERT_TRUE(err) << doc;
    EXPECT_NE(err->message.find("DOCTYPE"), std::string::npos) << err->message;
  }
}

TEST_F(ReaderTest, XmlMustBeUtf8) {
  auto err = ReadAll(Xml("<folkeregisterperson><navn/></folkeregisterperson>",
                         "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>"));
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("ISO-8859-1"), std::string::npos) << err->message;
  err = ReadAll(Xml("<folkeregisterperson><navn><fornavn>K\xe5re</fornavn></navn></folkeregisterperson>"));
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("UTF-8"), std::string::npos) << err->message;
}

TEST_F(ReaderTest, BadReferencesAndEntitiesAreRefused) {
  for (const char* text : {"&#0;", "&#xD800;", "&#x110000;", "&nbsp;", "&x;"}) {
    auto err = ReadAll(Xml(std::string("<folkeregisterperson><navn><fornavn>") + text +
                           "</fornavn></navn></folkeregisterperson>"));
    ASSERT_TRUE(err) << text;
    EXPECT_NE(err->message.find("line 2"), std::string::npos) << err->message;
  }
}

TEST_F(ReaderTest, OnlyTheFregPersonNamespace) {
  auto err = ReadAll("<personer><folkeregisterperson><navn/></folkeregisterperson></personer>");
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("namespace"), std::string::npos) << err->message;
  err = ReadAll("<personer xmlns=\"urn:other\"><folkeregisterperson><navn/></folkeregisterperson></personer>");
  ASSERT_TRUE(err);
  // An element of another namespace inside a record makes the record invalid.
  ASSERT_FALSE(ReadAll(Xml("<folkeregisterperson><x:navn xmlns:x=\"urn:other\"/></folkeregisterperson>")));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_NE(records_[0].message.find("namespace"), std::string::npos) << records_[0].message;
}

TEST_F(ReaderTest, NothingButCommentsAfterTheRoot) {
  EXPECT_FALSE(ReadAll(Xml("") + "\n<!-- done -->\n"));
  for (const char* tail : {"<more/>", "text", "<?pi x?>"}) {
    auto err = ReadAll(Xml("") + tail);
    ASSERT_TRUE(err) << tail;
    EXPECT_NE(err->message.find("after the root element"), std::string::npos) << err->message;
  }
}

TEST_F(ReaderTest, AnEndTagInACommentOrCdataDoesNotEndTheRecord) {
  ASSERT_FALSE(ReadAll(Xml("<folkeregisterperson><!-- </folkeregisterperson> --><navn><fornavn><![CDATA[</folkeregisterperson>]]>"
                           "</fornavn></navn></folkeregisterperson>")));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].field, "identifikasjonsnummer");  // read as one record, to its real end
}

// Text: UTF-8 without control characters, at most 4,000 characters; a
// longer value is dropped as it streams (memory does not grow with it).
TEST_F(ReaderTest, LongTextIsAnInvalidRecordInBothFormats) {
  const std::string long_name(50 << 20, 'a');
  std::string doc = ChildDoc();
  const std::string old_name = "\"Áilu\"";
  doc.replace(doc.find(old_name), old_name.size(), "\"" + long_name + "\"");
  auto err = ReadAll("[" + doc + "," + ChildDoc(kMother) + "]");
  ASSERT_FALSE(err) << err->message;
  ASSERT_EQ(records_.size(), 2u);
  EXPECT_FALSE(records_[0].person);
  EXPECT_EQ(records_[0].field, "navn[1].fornavn");
  EXPECT_NE(records_[0].message.find("4,000"), std::string::npos);
  EXPECT_TRUE(records_[1].person);
  ASSERT_FALSE(ReadAll(Xml("<folkeregisterperson><navn><fornavn>" + std::string(4001, 'a') +
                           "</fornavn></navn></folkeregisterperson>")));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].field, "navn.fornavn");
  EXPECT_NE(records_[0].message.find("4,000"), std::string::npos) << records_[0].message;
  // Past libxml2's own bound on a text node (10 MB) the file is refused.
  err = ReadAll(Xml("<folkeregisterperson><navn><fornavn>" + long_name + "</fornavn></navn></folkeregisterperson>"));
  ASSERT_TRUE(err);
  EXPECT_NE(err->message.find("10 MB"), std::string::npos) << err->message;
}

TEST_F(ReaderTest, ControlCharactersAreAnInvalidRecord) {
  std::string doc = ChildDoc();
  doc.replace(doc.find("\"Áilu\""), 7, "\"Ái\\u0000lu\"");
  ASSERT_FALSE(ReadAll("[" + doc + "]"));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_EQ(records_[0].field, "navn[1].fornavn");
  EXPECT_NE(records_[0].message.find("control character"), std::string::npos);
  ASSERT_FALSE(ReadAll(Xml("<folkeregisterperson><navn><fornavn>a\tb</fornavn></navn></folkeregisterperson>")));
  EXPECT_NE(records_.at(0).message.find("control character"), std::string::npos);
}

// JSON types as the OpenAPI schema says.
TEST_F(ReaderTest, JsonTypesAreStrict) {
  struct Case {
    std::string from, to, field;
  };
  const std::vector<Case> cases = {
      {R"("kommunenummer":"5001")", R"("kommunenummer":5001)", "bostedsadresse[0].vegadresse.kommunenummer"},
      {R"("skolekrets":17)", R"("skolekrets":"17")", "bostedsadresse[0].skolekrets"},
      {R"("status":[{"erGjeldende":true,"status":"bosatt"}])", R"("status":[{"erGjeldende":"true","status":"bosatt"}])",
       "status[0].erGjeldende"},
      {R"("status":[{"erGjeldende":true,"status":"bosatt"}])", R"("status":[null,{"erGjeldende":true,"status":"bosatt"}])",
       "status[0]"},
      {R"("status":[{"erGjeldende":true,"status":"bosatt"}])", R"("status":"bosatt")", "status"},
      {R"("status":[{"erGjeldende":true,"status":"bosatt"}])",
       R"("status":[{"erGjeldende":true,"status":"bosatt"},{"erGjeldende":true,"status":"bosatt"}])", "status[1]"},
      {R"("status":[{"erGjeldende":true,"status":"bosatt"}])",
       R"("status":[{"erGjeldende":true,"status":"bosatt"}],"status":[])", "status"},
      {R"("status":[{"erGjeldende":true,"status":"bosatt"}])", R"("status":[{"erGjeldende":true,"status":true}])",
       "status[0].status"},
  };
  for (const Case& c : cases) {
    std::string doc = ChildDoc();
    ASSERT_NE(doc.find(c.from), std::string::npos) << c.from;
    doc.replace(doc.find(c.from), c.from.size(), c.to);
    ASSERT_FALSE(ReadAll("[" + doc + "," + ChildDoc(kMother) + "]")) << c.to;
    ASSERT_EQ(records_.size(), 2u);
    EXPECT_FALSE(records_[0].person) << c.to;
    EXPECT_EQ(records_[0].field, c.field) << c.to << ": " << records_[0].message;
    EXPECT_TRUE(records_[1].person);
  }
}

TEST_F(ReaderTest, MessagesNeverQuoteAnIdOrANameInACodeField) {
  std::string doc = ChildDoc();
  doc.replace(doc.find("\"bosatt\""), 8, "\"" + std::string(kMother) + "\"");
  ASSERT_FALSE(ReadAll("[" + doc + "]"));
  EXPECT_EQ(records_.at(0).message.find(kMother), std::string::npos) << records_[0].message;
  doc = ChildDoc();
  doc.replace(doc.find("\"bosatt\""), 8, "\"Kari Nordmann\"");
  ASSERT_FALSE(ReadAll("[" + doc + "]"));
  EXPECT_EQ(records_.at(0).message.find("Kari"), std::string::npos) << records_[0].message;
}

// Values past the bounds are not stored: their keys and text go back to the
// arena, so a record of a million elements holds what 10,000 hold.
TEST(FlatDocTest, DroppedValuesGiveTheirTextBack) {
  FlatDoc doc;
  doc.Clear(/*json=*/false);
  doc.Begin(FlatDoc::Kind::kObject, 0, 0);
  uint32_t most = 0;
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t ko = doc.ArenaSize();
    doc.AppendText("element");
    const uint32_t vo = doc.ArenaSize();
    doc.AppendText("some text of the element");
    doc.Scalar(FlatDoc::Kind::kString, ko, vo - ko, vo, doc.ArenaSize() - vo);
    most = std::max(most, doc.ArenaSize());
  }
  doc.End();
  EXPECT_TRUE(doc.HasProblem());
  EXPECT_LT(most, 64u * 1024u);  // 512 members of 31 bytes each
}

// A top level that is none of the accepted shapes is refused whole, even
// with --skip-invalid (which only skips records).
TEST_F(ReaderTest, AnUnknownTopLevelIsRefusedWhole) {
  for (const std::string& doc : {std::string("{\"foo\":[1,2]}"), std::string("{\"oppslag\":5}"), std::string("[1,2]"),
                                 std::string("\"text\""), std::string("42"), std::string("[{}, 7]")}) {
    auto err = ReadAll(doc);
    ASSERT_TRUE(err) << doc;
    EXPECT_EQ(err->code, ErrorCode::kInvalidArgument) << doc;
  }
  // An empty object among person documents is an invalid record, not the file.
  ASSERT_FALSE(ReadAll(ChildDoc() + "\n{}\n"));
  ASSERT_EQ(records_.size(), 2u);
  EXPECT_FALSE(records_[1].person);
}

// Structure: depth and elements per record are bounded, time linear.
TEST_F(ReaderTest, DeepOrWideRecordsAreBounded) {
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += "<a>";
  auto err = ReadAll(Xml("<folkeregisterperson>" + deep));
  ASSERT_TRUE(err);  // libxml2's depth bound (256)
  std::string wide;
  for (int i = 0; i < 60000; ++i) wide += "<e" + std::to_string(i) + "/>";
  ASSERT_FALSE(ReadAll(Xml("<folkeregisterperson>" + wide + "</folkeregisterperson>")));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_NE(records_[0].message.find("elements"), std::string::npos) << records_[0].message;
  std::string many = "{\"navn\":[";
  for (int i = 0; i < 60000; ++i) many += (i ? ",{}" : "{}");
  ASSERT_FALSE(ReadAll(many + "]}"));
  ASSERT_EQ(records_.size(), 1u);
  EXPECT_NE(records_[0].message.find("elements"), std::string::npos) << records_[0].message;
}

TEST_F(ReaderTest, MissingFileIsAnError) {
  FregExtractOpener opener({});
  auto source = opener.Open(dir_.File("nope.json"));
  ASSERT_FALSE(source);
  EXPECT_NE(source.error().message.find("cannot open"), std::string::npos);
}

TEST_F(ReaderTest, RecordsLargerThanTheReadBlockAreKept) {
  // Records of about 12 KiB each, 300 of them: many cross the 1 MiB blocks.
  std::string doc = ChildDoc();
  const std::string old_name = "\"Áilu\"";
  doc.replace(doc.find(old_name), old_name.size(), "\"" + std::string(3990, 'a') + "\"");
  std::string all = "[";
  for (int i = 0; i < 300; ++i) all += (i ? "," : "") + doc + std::string(8000, ' ');
  auto err = ReadAll(all + "]");
  ASSERT_FALSE(err) << err->message;
  ASSERT_EQ(records_.size(), 300u);
  for (const auto& r : records_) ASSERT_TRUE(r.person) << r.field << ": " << r.message;
  EXPECT_EQ(records_[299].person->name.fornavn.size(), 3990u);
}

}  // namespace
}  // namespace enrol::freg
