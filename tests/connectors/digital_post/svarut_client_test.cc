// The SvarUt client against the SvarUt simulator: one forsendelse per
// recipient, never two for one eksternReferanse (a retry, a lost answer),
// statuses that move as they are followed, a recipient without a digital
// mailbox reported as not delivered; the simulator refuses what SvarUt
// would; faults are retryable and name nobody.
#include "connectors/digital_post/svarut_client.h"

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/net/multipart.h"
#include "connectors/simulators/fault_plan.h"
#include "connectors/simulators/noark5_archive.h"
#include "connectors/simulators/svarut_post.h"

namespace enrol::post {
namespace {

namespace json = boost::json;

app::PostShipment Shipment(int recipients = 2) {
  app::PostShipment s;
  s.title = "Vedtak om skoleplass";
  s.sender = "enrol";
  for (int i = 0; i < recipients; ++i) {
    app::PostRecipient r;
    r.eksternref = "0192f1a0-0000-7000-8000-000000000001-" + std::to_string(i + 1);
    r.name = i == 0 ? "Kari Testesen" : "Per Testesen";
    r.national_id = "0101011234" + std::to_string(i);
    r.address_lines = {"Storgata 1"};
    r.postnummer = "9999";
    r.poststed = "FJORDVIK";
    r.copy = 1;
    s.recipients.push_back(r);
  }
  s.pdfs[1] = "%PDF-1.4 the letter";
  return s;
}

class SvarUtTest : public ::testing::Test {
 protected:
  void Open(double undeliverable = 0) {
    sim::SvarUtOptions o;
    o.undeliverable_share = undeliverable;
    auto p = sim::SvarUtPost::Open(o);
    ASSERT_TRUE(p) << p.error().message;
    post_ = std::move(*p);
  }
  void SetUp() override { Open(); }
  sim::LoopbackTransport Loop(sim::FaultPlan* faults = nullptr) {
    sim::SvarUtPost* p = post_.get();
    return sim::LoopbackTransport([p](const http::Request& r) { return p->Handle(r); },
                                  [p] { return p->NextRequestNumber(); }, faults);
  }
  SvarUtSettings Settings() { return SvarUtSettings{"http://svarut.test/api/", "5099a0de-0000-4000-8000-00000000f1ed", ""}; }
  std::vector<std::string> Ids(const json::object& receipt) {
    std::vector<std::string> ids;
    for (const auto& f : receipt.at("forsendelser").as_array()) ids.emplace_back(f.at("id").as_string());
    return ids;
  }
  std::unique_ptr<sim::SvarUtPost> post_;
};

TEST_F(SvarUtTest, EachRecipientGetsOneForsendelseAndARepeatSendsNothing) {
  auto t = Loop();
  SvarUtClient client(Settings(), t);
  auto first = client.Send(Shipment(), 5000);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->at("protocol"), "svarut-v2");
  ASSERT_EQ(Ids(*first).size(), 2u);
  EXPECT_EQ(first->at("requests"), 4);  // a lookup and a send each
  EXPECT_EQ(json::serialize(*first).find("Testesen"), std::string::npos);  // the receipt names nobody
  auto again = client.Send(Shipment(), 5000);
  ASSERT_TRUE(again);
  EXPECT_EQ(Ids(*again), Ids(*first));
  EXPECT_EQ(again->at("requests"), 2);  // the lookups found them
  auto c = *post_->Counts();
  EXPECT_EQ(c["forsendelser"], 2);
  EXPECT_EQ(c["eksternrefs"], 2);
}

TEST_F(SvarUtTest, AnAnswerLostAfterTheSendLeavesNoDuplicate) {
  // Every request reaches the service; every answer after the first two is lost.
  sim::SvarUtPost* p = post_.get();
  int n = 0;
  sim::LoopbackTransport lossy(
      [p, &n](const http::Request& r) {
        http::Response res = p->Handle(r);
        if (++n > 2) res.status = 0;
        return res;
      },
      [p] { return p->NextRequestNumber(); });
  class Dropping final : public http::Transport {
   public:
    explicit Dropping(http::Transport& t) : t_(t) {}
    Result<http::Response> Send(const http::Request& r) override {
      auto res = t_.Send(r);
      if (res && res->status == 0) return Unavailable("the connection was dropped (test)");
      return res;
    }

   private:
    http::Transport& t_;
  } dropping(lossy);
  auto failed = SvarUtClient(Settings(), dropping).Send(Shipment(), 5000);
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, ErrorCode::kUnavailable);
  auto t = Loop();
  auto retried = SvarUtClient(Settings(), t).Send(Shipment(), 5000);
  ASSERT_TRUE(retried) << retried.error().message;
  auto c = *post_->Counts();
  EXPECT_EQ(c["forsendelser"], 2);
  EXPECT_EQ(c["eksternrefs"], 2);
}

TEST_F(SvarUtTest, StatusesMoveAsTheyAreFollowed) {
  auto t = Loop();
  SvarUtClient client(Settings(), t);
  auto sent = client.Send(Shipment(1), 5000);
  ASSERT_TRUE(sent);
  const auto ids = Ids(*sent);
  std::vector<std::string> seen;
  for (int i = 0; i < 4; ++i) {
    auto s = client.Statuses(ids, 5000);
    ASSERT_TRUE(s) << s.error().message;
    seen.push_back(s->at(ids[0]));
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"MOTTATT", "AKSEPTERT", "LEVERT_SDP", "LEST"}));
  EXPECT_EQ(app::PostStateOf("MOTTATT"), app::PostState::kPending);
  EXPECT_EQ(app::PostStateOf("LEVERT_SDP"), app::PostState::kDelivered);
  EXPECT_EQ(app::PostStateOf("LEST"), app::PostState::kDelivered);
  EXPECT_EQ(app::PostStateOf("IKKE_LEVERT"), app::PostState::kFailed);
  // Another account's forsendelse is not shown.
  SvarUtSettings other = Settings();
  other.konto_id = "00000000-0000-4000-8000-000000000000";
  auto foreign = SvarUtClient(other, t).Statuses(ids, 5000);
  ASSERT_TRUE(foreign);
  EXPECT_TRUE(foreign->empty());
}

TEST_F(SvarUtTest, ARecipientWithoutADigitalMailboxIsNotDelivered) {
  Open(1.0);
  auto t = Loop();
  SvarUtClient client(Settings(), t);
  auto sent = client.Send(Shipment(1), 5000);
  ASSERT_TRUE(sent);
  std::string last;
  for (int i = 0; i < 3; ++i) last = client.Statuses(Ids(*sent), 5000)->begin()->second;
  EXPECT_EQ(last, "IKKE_LEVERT");
  EXPECT_EQ((*post_->Counts())["undeliverable"], 1);
}

TEST_F(SvarUtTest, TheForsendelseSaysOnlyDigitalAndSensitive) {
  const json::object f = SvarUtClient::Forsendelse(Shipment(), Shipment().recipients[0]);
  EXPECT_EQ(f.at("kunDigitalLevering"), true);
  EXPECT_EQ(f.at("taushetsbelagtPost"), true);
  EXPECT_EQ(f.at("eksternReferanse").as_string(), Shipment().recipients[0].eksternref);
  EXPECT_EQ(f.at("mottaker").at("digitalId"), "01010112340");
  EXPECT_EQ(f.at("tittel"), "Vedtak om skoleplass");  // no name in the title
  EXPECT_EQ(f.at("dokumenter").at(0).at("inneholderPersonsensitivInformasjon"), true);
}

TEST_F(SvarUtTest, TheSimulatorRefusesWhatSvarUtWould) {
  auto post = [&](const std::string& type, const std::string& body) {
    http::Request r;
    r.method = "POST";
    r.target = "/api/v2/kontoer/k1/forsendelser";
    r.headers["content-type"] = type;
    r.body = body;
    return post_->Handle(r);
  };
  EXPECT_EQ(post("application/json", "{}").status, 400);
  auto part = [](const std::string& json, const std::string& file) {
    std::vector<http::Part> parts{{"forsendelse", "", "application/json", json}};
    if (!file.empty()) parts.push_back({"filer", "a.pdf", "application/pdf", file});
    return http::BuildMultipart(parts, "b");
  };
  const std::string type = http::MultipartContentType("b");
  EXPECT_NE(post(type, part("{}", "%PDF")).body.find("tittel is required"), std::string::npos);
  EXPECT_NE(post(type, part(R"({"tittel":"t","mottaker":{}})", "%PDF")).body.find("mottaker.navn"), std::string::npos);
  const std::string ok = R"({"tittel":"t","mottaker":{"navn":"n"},"dokumenter":[{"filnavn":"a.pdf","mimeType":"application/pdf"}]})";
  EXPECT_NE(post(type, part(ok, "")).body.find("dokumenter must describe"), std::string::npos);
  EXPECT_NE(post(type, part(ok, "not a pdf")).body.find("must be a PDF"), std::string::npos);
  EXPECT_EQ(post(type, part(ok, "%PDF-1.4")).status, 200);
  EXPECT_EQ((*post_->Counts())["forsendelser"], 1);
  http::Request lookup;
  lookup.target = "/api/v2/kontoer/k1/forsendelser";
  EXPECT_EQ(post_->Handle(lookup).status, 400);  // eksternRef is required
}

TEST_F(SvarUtTest, FaultsAreRetryableAndNameNobody) {
  sim::FaultOptions o;
  o.throttle_share = 1;
  sim::FaultPlan plan(o);
  auto t = Loop(&plan);
  auto r = SvarUtClient(Settings(), t).Send(Shipment(), 5000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().retry_after_ms, 1000);
  EXPECT_EQ(r.error().message.find("Testesen"), std::string::npos);
  EXPECT_EQ((*post_->Counts())["forsendelser"], 0);
}

}  // namespace
}  // namespace enrol::post
