// Fiks Arkiv V1: the arkivmelding the engine sends validates against the
// official schema, and the kvittering reads back into a receipt.
#include "connectors/archive/fiks_arkiv.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/simulators/fiks_arkiv_messages.h"
#include "engine/core/sha256.h"
#include "tests/support/test_support.h"
#include "tests/support/xml_schema.h"

namespace enrol::archive {
namespace {

namespace json = boost::json;

app::ArchiveFiling Filing() {
  app::ArchiveFiling f;
  f.pupil_key = "elev-0123456789abcdef0123456789abcdef";
  f.letter_key = "0192f1a0-0000-7000-8000-000000000001";
  f.mappe_title = "Elevmappe - Ola Testesen";
  f.mappe_public_title = "Elevmappe - ******";
  f.title = "Vedtak om skoleplass 1. trinn 2027/2028 - Ola Testesen";
  f.public_title = "Vedtak om skoleplass 1. trinn 2027/2028 - ******";
  f.document_title = "Vedtak om skoleplass 1. trinn 2027/2028";
  f.document_date = "2027-03-01T09:00:00Z";
  f.recipients = {app::ArchiveRecipient{"Kari Testesen", {"Storgata 1"}, "9999", "FJORDVIK"},
                  app::ArchiveRecipient{"Per Testesen", {"Lillegata 2", "H0101"}, "9998", "FJORDVIK"}};
  f.file = "%PDF-1.4 an archive copy";
  f.file_name = "vedtak-skoleplass-v1.pdf";
  return f;
}

FiksArkivSettings Settings() {
  FiksArkivSettings s;
  s.screening = Screening{"13", "Offl. § 13 jf. fvl. § 13 (1) nr.1", {"NPS", "TM1"}, {"NM", "TR1"}};
  return s;
}

std::string Validate(const std::string& xsd, const std::string& xml) { return testing::ValidateXml(xsd, xml); }

std::string Schema(const std::string& name) { return testing::Reference("archive/fiks-arkiv-v1/") + name; }

TEST(FiksArkivTest, TheArkivmeldingValidatesAgainstTheOfficialSchema) {
  if (!testing::HaveReference("archive/fiks-arkiv-v1/no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd")) GTEST_SKIP() << "the Fiks Arkiv XSDs are not available";
  const std::string xml = BuildArkivmelding(Filing(), Settings());
  EXPECT_EQ(Validate(Schema("no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd"), xml), "") << xml;
  // A filing without correspondence parties or screening still validates.
  app::ArchiveFiling bare = Filing();
  bare.recipients.clear();
  FiksArkivSettings unscreened = Settings();
  unscreened.screening = Screening{};
  EXPECT_EQ(Validate(Schema("no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd"),
                     BuildArkivmelding(bare, unscreened)), "");
}

TEST(FiksArkivTest, TheMessageCarriesTheKeysScreeningAndChecksum) {
  const std::string xml = BuildArkivmelding(Filing(), Settings());
  EXPECT_NE(xml.find("<mdk:noekkel>elev-0123456789abcdef0123456789abcdef</mdk:noekkel>"), std::string::npos);
  EXPECT_NE(xml.find("<mdk:noekkel>0192f1a0-0000-7000-8000-000000000001</mdk:noekkel>"), std::string::npos);
  EXPECT_NE(xml.find("<offentligTittel>Elevmappe - ******</offentligTittel>"), std::string::npos);
  EXPECT_NE(xml.find("<sjekksum>" + core::Sha256Hex(Filing().file) + "</sjekksum>"), std::string::npos);
  EXPECT_NE(xml.find("<filstoerrelse>24</filstoerrelse>"), std::string::npos);
  EXPECT_NE(xml.find("<skjermingshjemmel>Offl. § 13 jf. fvl. § 13 (1) nr.1</skjermingshjemmel>"), std::string::npos);
  EXPECT_NE(xml.find("<erSkjermet>true</erSkjermet>"), std::string::npos);
  EXPECT_NE(xml.find("<postadresse>Lillegata 2, H0101</postadresse>"), std::string::npos);
  // Names go where the archive keeps them screened, never in a public title.
  size_t at = 0;
  while ((at = xml.find("<offentligTittel>", at)) != std::string::npos) {
    const std::string pub = xml.substr(at, xml.find("</offentligTittel>", at) - at);
    EXPECT_EQ(pub.find("Testesen"), std::string::npos) << pub;
    ++at;
  }
}

const char* kKvittering = R"(<?xml version="1.0" encoding="UTF-8"?>
<arkivmeldingKvittering xmlns="https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/kvittering/v1"
    xmlns:mdk="https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <mappeKvittering xsi:type="saksmappeKvittering">
    <systemID>6c0e9a7e-2f3b-4f0e-9d1e-0d6a3c2b1a00</systemID>
    <mappeID>2027/41</mappeID>
    <referanseEksternNoekkel><mdk:fagsystem>enrol</mdk:fagsystem><mdk:noekkel>elev-1</mdk:noekkel></referanseEksternNoekkel>
    <opprettetEllerEksisterende>Eksisterende</opprettetEllerEksisterende>
    <saksaar>2027</saksaar>
    <sakssekvensnummer>41</sakssekvensnummer>
  </mappeKvittering>
  <registreringKvittering xsi:type="journalpostKvittering">
    <systemID>0b7c1d7e-5a0e-4a57-9f34-1f2e3d4c5b6a</systemID>
    <dokumentbeskrivelseKvittering>
      <systemID>7e1f7a64-9d0c-4c61-8d4e-2a3b4c5d6e7f</systemID>
      <dokumentnummer>1</dokumentnummer>
      <dokumentobjekt><systemID>9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d</systemID></dokumentobjekt>
    </dokumentbeskrivelseKvittering>
    <referanseEksternNoekkel><mdk:fagsystem>enrol</mdk:fagsystem><mdk:noekkel>job-1</mdk:noekkel></referanseEksternNoekkel>
    <opprettetEllerEksisterende>Opprettet</opprettetEllerEksisterende>
    <journalaar>2027</journalaar>
    <journalsekvensnummer>1234</journalsekvensnummer>
    <journalpostnummer>3</journalpostnummer>
  </registreringKvittering>
</arkivmeldingKvittering>
)";

TEST(FiksArkivTest, TheKvitteringReadsBackIntoAReceipt) {
  if (testing::HaveReference("archive/fiks-arkiv-v1/no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd")) {
    EXPECT_EQ(Validate(Schema("no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.kvittering.xsd"), kKvittering), "");
  }
  auto r = ReadKvittering(kKvittering);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("protocol"), "fiks-arkiv");
  EXPECT_EQ(r->at("mappeID"), "2027/41");
  EXPECT_EQ(r->at("saksmappe_existed"), true);
  EXPECT_EQ(r->at("journalpost_existed"), false);
  EXPECT_EQ(r->at("journalpostnummer"), 3);
  EXPECT_EQ(r->at("registreringsID"), "2027/1234");
  EXPECT_EQ(r->at("dokumentobjekt_systemID"), "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d");
}

TEST(FiksArkivTest, TheSimulatorsKvitteringerValidateAgainstTheOfficialSchema) {
  if (!testing::HaveReference("archive/fiks-arkiv-v1/no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd")) GTEST_SKIP() << "the Fiks Arkiv XSDs are not available";
  sim::FiksKvittering k;
  k.fagsystem = "enrol";
  k.mappe_system_id = "6c0e9a7e-2f3b-4f0e-9d1e-0d6a3c2b1a00";
  k.mappe_id = "2027/41";
  k.mappe_key = "elev-1";
  k.saksaar = 2027;
  k.sakssekvensnummer = 41;
  k.journalpost_system_id = "0b7c1d7e-5a0e-4a57-9f34-1f2e3d4c5b6a";
  k.key = "job-1";
  k.journalaar = 2027;
  k.journalsekvensnummer = 1234;
  k.journalpostnummer = 3;
  k.dokumentbeskrivelse_system_id = "7e1f7a64-9d0c-4c61-8d4e-2a3b4c5d6e7f";
  k.dokumentnummer = 1;
  k.dokumentobjekt_system_id = "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d";
  const std::string kvittering = Schema("no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.kvittering.xsd");
  EXPECT_EQ(Validate(kvittering, sim::WriteKvittering(k)), "");
  EXPECT_EQ(Validate(kvittering, sim::WriteFailedKvittering("the file's SHA-256 is not the declared sjekksum")), "");
  auto read = ReadKvittering(sim::WriteKvittering(k));
  ASSERT_TRUE(read) << read.error().message;
  EXPECT_EQ(read->at("registreringsID"), "2027/1234");
  EXPECT_EQ(read->at("journalpostnummer"), 3);
}

TEST(FiksArkivTest, AFailedOrForeignKvitteringIsAnError) {
  std::string failed = kKvittering;
  const size_t from = failed.find("<registreringKvittering");
  const size_t to = failed.find("</registreringKvittering>") + std::string("</registreringKvittering>").size();
  failed.replace(from, to - from, "<registreringFeilet><feilmelding>Ugyldig journalposttype</feilmelding></registreringFeilet>");
  auto r = ReadKvittering(failed);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("Ugyldig journalposttype"), std::string::npos) << r.error().message;
  EXPECT_EQ(ReadKvittering("<notxml").error().code, ErrorCode::kUnavailable);
  std::string bad_number = kKvittering;
  bad_number.replace(bad_number.find("<journalpostnummer>3<"), 21, "<journalpostnummer>99999999999999999999999<");
  EXPECT_EQ(ReadKvittering(bad_number).error().message, "the kvittering's journalpostnummer is not a number");
  std::string not_number = kKvittering;
  not_number.replace(not_number.find("<journalpostnummer>3<"), 21, "<journalpostnummer>tre<");
  EXPECT_EQ(ReadKvittering(not_number).error().message, "the kvittering's journalpostnummer is not a number");
  EXPECT_EQ(ReadKvittering("<arkivmelding/>").error().code, ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace enrol::archive
