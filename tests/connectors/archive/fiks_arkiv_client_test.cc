// Fiks Arkiv V1 end to end against the archive simulator: over HTTP
// (multipart arkivmelding, kvittering back) and through a drop folder;
// exactly once by the external keys, a superseded letter a new journalpost
// in the same saksmappe, refusals and outages as errors that say what.
#include "connectors/archive/fiks_arkiv_client.h"

#include <filesystem>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/net/multipart.h"
#include "connectors/simulators/fiks_arkiv_messages.h"
#include "connectors/simulators/noark5_archive.h"
#include "tests/support/test_support.h"

namespace enrol::archive {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

app::ArchiveFiling Filing(const std::string& letter_key = "0192f1a0-0000-7000-8000-000000000001") {
  app::ArchiveFiling f;
  f.pupil_key = "elev-0123456789abcdef0123456789abcdef";
  f.letter_key = letter_key;
  f.mappe_title = "Elevmappe - Ola Testesen";
  f.mappe_public_title = "Elevmappe - ******";
  f.title = "Vedtak om skoleplass 1. trinn 2027/2028 - Ola Testesen";
  f.public_title = "Vedtak om skoleplass 1. trinn 2027/2028 - ******";
  f.document_title = "Vedtak om skoleplass 1. trinn 2027/2028";
  f.document_date = "2027-03-01T09:00:00Z";
  f.recipients = {app::ArchiveRecipient{"Kari Testesen", {"Storgata 1"}, "9999", "FJORDVIK"},
                  app::ArchiveRecipient{"Per Testesen", {"Lillegata 2"}, "9998", "FJORDVIK"}};
  f.file = std::string("%PDF-1.4\r\n--enrol- a boundary-like line\r\n\0binary", 46);
  f.file_name = "vedtak-skoleplass-v1.pdf";
  return f;
}

FiksArkivSettings Settings() {
  FiksArkivSettings s;
  s.screening = Screening{"13", "Offl. § 13 jf. fvl. § 13 (1) nr.1", {}, {}};
  return s;
}

class FiksArkivClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = sim::Noark5Archive::Open({});
    ASSERT_TRUE(a) << a.error().message;
    archive_ = std::move(*a);
  }
  std::map<std::string, int64_t> Counts() { return *archive_->Counts(); }
  std::unique_ptr<sim::Noark5Archive> archive_;
  const std::string url_ = "http://fiks.test/fiks-arkiv/v1/arkivmelding";
};

TEST_F(FiksArkivClientTest, FilesOverHttpAndARepeatIsEksisterende) {
  sim::LoopbackTransport t(*archive_);
  FiksArkivHttpClient client(Settings(), url_, t);
  auto first = client.File(Filing(), 5000);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->at("protocol"), "fiks-arkiv");
  EXPECT_EQ(first->at("saksmappe_existed"), false);
  EXPECT_EQ(first->at("journalpost_existed"), false);
  EXPECT_EQ(first->at("journalpostnummer"), 1);
  EXPECT_FALSE(first->at("mappeID").as_string().empty());
  auto again = client.File(Filing(), 5000);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->at("saksmappe_existed"), true);
  EXPECT_EQ(again->at("journalpost_existed"), true);
  for (const char* k : {"mappeID", "saksmappe_systemID", "journalpost_systemID", "registreringsID",
                        "dokumentobjekt_systemID"}) {
    EXPECT_EQ(again->at(k), first->at(k)) << k;
  }
  auto c = Counts();
  EXPECT_EQ(c["saksmappe"], 1);
  EXPECT_EQ(c["journalpost"], 1);
  EXPECT_EQ(c["korrespondansepartperson"], 2);
  EXPECT_EQ(c["dokumentbeskrivelse"], 1);
  EXPECT_EQ(c["dokumentobjekt"], 1);
  EXPECT_EQ(c["fil"], 1);
  // The file arrived whole (it holds CRLF, a boundary-like line and a NUL).
  http::Request get;
  get.target = "/noark5v5/api/dokumentobjekt/" + std::string(first->at("dokumentobjekt_systemID").as_string()) +
               "/referanseFil";
  EXPECT_EQ(archive_->Handle(get).body, Filing().file);
}

TEST_F(FiksArkivClientTest, ASupersededLetterIsANewJournalpostInTheSameSaksmappe) {
  sim::LoopbackTransport t(*archive_);
  FiksArkivHttpClient client(Settings(), url_, t);
  auto first = client.File(Filing("letter-1"), 5000);
  auto second = client.File(Filing("letter-2"), 5000);
  ASSERT_TRUE(first && second);
  EXPECT_EQ(second->at("saksmappe_systemID"), first->at("saksmappe_systemID"));
  EXPECT_EQ(second->at("saksmappe_existed"), true);
  EXPECT_NE(second->at("journalpost_systemID"), first->at("journalpost_systemID"));
  EXPECT_EQ(second->at("journalpostnummer"), 2);
  EXPECT_EQ(Counts()["journalpost"], 2);
}

TEST_F(FiksArkivClientTest, TheRequestIsTheSameBytesOnEveryAttempt) {
  sim::LoopbackTransport t(*archive_);
  FiksArkivHttpClient client(Settings(), url_, t);
  const http::Request a = client.Message(Filing()), b = client.Message(Filing());
  EXPECT_EQ(a.body, b.body);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.Header("x-fiks-melding-id"), Filing().letter_key);
  auto parts = http::ParseMultipart(a.Header("content-type"), a.body);
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].name, "arkivmelding");
  EXPECT_EQ((*parts)[1].filename, "vedtak-skoleplass-v1.pdf");
  EXPECT_EQ((*parts)[1].body, Filing().file);
}

// Sends one prepared request straight to the simulator.
class Tampered final : public http::Transport {
 public:
  Tampered(sim::Noark5Archive& a, std::function<void(http::Request&)> change) : loop_(a), change_(std::move(change)) {}
  Result<http::Response> Send(const http::Request& r) override {
    http::Request copy = r;
    change_(copy);
    return loop_.Send(copy);
  }

 private:
  sim::LoopbackTransport loop_;
  std::function<void(http::Request&)> change_;
};

TEST_F(FiksArkivClientTest, ARefusedMessageIsAPermanentErrorWithTheArchivesReason) {
  // The file is changed on the way: its checksum no longer matches.
  Tampered t(*archive_, [](http::Request& r) {
    const size_t at = r.body.find("%PDF-1.4");
    r.body[at + 1] = 'X';
  });
  auto r = FiksArkivHttpClient(Settings(), url_, t).File(Filing(), 5000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("HTTP 400"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("sjekksum"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("Testesen"), std::string::npos);
  EXPECT_EQ(Counts()["saksmappe"], 0);  // nothing half-made
  EXPECT_EQ(Counts()["fil"], 0);
}

TEST_F(FiksArkivClientTest, AnOutageIsRetryableAndHonoursRetryAfter) {
  sim::FaultOptions o;
  o.throttle_share = 1;
  sim::FaultPlan plan(o);
  sim::LoopbackTransport t(*archive_, &plan);
  auto r = FiksArkivHttpClient(Settings(), url_, t).File(Filing(), 5000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().retry_after_ms, 1000);
  EXPECT_EQ(Counts()["saksmappe"], 0);
}

TEST_F(FiksArkivClientTest, TheSimulatorsKvitteringValidatesAndAFailedOneReadsAsAnError) {
  sim::LoopbackTransport t(*archive_);
  const http::Request req = FiksArkivHttpClient(Settings(), url_, t).Message(Filing());
  auto res = t.Send(req);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto read = ReadKvittering(res->body);
  ASSERT_TRUE(read) << read.error().message;
  auto failed = ReadKvittering(sim::WriteFailedKvittering("the file's SHA-256 is not the declared sjekksum"));
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(failed.error().message.find("sjekksum"), std::string::npos);
}

TEST_F(FiksArkivClientTest, TheSimulatorRefusesHostileMessages) {
  auto post = [&](const std::string& content_type, const std::string& body) {
    http::Request r;
    r.method = "POST";
    r.target = "/fiks-arkiv/v1/arkivmelding";
    r.headers["content-type"] = content_type;
    r.body = body;
    return archive_->Handle(r);
  };
  EXPECT_EQ(post("application/json", "{}").status, 400);
  EXPECT_EQ(post("multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\nx\r\n--b--").status, 400);
  std::vector<http::Part> parts{{"arkivmelding", "arkivmelding.xml", "application/xml", "<arkivmelding><unclosed>"}};
  const http::Response not_xml = post(http::MultipartContentType("b"), http::BuildMultipart(parts, "b"));
  EXPECT_EQ(not_xml.status, 400);
  EXPECT_NE(not_xml.body.find("not XML"), std::string::npos) << not_xml.body;
  // A valid message without its file.
  parts[0].body = BuildArkivmelding(Filing(), Settings());
  const http::Response no_file = post(http::MultipartContentType("b"), http::BuildMultipart(parts, "b"));
  EXPECT_EQ(no_file.status, 400);
  EXPECT_NE(no_file.body.find("no file named"), std::string::npos) << no_file.body;
  EXPECT_EQ(Counts()["saksmappe"], 0);
}

class FiksArkivFolderTest : public FiksArkivClientTest {
 protected:
  DropFolderSettings Folder(int64_t timeout_ms = 86400000) {
    DropFolderSettings d;
    d.folder = dir_.File("fiks");
    d.poll_ms = 250;
    d.kvittering_timeout_ms = timeout_ms;
    return d;
  }
  testing::TempDir dir_;
};

TEST_F(FiksArkivFolderTest, TheMessageWaitsForItsKvitteringAndIsSentOnce) {
  FiksArkivFolderClient client(Settings(), Folder());
  auto sent = client.File(Filing(), 5000);
  ASSERT_FALSE(sent);
  EXPECT_TRUE(sent.error().pending);
  EXPECT_EQ(sent.error().retry_after_ms, 250);
  const fs::path message = fs::path(dir_.File("fiks")) / "ut" / Filing().letter_key;
  EXPECT_TRUE(fs::exists(message / "arkivmelding.xml"));
  EXPECT_EQ(testing::ReadFile((message / "vedtak-skoleplass-v1.pdf").string()), Filing().file);
  // Asked again before the archive answered: still waiting, not sent twice.
  auto waiting = client.File(Filing(), 5000);
  ASSERT_FALSE(waiting);
  EXPECT_TRUE(waiting.error().pending);
  auto handled = archive_->ProcessFiksFolder(dir_.File("fiks"));
  ASSERT_TRUE(handled) << handled.error().message;
  EXPECT_EQ(*handled, 1);
  EXPECT_FALSE(fs::exists(message));
  auto receipt = client.File(Filing(), 5000);
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->at("journalpost_existed"), false);
  EXPECT_EQ(receipt->at("journalpostnummer"), 1);
  auto again = client.File(Filing(), 5000);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->at("journalpost_systemID"), receipt->at("journalpost_systemID"));
  EXPECT_EQ(*archive_->ProcessFiksFolder(dir_.File("fiks")), 0);
  EXPECT_EQ(Counts()["journalpost"], 1);
}

TEST_F(FiksArkivFolderTest, WithoutAKvitteringInTimeTheMessageIsSentAgainAndTheArchiveKnowsIt) {
  FiksArkivFolderClient first(Settings(), Folder());
  ASSERT_FALSE(first.File(Filing(), 5000));
  ASSERT_EQ(*archive_->ProcessFiksFolder(dir_.File("fiks")), 1);
  // The kvittering is lost on the way back.
  fs::remove(fs::path(dir_.File("fiks")) / "inn" / (Filing().letter_key + ".xml"));
  FiksArkivFolderClient impatient(Settings(), Folder(0));
  auto lost = impatient.File(Filing(), 5000);
  ASSERT_FALSE(lost);
  EXPECT_FALSE(lost.error().pending);  // an attempt: it counts
  EXPECT_EQ(lost.error().code, ErrorCode::kUnavailable);
  auto resent = first.File(Filing(), 5000);
  ASSERT_FALSE(resent);
  EXPECT_TRUE(resent.error().pending);
  ASSERT_EQ(*archive_->ProcessFiksFolder(dir_.File("fiks")), 1);
  auto receipt = first.File(Filing(), 5000);
  ASSERT_TRUE(receipt) << receipt.error().message;
  EXPECT_EQ(receipt->at("journalpost_existed"), true);
  EXPECT_EQ(Counts()["journalpost"], 1);
  EXPECT_EQ(Counts()["fil"], 1);
}

TEST_F(FiksArkivFolderTest, ARefusedMessageIsAnErrorAndTheNextAttemptSendsItAfresh) {
  FiksArkivFolderClient client(Settings(), Folder());
  ASSERT_FALSE(client.File(Filing(), 5000));
  const fs::path pdf = fs::path(dir_.File("fiks")) / "ut" / Filing().letter_key / "vedtak-skoleplass-v1.pdf";
  testing::WriteFile(pdf.string(), "damaged");
  ASSERT_EQ(*archive_->ProcessFiksFolder(dir_.File("fiks")), 1);
  auto refused = client.File(Filing(), 5000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.error().message.find("filstoerrelse"), std::string::npos) << refused.error().message;
  auto again = client.File(Filing(), 5000);
  ASSERT_FALSE(again);
  EXPECT_TRUE(again.error().pending);
  ASSERT_EQ(*archive_->ProcessFiksFolder(dir_.File("fiks")), 1);
  EXPECT_TRUE(client.File(Filing(), 5000));
  EXPECT_EQ(Counts()["journalpost"], 1);
}

TEST_F(FiksArkivFolderTest, AKeyThatIsNoFileNameIsRefused) {
  FiksArkivFolderClient client(Settings(), Folder());
  for (const char* key : {"../escape", ".hidden", "a/b", ""}) {
    auto r = client.File(Filing(key), 5000);
    ASSERT_FALSE(r) << key;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << key;
  }
  EXPECT_FALSE(fs::exists(dir_.File("escape")));
}

}  // namespace
}  // namespace enrol::archive
