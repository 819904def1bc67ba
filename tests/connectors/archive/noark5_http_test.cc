// The Noark 5 client over real HTTP (libcurl) against the archive simulator
// served by Beast: what `enrol simulate archive --listen` runs.
#include <condition_variable>
#include <mutex>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "connectors/archive/noark5_client.h"
#include "connectors/http/http_client.h"
#include "connectors/simulators/noark5_archive.h"
#include "connectors/simulators/systems_server.h"

namespace enrol::archive {
namespace {

namespace json = boost::json;

// One archive served for the whole test program (the server runs until the
// process ends).
struct Served {
  sim::Noark5Archive* archive = nullptr;
  int port = 0;
};
Served& Server() {
  static Served s = [] {
    Served out;
    out.archive = sim::Noark5Archive::Open({}).value().release();
    std::mutex mu;
    std::condition_variable cv;
    int port = 0;
    std::thread([&, a = out.archive] {
      auto st = sim::ServeHttp([a](const http::Request& r) { return a->Handle(r); }, "127.0.0.1", 0, [&](int p) {
        std::lock_guard<std::mutex> lock(mu);
        port = p;
        cv.notify_all();
      });
      (void)st;
    }).detach();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return port != 0; });
    out.port = port;
    return out;
  }();
  return s;
}

TEST(Noark5HttpTest, FilesALetterOverHttpAndARepeatMakesNothingNew) {
  Served& s = Server();
  http::HttpClient client;
  Noark5Settings settings;
  settings.root_url = "http://127.0.0.1:" + std::to_string(s.port) + "/noark5v5/";
  settings.screening = Screening{"13", "Offl. § 13 jf. fvl. § 13 (1) nr.1", {"NPS"}, {"NM"}};
  ArchiveLetter l;
  l.pupil_key = "elev-http";
  l.letter_key = "job-http";
  l.mappe_title = "Elevmappe - Ola Testesen";
  l.mappe_public_title = "Elevmappe - ******";
  l.title = "Innskriving - Ola Testesen";
  l.public_title = "Innskriving - ******";
  l.document_title = "Vedtak";
  l.document_date = "2027-03-01T00:00:00+01:00";
  l.recipients = {Recipient{"Kari Testesen", {"Storgata 1"}, "9999", "FJORDVIK"}};
  l.file = std::string(3 * 1024 * 1024, 'p');  // past Beast's default body limit
  l.file_name = "innskriving.pdf";
  auto r = Noark5Client(settings, client).FileLetter(l);
  ASSERT_TRUE(r) << r.error().message;
  auto again = Noark5Client(settings, client).FileLetter(l);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->journalpost_existed);
  EXPECT_EQ(again->dokumentobjekt_system_id, r->dokumentobjekt_system_id);
  auto counts = *s.archive->Counts();
  EXPECT_EQ(counts["saksmappe"], 1);
  EXPECT_EQ(counts["journalpost"], 1);
  EXPECT_EQ(counts["fil"], 1);
  // The Location of a create and the hrefs are the server's own.
  http::Request get;
  get.url = settings.root_url;
  auto root = client.Send(get);
  ASSERT_TRUE(root);
  EXPECT_EQ(root->status, 200);
  EXPECT_EQ(root->Header("content-type"), "application/vnd.noark5+json");
}

TEST(Noark5HttpTest, NoServerIsUnavailableWithoutTheQuery) {
  http::ClientOptions o;
  o.connect_timeout_ms = 2000;
  http::HttpClient client(o);
  http::Request get;
  get.url = "http://127.0.0.1:1/noark5v5/api/saksmappe?$filter=secret";
  auto r = client.Send(get);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message.find("secret"), std::string::npos) << r.error().message;
}

TEST(Noark5HttpTest, AnAnswerPastTheBoundIsRefused) {
  Served& s = Server();
  http::ClientOptions o;
  o.max_response_bytes = 100;
  http::HttpClient client(o);
  http::Request get;
  get.url = "http://127.0.0.1:" + std::to_string(s.port) + "/noark5v5/inspect";
  auto r = client.Send(get);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("larger than"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace enrol::archive
