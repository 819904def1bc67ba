// The Noark 5 client against the archive simulator: the whole flow, and
// exactly one saksmappe per pupil and one journalpost and document per
// letter whatever step an attempt stops at.
#include "connectors/archive/noark5_client.h"

#include <functional>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/simulators/noark5_archive.h"

namespace enrol::archive {
namespace {

namespace json = boost::json;

// Hands each request to the simulator, as the network would. `before` may
// refuse to send it; `after` may lose the answer of one that was applied.
class SimulatorTransport final : public Transport {
 public:
  explicit SimulatorTransport(sim::Noark5Archive& archive) : archive_(archive) {}
  Result<http::Response> Send(const http::Request& r) override {
    ++sent;
    http::Request in = r;
    const std::string rest = r.url.substr(r.url.find("//") + 2);
    in.headers["host"] = rest.substr(0, rest.find('/'));
    in.target = rest.substr(rest.find('/'));
    if (before) {
      if (auto refused = before(in)) return *refused;
    }
    http::Response res = archive_.Handle(in);
    if (lose_answer_of == sent) return Unavailable("the connection was dropped after the request was sent");
    return res;
  }
  int sent = 0;
  int lose_answer_of = 0;  // the n-th request is applied, its answer lost
  std::function<std::optional<Result<http::Response>>(http::Request&)> before;

 private:
  sim::Noark5Archive& archive_;
};

ArchiveLetter Letter(const std::string& letter_key = "job-1") {
  ArchiveLetter l;
  l.pupil_key = "elev-abc";
  l.letter_key = letter_key;
  l.mappe_title = "Elevmappe - Ola Testesen";
  l.mappe_public_title = "Elevmappe - ******";
  l.title = "Innskriving 1. trinn 2027/2028 - Ola Testesen";
  l.public_title = "Innskriving 1. trinn 2027/2028 - ******";
  l.document_title = "Vedtak om skoleplass";
  l.document_date = "2027-03-01T00:00:00+01:00";
  l.recipients = {Recipient{"Kari Testesen", {"Storgata 1"}, "9999", "FJORDVIK"},
                  Recipient{"Per Testesen", {"Lillegata 2"}, "9999", "FJORDVIK"}};
  l.file = std::string("%PDF-1.7\n") + std::string(2000, 'x') + letter_key + "\n%%EOF\n";
  l.file_name = "innskriving.pdf";
  return l;
}

class Noark5ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = sim::Noark5Archive::Open({});
    ASSERT_TRUE(a) << a.error().message;
    archive_ = std::move(*a);
  }
  Noark5Settings Settings() {
    Noark5Settings s;
    s.root_url = "http://arkiv.test/noark5v5/";
    s.screening = Screening{"13", "Offl. § 13 jf. fvl. § 13 (1) nr.1", {"NPS", "TM1"}, {"NM", "TR1"}};
    return s;
  }
  std::map<std::string, int64_t> Counts() { return *archive_->Counts(); }
  void ExpectOneOfEach(int journalposts = 1) {
    auto c = Counts();
    EXPECT_EQ(c["saksmappe"], 1);
    EXPECT_EQ(c["journalpost"], journalposts);
    EXPECT_EQ(c["korrespondansepartperson"], 2 * journalposts);
    EXPECT_EQ(c["dokumentbeskrivelse"], journalposts);
    EXPECT_EQ(c["dokumentobjekt"], journalposts);
    EXPECT_EQ(c["fil"], journalposts);
  }
  json::object Inspect() {
    http::Request r;
    r.target = "/noark5v5/inspect";
    return json::parse(archive_->Handle(r).body).as_object();
  }
  std::unique_ptr<sim::Noark5Archive> archive_;
};

TEST_F(Noark5ClientTest, FilesALetterWithTheArchivesOwnNumbers) {
  SimulatorTransport t(*archive_);
  Noark5Client client(Settings(), t);
  auto r = client.FileLetter(Letter());
  ASSERT_TRUE(r) << r.error().message;
  ExpectOneOfEach();
  EXPECT_FALSE(r->saksmappe_existed);
  EXPECT_FALSE(r->journalpost_existed);
  EXPECT_NE(r->mappe_id.find('/'), std::string::npos) << r->mappe_id;
  EXPECT_EQ(r->journalpostnummer, 1);
  EXPECT_FALSE(r->registrerings_id.empty());
  EXPECT_EQ(r->saksmappe_system_id.size(), 36u);
  EXPECT_EQ(r->dokumentobjekt_system_id.size(), 36u);
  // The public titles hide the name; the file reads back byte for byte.
  const json::object inspected = Inspect();
  ASSERT_EQ(inspected.at("counts").at("saksmappe"), 1);
  for (const auto& o : inspected.at("objects").as_array()) {
    if (const auto* t = o.as_object().if_contains("offentligTittel")) {
      EXPECT_EQ(std::string(t->as_string()).find("Ola"), std::string::npos);
      EXPECT_NE(std::string(t->as_string()).find("******"), std::string::npos);
    }
  }
  http::Request get;
  get.target = "/noark5v5/api/dokumentobjekt/" + r->dokumentobjekt_system_id + "/referanseFil";
  const http::Response file = archive_->Handle(get);
  EXPECT_EQ(file.status, 200);
  EXPECT_EQ(file.body, Letter().file);
  EXPECT_EQ(file.Header("content-type"), "application/pdf");
}

TEST_F(Noark5ClientTest, TheSaksmappeAndJournalpostAreScreened) {
  SimulatorTransport t(*archive_);
  json::array bodies;
  t.before = [&](http::Request& r) -> std::optional<Result<http::Response>> {
    if (r.method == "POST" && r.headers["content-type"] == "application/vnd.noark5+json") {
      bodies.push_back(json::parse(r.body));
    }
    return std::nullopt;
  };
  ASSERT_TRUE(Noark5Client(Settings(), t).FileLetter(Letter()));
  ASSERT_GE(bodies.size(), 2u);
  const json::object& mappe = bodies[0].as_object();
  EXPECT_EQ(mappe.at("skjerming").at("tilgangsrestriksjon").at("kode"), "13");
  EXPECT_EQ(mappe.at("skjerming").at("skjermingMetadata").as_array().size(), 2u);
  const json::object& jp = bodies[1].as_object();
  EXPECT_EQ(jp.at("journalposttype").at("kode"), "U");
  EXPECT_EQ(jp.at("skjerming").at("skjermingMetadata").as_array()[0].at("kode"), "NM");
}

TEST_F(Noark5ClientTest, ARepeatFindsWhatTheFirstMade) {
  SimulatorTransport t(*archive_);
  Noark5Client client(Settings(), t);
  auto first = client.FileLetter(Letter());
  ASSERT_TRUE(first);
  auto again = client.FileLetter(Letter());
  ASSERT_TRUE(again) << again.error().message;
  ExpectOneOfEach();
  EXPECT_TRUE(again->saksmappe_existed);
  EXPECT_TRUE(again->journalpost_existed);
  EXPECT_EQ(again->journalpost_system_id, first->journalpost_system_id);
  EXPECT_EQ(again->dokumentobjekt_system_id, first->dokumentobjekt_system_id);
}

TEST_F(Noark5ClientTest, ANewLetterIsANewJournalpostInTheSameSaksmappe) {
  SimulatorTransport t(*archive_);
  Noark5Client client(Settings(), t);
  auto first = client.FileLetter(Letter("job-1"));
  auto second = client.FileLetter(Letter("job-2"));
  ASSERT_TRUE(first && second);
  ExpectOneOfEach(/*journalposts=*/2);
  EXPECT_EQ(second->mappe_id, first->mappe_id);
  EXPECT_NE(second->journalpost_system_id, first->journalpost_system_id);
  EXPECT_EQ(second->journalpostnummer, 2);
}

// The nasty case at every step: the request is applied, its answer lost.
TEST_F(Noark5ClientTest, AnAnswerLostAtAnyStepLeavesNoDuplicate) {
  SimulatorTransport probe(*archive_);
  ASSERT_TRUE(Noark5Client(Settings(), probe).FileLetter(Letter("probe")));
  const int steps = probe.sent;
  ASSERT_GE(steps, 10);
  for (int n = 1; n <= steps; ++n) {
    SetUp();  // a fresh archive
    SimulatorTransport t(*archive_);
    t.lose_answer_of = n;
    auto failed = Noark5Client(Settings(), t).FileLetter(Letter());
    ASSERT_FALSE(failed) << "step " << n;
    EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable) << failed.error().message;
    SimulatorTransport retry(*archive_);
    auto r = Noark5Client(Settings(), retry).FileLetter(Letter());
    ASSERT_TRUE(r) << "step " << n << ": " << r.error().message;
    SCOPED_TRACE("answer lost at request " + std::to_string(n));
    ExpectOneOfEach();
  }
}

TEST_F(Noark5ClientTest, ARefusedUploadDeletesItsDokumentobjektAndTheRetryStartsAfresh) {
  SimulatorTransport t(*archive_);
  t.before = [](http::Request& r) -> std::optional<Result<http::Response>> {
    if (r.target.find("/referanseFil") != std::string::npos) r.body += "corrupted in transit";
    return std::nullopt;
  };
  auto failed = Noark5Client(Settings(), t).FileLetter(Letter());
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("HTTP 400"), std::string::npos) << failed.error().message;
  EXPECT_EQ(Counts()["dokumentobjekt"], 0);
  SimulatorTransport good(*archive_);
  ASSERT_TRUE(Noark5Client(Settings(), good).FileLetter(Letter()));
  ExpectOneOfEach();
}

TEST_F(Noark5ClientTest, ServerErrorsAreRetryableAndSayNoName) {
  SimulatorTransport t(*archive_);
  t.before = [](http::Request& r) -> std::optional<Result<http::Response>> {
    if (r.method != "POST") return std::nullopt;
    http::Response busy;
    busy.status = 429;
    busy.headers["retry-after"] = "7";
    busy.body = R"({"feil":{"kode":429,"beskrivelse":"for mange forespørsler"}})";
    return Result<http::Response>(busy);
  };
  auto r = Noark5Client(Settings(), t).FileLetter(Letter());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(r.error().message.find("Retry-After: 7"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().retry_after_ms, 7000);
  EXPECT_NE(r.error().message.find("for mange"), std::string::npos);
  EXPECT_EQ(r.error().message.find("Testesen"), std::string::npos);
}

TEST_F(Noark5ClientTest, TheSimulatorAnswersBadRequestsWithFeil) {
  auto ask = [&](const std::string& method, const std::string& target, const std::string& body = "",
                 const std::string& type = "application/vnd.noark5+json") {
    http::Request r;
    r.method = method;
    r.target = target;
    r.headers["host"] = "arkiv.test";
    r.headers["content-type"] = type;
    r.body = body;
    return archive_->Handle(r);
  };
  auto list = json::parse(ask("GET", "/noark5v5/api/arkivdel?$filter=tittel%20eq%20'Elevarkiv'").body).as_object();
  ASSERT_EQ(list.at("count"), 1);
  EXPECT_EQ(list.at("_links").at("self").at("href"), "http://arkiv.test/noark5v5/api/arkivdel?$filter=tittel%20eq%20'Elevarkiv'");
  const std::string arkivdel(list.at("results").as_array()[0].at("systemID").as_string());
  const std::string create = "/noark5v5/api/arkivdel/" + arkivdel + "/ny-saksmappe";
  EXPECT_EQ(ask("POST", create, R"({"offentligTittel":"x"})").status, 400);  // no tittel
  EXPECT_EQ(ask("POST", create, R"({"tittel":"x"})", "application/json").status, 415);
  EXPECT_EQ(ask("POST", create, "not json").status, 400);
  EXPECT_EQ(ask("POST", create, R"({"tittel":"x","skjerming":{"skjermingshjemmel":"h"}})").status, 400);
  EXPECT_EQ(ask("GET", "/noark5v5/api/saksmappe?$filter=tittel%20gt%201").status, 400);
  EXPECT_EQ(ask("GET", "/noark5v5/api/saksmappe/no-such-id").status, 404);
  EXPECT_EQ(ask("DELETE", "/noark5v5/api/arkivdel/" + arkivdel).status, 403);
  const http::Response bad = ask("GET", "/elsewhere");
  EXPECT_EQ(bad.status, 404);
  EXPECT_EQ(json::parse(bad.body).at("feil").at("kode"), 404);
  EXPECT_EQ(Counts()["saksmappe"], 0);  // nothing refused was kept
}

TEST_F(Noark5ClientTest, AMissingArkivdelIsAPermanentError) {
  SimulatorTransport t(*archive_);
  Noark5Settings s = Settings();
  s.arkivdel = "Personalarkiv";
  auto r = Noark5Client(s, t).FileLetter(Letter());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("Personalarkiv"), std::string::npos);
}

}  // namespace
}  // namespace enrol::archive
