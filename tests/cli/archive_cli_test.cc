// The archive step of the workflow through the Noark 5 client, as a user
// runs it: against the archive simulator in the engine's process, against
// `enrol simulate archive` over HTTP, and with the archive down.
#include <set>
#include <chrono>
#include <thread>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "engine/sql/sqlite.h"
#include "tests/support/demo_config.h"

namespace enrol {
namespace {

namespace json = boost::json;

// Every "Fornavn [Mellomnavn] Etternavn" of the extract (a FREG JSON array).
void CollectNames(const json::value& v, std::set<std::string>& out) {
  if (v.is_object()) {
    const json::object& o = v.get_object();
    const json::value* f = o.if_contains("fornavn");
    const json::value* e = o.if_contains("etternavn");
    const json::value* m = o.if_contains("mellomnavn");
    if (f && e && f->is_string() && e->is_string()) {
      std::string name = std::string(f->get_string()) + " ";
      if (m && m->is_string() && !m->get_string().empty()) name += std::string(m->get_string()) + " ";
      out.insert(name + std::string(e->get_string()));
    }
    for (const auto& kv : o) CollectNames(kv.value(), out);
  } else if (v.is_array()) {
    for (const auto& e : v.get_array()) CollectNames(e, out);
  }
}

class ArchiveCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Configure([](json::object&) {});
    ASSERT_EQ(Enrol("gen-extract --municipality 5099 --children 400 --seed 5 --school-year 2027 --out x.json").exit_code, 0);
    ASSERT_EQ(Enrol("init").exit_code, 0);
    ASSERT_EQ(Enrol("import x.json").exit_code, 0);
    CollectNames(json::parse(testing::ReadFile(dir_.File("x.json"))), names_);
    ASSERT_GT(names_.size(), 100u);
  }
  void Configure(const std::function<void(json::object& archive)>& archive) {
    testing::WriteDemoConfig(dir_, [&](json::object& o) {
      json::object& c = o["connectors"].as_object();
      c["simulator_db"] = dir_.File("sims.db");
      json::object& a = c["archive"].as_object();
      a["simulator_db"] = dir_.File("archive.db");
      archive(a);
    });
  }
  testing::CommandResult Enrol(const std::string& args) { return testing::EnrolIn(dir_, args); }
  static json::value Json(const testing::CommandResult& r) { return testing::OutputJson(r); }
  std::string NameIn(const std::string& text) const {
    for (const auto& n : names_) {
      if (text.find(n) != std::string::npos) return n;
    }
    return "";
  }
  // What the archive holds, and that it is one saksmappe per pupil and one
  // journalpost, document and file per case.
  void ExpectOneFilingPerCase(const std::string& archive_db, size_t cases) {
    auto db = sql::Database::Open(archive_db);
    ASSERT_TRUE(db);
    auto count = [&](const std::string& kind) {
      auto q = (*db)->Prepare("SELECT COUNT(*) FROM objects WHERE kind='" + kind + "'");
      EXPECT_TRUE(q && *q->Step());
      return static_cast<size_t>(q->ColumnInt(0));
    };
    EXPECT_EQ(count("saksmappe"), cases);
    EXPECT_EQ(count("journalpost"), cases);
    EXPECT_EQ(count("dokumentbeskrivelse"), cases);
    EXPECT_EQ(count("dokumentobjekt"), cases);
    auto keys = (*db)->Prepare(
        "SELECT COUNT(DISTINCT body->>'$.virksomhetsspesifikkeMetadata.\"vnd-enrol-v1:noekkel\"') FROM objects "
        "WHERE kind='saksmappe'");
    ASSERT_TRUE(keys && *keys->Step());
    EXPECT_EQ(static_cast<size_t>(keys->ColumnInt(0)), cases);
    auto titles = (*db)->Prepare("SELECT body->>'tittel', body->>'offentligTittel' FROM objects "
                                 "WHERE kind IN ('saksmappe','journalpost')");
    ASSERT_TRUE(titles);
    size_t named = 0;
    while (*titles->Step()) {
      const std::string title = titles->ColumnText(0), pub = titles->ColumnText(1);
      named += NameIn(title).empty() ? 0 : 1;
      EXPECT_EQ(NameIn(pub), "") << pub;
      EXPECT_NE(pub.find("******"), std::string::npos) << pub;
    }
    EXPECT_EQ(named, 2 * cases);  // the titles do name the pupil: the archive is where that belongs
  }
  testing::TempDir dir_;
  std::set<std::string> names_;
};

TEST_F(ArchiveCliTest, ApprovedLettersAreFiledOncePerCaseInTheSimulatedArchive) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto approved = Enrol("--json case event --school S01 --state awaiting_approval approve --as sekretaer --run");
  ASSERT_EQ(approved.exit_code, 0) << approved.out;
  auto done = Json(Enrol("--json case list --school S01 --status completed")).as_array();
  ASSERT_GT(done.size(), 3u);
  ExpectOneFilingPerCase(dir_.File("archive.db"), done.size());
  const std::string ref(done[0].at("key").as_string());
  auto shown = Enrol("--json case show " + ref);
  const json::value shown_json = Json(shown);
  const json::value& receipt = shown_json.at("data").at("receipts").at("archive");
  EXPECT_EQ(receipt.at("protocol"), "noark5");
  EXPECT_NE(std::string(receipt.at("mappeID").as_string()).find('/'), std::string::npos);
  EXPECT_EQ(receipt.at("journalpostnummer"), 1);
  EXPECT_EQ(NameIn(shown.out), "");  // the receipt names nobody
  // Running again files nothing new.
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  ExpectOneFilingPerCase(dir_.File("archive.db"), done.size());
}

TEST_F(ArchiveCliTest, OverHttpAgainstSimulateArchive) {
  auto started = testing::Run("cd " + dir_.path().string() + " && (" + testing::EnrolBinary() +
                              " simulate archive --listen 127.0.0.1:0 --db served.db > served.out 2>&1 & echo $! > served.pid);"
                              " for i in $(seq 1 100); do grep -q listening served.out && break; sleep 0.05; done; cat served.out");
  const size_t at = started.out.find("http://127.0.0.1:");
  ASSERT_NE(at, std::string::npos) << started.out;
  const std::string url = started.out.substr(at, started.out.find(' ', at) - at);
  Configure([&](json::object& a) {
    a.erase("simulator_db");
    a["url"] = url;
  });
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  ASSERT_EQ(Enrol("case event --school S02 --state awaiting_approval approve --as sekretaer --run").exit_code, 0);
  const size_t done = Json(Enrol("--json case list --school S02 --status completed")).as_array().size();
  testing::Run("cd " + dir_.path().string() + " && kill $(cat served.pid)");
  ASSERT_GT(done, 3u);
  ExpectOneFilingPerCase(dir_.File("served.db"), done);
}

TEST_F(ArchiveCliTest, FiksArkivOverHttpInTheSimulatedArchive) {
  Configure([](json::object& a) {
    a["protocol"] = "fiks-arkiv";
    a.erase("arkivdel");
  });
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  ASSERT_EQ(Enrol("case event --school S01 --state awaiting_approval approve --as sekretaer --run").exit_code, 0);
  auto done = Json(Enrol("--json case list --school S01 --status completed")).as_array();
  ASSERT_GT(done.size(), 3u);
  ExpectOneFilingPerCase(dir_.File("archive.db"), done.size());
  auto shown = Enrol("--json case show " + std::string(done[0].at("key").as_string()));
  const json::value shown_json = Json(shown);
  const json::value& receipt = shown_json.at("data").at("receipts").at("archive");
  EXPECT_EQ(receipt.at("protocol"), "fiks-arkiv");
  EXPECT_EQ(receipt.at("journalpost_existed"), false);
  EXPECT_EQ(receipt.at("journalpostnummer"), 1);
  EXPECT_EQ(NameIn(shown.out), "");
}

// The municipality's integration takes messages from a drop folder and
// answers there (`enrol simulate archive --fiks-folder` plays it): each
// archive job waits for its kvittering without spending attempts, and every
// case ends filed once.
TEST_F(ArchiveCliTest, FiksArkivThroughADropFolder) {
  auto started = testing::Run("cd " + dir_.path().string() + " && (" + testing::EnrolBinary() +
                              " simulate archive --listen 127.0.0.1:0 --db served.db --fiks-folder fiks"
                              " > served.out 2>&1 & echo $! > served.pid);"
                              " for i in $(seq 1 100); do grep -q listening served.out && break; sleep 0.05; done; cat served.out");
  ASSERT_NE(started.out.find("and in fiks/ut/"), std::string::npos) << started.out;
  Configure([&](json::object& a) {
    a.erase("simulator_db");
    a.erase("arkivdel");
    a["protocol"] = "fiks-arkiv";
    a["folder"] = dir_.File("fiks");
    a["poll_ms"] = 100;
  });
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  ASSERT_EQ(Enrol("case event --school S03 --state awaiting_approval approve --as sekretaer --run").exit_code, 0);
  int64_t queued = -1;
  for (int round = 0; round < 600 && queued != 0; ++round) {
    ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db);
    auto q = (*db)->Prepare("SELECT COUNT(*) FROM jobs WHERE status='queued'");
    ASSERT_TRUE(q && *q->Step());
    queued = q->ColumnInt(0);
    if (queued) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  testing::Run("cd " + dir_.path().string() + " && kill $(cat served.pid)");
  ASSERT_EQ(queued, 0);
  const size_t done = Json(Enrol("--json case list --school S03 --status completed")).as_array().size();
  ASSERT_GT(done, 3u);
  EXPECT_EQ(Json(Enrol("--json incidents list")).as_array().size(), 0u);
  ExpectOneFilingPerCase(dir_.File("served.db"), done);
  // Waiting was polling, not failing: each archive job took one attempt.
  auto db = sql::Database::Open(dir_.File("enrol.db"));
  auto q = (*db)->Prepare("SELECT MAX(attempts), COUNT(*) FROM jobs WHERE type='archive' AND status='done'");
  ASSERT_TRUE(q && *q->Step());
  EXPECT_EQ(q->ColumnInt(0), 1);
  EXPECT_EQ(static_cast<size_t>(q->ColumnInt(1)), done);
}

// A protected-address case is never filed on its own; the education office
// may order its letter filed, and then it goes with the stricter screening
// and without anyone's address.
TEST_F(ArchiveCliTest, TheEducationOfficeFilesAProtectedCaseWithTheStricterScreening) {
  Configure([](json::object& a) {
    a["skjerming"].as_object()["protected"] =
        json::object{{"tilgangsrestriksjon", "SF"},
                     {"skjermingshjemmel", "Offl. § 13 jf. fvl. § 13 (1) nr.1 og fvl. § 13 (1) nr.1 (adresse)"},
                     {"mappe", json::array{"NPS", "TM1", "TM2"}},
                     {"journalpost", json::array{"NM", "TR1", "TR2"}}};
  });
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto waiting = Json(Enrol("--json case list --school S01 --state awaiting_approval")).as_array();
  ASSERT_GT(waiting.size(), 1u);
  const std::string key(waiting[0].at("key").as_string());
  json::value extract = json::parse(testing::ReadFile(dir_.File("x.json")));
  testing::ProtectEveryone(extract);
  testing::WriteFile(dir_.File("y.json"), json::serialize(extract));
  auto imported = Enrol("import y.json");
  ASSERT_EQ(imported.exit_code, 0) << imported.out;
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  auto shown = Json(Enrol("--json case show " + key));
  ASSERT_EQ(shown.at("state"), "manual_handling") << json::serialize(shown);
  // An approval now is refused: the case is the education office's.
  EXPECT_EQ(Enrol("case event " + key + " approve --as sekretaer --run").exit_code, 2);
  auto ordered = Enrol("case event " + key + " archive.protected --data '{\"reason\": \"arkiveres etter vedtak\"}' --as kontoret");
  ASSERT_EQ(ordered.exit_code, 0) << ordered.out;
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  shown = Json(Enrol("--json case show " + key));
  EXPECT_EQ(shown.at("state"), "manual_handling");
  const json::value& receipt = shown.at("data").at("receipts").at("archive");
  EXPECT_EQ(receipt.at("journalpostnummer"), 1);
  // Only that case reached the archive, with the stricter screening and no address.
  auto db = sql::Database::Open(dir_.File("archive.db"));
  ASSERT_TRUE(db);
  auto q = (*db)->Prepare("SELECT kind, body FROM objects WHERE kind IN ('saksmappe','journalpost','korrespondansepartperson')");
  ASSERT_TRUE(q);
  int mapper = 0, poster = 0, parties = 0;
  while (*q->Step()) {
    const std::string kind = q->ColumnText(0);
    const json::value body = json::parse(q->ColumnText(1));
    if (kind == "korrespondansepartperson") {
      ++parties;
      EXPECT_FALSE(body.as_object().contains("postadresse")) << json::serialize(body);
      continue;
    }
    (kind == "saksmappe" ? mapper : poster) += 1;
    EXPECT_EQ(body.at("skjerming").at("tilgangsrestriksjon").at("kode"), "SF");
    EXPECT_EQ(body.at("skjerming").at("skjermingMetadata").as_array().size(), 3u);
  }
  EXPECT_EQ(mapper, 1);
  EXPECT_EQ(poster, 1);
  EXPECT_GT(parties, 0);
  // The other protected cases wait in manual handling, filed nowhere.
  EXPECT_EQ(Json(Enrol("--json case list --school S01 --status completed")).as_array().size(), 0u);
}

// A letter drafted before the family became protected holds the address it
// was sent to. Filed on the office's order, it is rendered again without
// any address; that copy is what the archive gets, and the old one is not
// served any more (the office's view and `letters preview` give the new).
TEST_F(ArchiveCliTest, AProtectedCasesArchiveCopyHoldsNoAddressAndTheOldCopyIsNotServed) {
  if (testing::Run("command -v pdftotext").exit_code != 0) GTEST_SKIP() << "pdftotext (poppler-utils) not installed";
  Configure([](json::object& a) {
    a["skjerming"].as_object()["protected"] =
        json::object{{"tilgangsrestriksjon", "SF"}, {"skjermingshjemmel", "Offl. § 13 jf. fvl. § 13 (1) nr.1"},
                     {"mappe", json::array{"NPS", "TM1"}}, {"journalpost", json::array{"NM", "TR1"}}};
  });
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto waiting = Json(Enrol("--json case list --school S01 --state awaiting_approval")).as_array();
  ASSERT_GT(waiting.size(), 0u);
  const std::string key(waiting[0].at("key").as_string());
  const int64_t id = waiting[0].at("id").as_int64();
  // The address in the letter's window, as drafted.
  std::string street, postal;
  {
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db);
    auto q = (*db)->Prepare("SELECT data FROM letters WHERE case_id=? AND copy=1");
    ASSERT_TRUE(q);
    q->Bind(1, id);
    ASSERT_TRUE(*q->Step());
    const json::value d = json::parse(q->ColumnText(0));
    const json::object& to = d.at("delivery").as_array().at(0).as_object();
    street = std::string(to.at("address_lines").as_array().at(0).as_string());
    postal = std::string(to.at("postnummer").as_string());
  }
  ASSERT_EQ(Enrol("letters preview " + key + " --archive-copy --out before.pdf").exit_code, 0);
  ASSERT_NE(testing::Run("cd " + dir_.path().string() + " && pdftotext before.pdf -").out.find(street),
            std::string::npos) << "the drafted letter shows its address";
  json::value extract = json::parse(testing::ReadFile(dir_.File("x.json")));
  testing::ProtectEveryone(extract);
  testing::WriteFile(dir_.File("y.json"), json::serialize(extract));
  ASSERT_EQ(Enrol("import y.json").exit_code, 0);
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  // Before the filing, the copy with the address is refused, not handed out.
  auto refused = Enrol("letters preview " + key + " --archive-copy --out refused.pdf");
  EXPECT_NE(refused.exit_code, 0) << refused.out;
  EXPECT_NE(refused.out.find("protected address"), std::string::npos) << refused.out;
  ASSERT_EQ(Enrol("case event " + key + " archive.protected --data '{\"reason\": \"arkiveres\"}' --as kontoret").exit_code, 0);
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  auto shown = Json(Enrol("--json case show " + key));
  ASSERT_TRUE(shown.at("data").at("receipts").as_object().contains("archive")) << json::serialize(shown);
  // What the archive holds: no street, no postcode, said to be screened.
  auto archive = sql::Database::Open(dir_.File("archive.db"));
  ASSERT_TRUE(archive);
  auto f = (*archive)->Prepare("SELECT content FROM files");
  ASSERT_TRUE(f);
  int files = 0;
  while (*f->Step()) {
    ++files;
    testing::WriteFile(dir_.File("filed.pdf"), f->ColumnText(0));
    const std::string text = testing::Run("cd " + dir_.path().string() + " && pdftotext filed.pdf -").out;
    EXPECT_EQ(text.find(street), std::string::npos) << text;
    EXPECT_EQ(text.find(postal + " "), std::string::npos) << text;
    EXPECT_NE(text.find("Adressen er skjermet"), std::string::npos) << text;
  }
  EXPECT_EQ(files, 1);
  // The old copy is gone: what is served now is the screened one.
  ASSERT_EQ(Enrol("letters preview " + key + " --archive-copy --out after.pdf").exit_code, 0);
  const std::string after = testing::Run("cd " + dir_.path().string() + " && pdftotext after.pdf -").out;
  EXPECT_EQ(after.find(street), std::string::npos) << after;
  ASSERT_EQ(Enrol("letters preview " + key + " --out after-pdf.pdf").exit_code, 0);
  EXPECT_EQ(testing::Run("cd " + dir_.path().string() + " && pdftotext after-pdf.pdf -").out.find(street),
            std::string::npos);
}

TEST_F(ArchiveCliTest, WithoutTheStricterScreeningAProtectedFilingIsRefusedWithWhy) {
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  auto waiting = Json(Enrol("--json case list --school S02 --state awaiting_approval")).as_array();
  ASSERT_GT(waiting.size(), 0u);
  const std::string key(waiting[0].at("key").as_string());
  json::value extract = json::parse(testing::ReadFile(dir_.File("x.json")));
  testing::ProtectEveryone(extract);
  testing::WriteFile(dir_.File("y.json"), json::serialize(extract));
  ASSERT_EQ(Enrol("import y.json").exit_code, 0);
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  ASSERT_EQ(Enrol("case event " + key + " archive.protected --data '{\"reason\": \"x\"}' --as kontoret").exit_code, 0);
  ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
  auto incidents = Enrol("--json incidents list");
  EXPECT_NE(incidents.out.find("skjerming.protected is not configured"), std::string::npos) << incidents.out;
  auto db = sql::Database::Open(dir_.File("archive.db"));
  auto q = (*db)->Prepare("SELECT COUNT(*) FROM objects WHERE kind='journalpost'");
  ASSERT_TRUE(q && *q->Step());
  EXPECT_EQ(q->ColumnInt(0), 0);
}

TEST_F(ArchiveCliTest, AnArchiveThatIsDownBecomesAnIncidentThatNamesNobody) {
  Configure([&](json::object& a) {
    a.erase("simulator_db");
    a["url"] = "http://127.0.0.1:1/noark5v5/";
    a["timeout_ms"] = 2000;
  });
  json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
  cfg.as_object()["workflow"].as_object()["retry"] = json::object{{"attempts", 1}};
  testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  ASSERT_EQ(Enrol("case event --school S01 --state awaiting_approval approve --as sekretaer --run").exit_code, 0);
  auto incidents = Enrol("--json incidents list");
  auto list = Json(incidents).as_array();
  ASSERT_GT(list.size(), 0u);
  for (const auto& i : list) {
    const std::string error(i.at("error").as_string());
    EXPECT_NE(error.find("archive"), std::string::npos) << error;
    EXPECT_NE(error.find("failed"), std::string::npos) << error;
    EXPECT_EQ(NameIn(error), "") << error;
  }
  EXPECT_EQ(NameIn(incidents.out), "");
  EXPECT_EQ(Json(Enrol("--json case list --school S01 --status completed")).as_array().size(), 0u);
}

// Each fault kind the simulator injects, at a share that makes most filings
// take several attempts: every case still ends completed, filed once.
class ArchiveFaultTest : public ArchiveCliTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(ArchiveFaultTest, EveryCaseEndsFiledExactlyOnce) {
  Configure([](json::object& a) {
    json::object f{{"seed", 7}, {"slow_ms", 20}};
    f[GetParam()] = 0.08;
    a["simulator_faults"] = std::move(f);
  });
  json::value cfg = json::parse(testing::ReadFile(dir_.File("config.json")));
  cfg.as_object()["workflow"].as_object()["retry"] =
      json::object{{"attempts", 60}, {"backoff", "PT0.02S"}, {"max_backoff", "PT0.1S"}};
  testing::WriteFile(dir_.File("config.json"), json::serialize(cfg));
  ASSERT_EQ(Enrol("intake --school-year 2027 --grades 1").exit_code, 0);
  const size_t approving = Json(Enrol("--json case list --school S01 --state awaiting_approval")).as_array().size();
  ASSERT_GT(approving, 3u);
  ASSERT_EQ(Enrol("case event --school S01 --state awaiting_approval approve --as sekretaer --run").exit_code, 0);
  // Jobs waiting for their retry are not due at once: run until none waits.
  int64_t queued = -1;
  for (int round = 0; round < 600 && queued != 0; ++round) {
    ASSERT_EQ(Enrol("run --until-idle").exit_code, 0);
    auto db = sql::Database::Open(dir_.File("enrol.db"));
    ASSERT_TRUE(db);
    auto q = (*db)->Prepare("SELECT COUNT(*) FROM jobs WHERE status='queued'");
    ASSERT_TRUE(q && *q->Step());
    queued = q->ColumnInt(0);
    if (queued) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(queued, 0);
  const auto incidents = Enrol("--json incidents list");
  EXPECT_EQ(Json(incidents).as_array().size(), 0u) << incidents.out;
  EXPECT_EQ(Json(Enrol("--json case list --school S01 --status completed")).as_array().size(), approving);
  ExpectOneFilingPerCase(dir_.File("archive.db"), approving);
  // The faults did happen: some archive jobs took more than one attempt (a
  // slow answer is still an answer).
  auto db = sql::Database::Open(dir_.File("enrol.db"));
  auto q = (*db)->Prepare("SELECT MAX(attempts) FROM jobs WHERE type='archive'");
  ASSERT_TRUE(q && *q->Step());
  if (std::string(GetParam()) == "slow") {
    EXPECT_EQ(q->ColumnInt(0), 1);
  } else {
    EXPECT_GT(q->ColumnInt(0), 1);
  }
  EXPECT_EQ(Enrol("audit checkpoint").exit_code, 0);
}

INSTANTIATE_TEST_SUITE_P(Faults, ArchiveFaultTest, ::testing::Values("error", "throttle", "drop", "timeout", "slow"));

TEST_F(ArchiveCliTest, AnIncompleteArchiveSectionIsRefusedWithWhatIsMissing) {
  Configure([](json::object& a) { a.erase("skjerming"); });
  auto r = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("connectors.archive.skjerming is required"), std::string::npos) << r.out;
  Configure([](json::object& a) { a["url"] = "https://arkiv.example/"; });
  r = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("needs one of url"), std::string::npos) << r.out;
  Configure([](json::object& a) {
    a.erase("simulator_db");
    a["url"] = "https://arkiv.example/noark5v5/";
    a["oauth2"] = json::object{{"token_url", "https://login.example/token"},
                               {"client_id_env", "ENROL_TEST_UNSET_CLIENT_ID"},
                               {"client_secret_env", "ENROL_TEST_UNSET_SECRET"}};
  });
  r = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.out.find("names ENROL_TEST_UNSET_CLIENT_ID, which is not set"), std::string::npos) << r.out;
  Configure([](json::object& a) { a["protocol"] = "esa"; });
  r = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_NE(r.out.find("'esa' is not known"), std::string::npos) << r.out;
  Configure([](json::object& a) { a["folder"] = "/tmp/fiks"; });
  r = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_NE(r.out.find("connectors.archive.folder is a fiks-arkiv setting"), std::string::npos) << r.out;
  Configure([&](json::object& a) {
    a["protocol"] = "fiks-arkiv";
    a.erase("arkivdel");
    a["folder"] = dir_.File("fiks");
  });
  r = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_NE(r.out.find("needs one of url (the archive's endpoint), folder"), std::string::npos) << r.out;
  Configure([&](json::object& a) {
    a["protocol"] = "fiks-arkiv";
    a.erase("arkivdel");
    a.erase("simulator_db");
    a["folder"] = dir_.File("fiks");
    a["poll_ms"] = 5;
  });
  r = Enrol("intake --school-year 2027 --grades 1");
  EXPECT_NE(r.out.find("connectors.archive.poll_ms must be a number from 100 to 86400000"), std::string::npos) << r.out;
  EXPECT_EQ(Json(Enrol("--json case list")).as_array().size(), 0u);  // nothing was started
}

}  // namespace
}  // namespace enrol
