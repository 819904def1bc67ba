// The OneRoster 1.2 student-system client against the student-system
// simulator: the pupil, the guardians and the placement arrive once and
// intact, a repeat changes nothing, another school updates the one
// enrollment, an ended case marks it tobedeleted; the payloads validate
// against the official rostering OpenAPI; faults and refusals are errors
// that say what and name nobody.
#include "connectors/student_system/oneroster_client.h"

#include <filesystem>

#include <boost/json.hpp>
#include <map>

#include <gtest/gtest.h>

#include "connectors/simulators/fault_plan.h"
#include "connectors/simulators/noark5_archive.h"
#include "connectors/simulators/oneroster_sis.h"
#include "engine/app/student_system_service.h"
#include "connectors/student_system/pifu_ims.h"
#include "tests/support/test_support.h"
#include "tests/support/xml_schema.h"

namespace enrol::sis {
namespace {

namespace json = boost::json;

app::RosterEnrolment Enrolment(const std::string& school = "974100100") {
  app::RosterEnrolment e;
  e.pupil = app::RosterPerson{"elev-0123456789abcdef0123456789abcdef", "Ola", "", "Testesen"};
  e.guardians = {app::RosterPerson{"foresatt-aaaa", "Kari", "", "Testesen"},
                 app::RosterPerson{"foresatt-bbbb", "Per", "Mellom", "Testesen"}};
  e.school_id = "skole-" + school;
  e.school_name = "Fjordvik skole";
  e.school_org_number = school;
  e.school_year = 2027;
  e.grade = 1;
  e.session_id = "skoleaar-2027-2028";
  e.course_id = "trinn-1-2027";
  e.class_id = "basisgruppe-" + school + "-2027-1";
  e.enrollment_id = "elevforhold-0123";
  e.begin_date = "2027-08-01";
  e.end_date = "2028-07-31";
  e.modified = "2027-03-01T09:00:00.000Z";
  e.reference_modified = "2027-01-01T00:00:00.000Z";
  return e;
}

class OneRosterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = sim::OneRosterSis::Open("");
    ASSERT_TRUE(s) << s.error().message;
    sis_ = std::move(*s);
  }
  sim::LoopbackTransport Loop(sim::FaultPlan* faults = nullptr) {
    sim::OneRosterSis* s = sis_.get();
    return sim::LoopbackTransport([s](const http::Request& r) { return s->Handle(r); },
                                  [s] { return s->NextRequestNumber(); }, faults);
  }
  OneRosterSettings Settings() { return OneRosterSettings{"http://sis.test/ims/oneroster/rostering/v1p2/", ""}; }
  http::Response Get(const std::string& target) {
    http::Request r;
    r.target = target;
    r.headers["host"] = "sis.test";
    return sis_->Handle(r);
  }
  // sourcedId -> {versions, puts, status}
  std::map<std::string, json::object> Inspect() {
    std::map<std::string, json::object> out;
    const json::value v = json::parse(Get("/sis/inspect").body);
    for (const auto& o : v.at("objects").as_array()) out[std::string(o.at("sourcedId").as_string())] = o.as_object();
    return out;
  }
  std::unique_ptr<sim::OneRosterSis> sis_;
};

TEST_F(OneRosterTest, ThePupilArrivesOnceAndIntact) {
  auto t = Loop();
  OneRosterClient client(Settings(), t);
  auto r = client.Enter(Enrolment(), 5000);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->at("user_sourcedId"), "elev-0123456789abcdef0123456789abcdef");
  EXPECT_EQ(r->at("status"), "active");
  EXPECT_EQ(r->at("requests"), 8);
  auto c = *sis_->Counts();
  EXPECT_EQ(c["users"], 3);
  EXPECT_EQ(c["enrollments"], 1);
  EXPECT_EQ(c["orgs"], 1);
  EXPECT_EQ(c["classes"], 1);
  // Read back by the standard endpoints.
  const json::value user = json::parse(Get("/ims/oneroster/rostering/v1p2/users/elev-0123456789abcdef0123456789abcdef").body);
  EXPECT_EQ(user.at("user").at("givenName"), "Ola");
  EXPECT_EQ(user.at("user").at("roles").at(0).at("role"), "student");
  EXPECT_EQ(user.at("user").at("agents").as_array().size(), 2u);
  const json::value enr = json::parse(Get("/ims/oneroster/rostering/v1p2/enrollments/elevforhold-0123").body);
  EXPECT_EQ(enr.at("enrollment").at("class").at("sourcedId"), "basisgruppe-974100100-2027-1");
  EXPECT_EQ(enr.at("enrollment").at("school").at("sourcedId"), "skole-974100100");
  // A repeat (a retry, a second worker) changes nothing.
  ASSERT_TRUE(client.Enter(Enrolment(), 5000));
  for (const auto& [id, o] : Inspect()) EXPECT_EQ(o.at("versions"), 1) << id;
}

TEST_F(OneRosterTest, AnotherSchoolUpdatesTheOneEnrollmentAndAnEndedCaseEndsIt) {
  auto t = Loop();
  OneRosterClient client(Settings(), t);
  ASSERT_TRUE(client.Enter(Enrolment("974100100"), 5000));
  app::RosterEnrolment moved = Enrolment("974200200");
  moved.modified = "2027-04-01T09:00:00.000Z";
  ASSERT_TRUE(client.Enter(moved, 5000));
  EXPECT_EQ((*sis_->Counts())["enrollments"], 1);
  auto objects = Inspect();
  EXPECT_EQ(objects.at("elevforhold-0123").at("versions"), 2);
  const json::value enr = json::parse(Get("/ims/oneroster/rostering/v1p2/enrollments/elevforhold-0123").body);
  EXPECT_EQ(enr.at("enrollment").at("school").at("sourcedId"), "skole-974200200");
  app::RosterEnrolment ended = moved;
  ended.ended = true;
  auto r = client.Enter(ended, 5000);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->at("status"), "tobedeleted");
  EXPECT_EQ(Inspect().at("elevforhold-0123").at("status"), "tobedeleted");
}

// Twins share their guardians: the second case's guardian objects are the
// first's byte for byte (not a change at the student system only because
// the two cases' jobs were made at different times).
TEST(OneRosterPayloadTest, ASharedGuardianIsSentAlikeByTwinsCases) {
  app::RosterEnrolment first = Enrolment();
  app::RosterEnrolment twin = Enrolment();
  twin.pupil = app::RosterPerson{"elev-fedcba9876543210fedcba9876543210", "Kari", "", "Testesen"};
  twin.enrollment_id = "elevforhold-0124";
  twin.modified = "2027-03-01T09:00:07.000Z";  // its job was made a little later
  std::map<std::string, std::string> a, b;
  for (auto& [path, body] : OneRosterClient::Payloads(first)) a[path] = json::serialize(body);
  for (auto& [path, body] : OneRosterClient::Payloads(twin)) b[path] = json::serialize(body);
  for (const char* g : {"users/foresatt-aaaa", "users/foresatt-bbbb"}) {
    ASSERT_TRUE(a.count(g) && b.count(g)) << g;
    EXPECT_EQ(a[g], b[g]) << g;
  }
  // The pupils' own objects differ, as they should.
  EXPECT_NE(a.count("users/" + first.pupil.sourced_id), 0u);
}

TEST_F(OneRosterTest, TheCollectionsPageWithTheStandardEnvelopeAndHeaders) {
  auto t = Loop();
  OneRosterClient client(Settings(), t);
  for (int i = 0; i < 3; ++i) {
    app::RosterEnrolment e = Enrolment();
    e.pupil.sourced_id = "elev-" + std::to_string(i);
    e.enrollment_id = "elevforhold-" + std::to_string(i);
    ASSERT_TRUE(client.Enter(e, 5000));
  }
  const http::Response page = Get("/ims/oneroster/rostering/v1p2/users?limit=2&offset=0");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.Header("x-total-count"), "5");  // three pupils, two guardians
  EXPECT_NE(page.Header("link").find("rel=\"next\""), std::string::npos) << page.Header("link");
  EXPECT_EQ(json::parse(page.body).at("users").as_array().size(), 2u);
  const http::Response last = Get("/ims/oneroster/rostering/v1p2/users?limit=2&offset=4");
  EXPECT_EQ(json::parse(last.body).at("users").as_array().size(), 1u);
  EXPECT_EQ(last.Header("link").find("rel=\"next\""), std::string::npos);
  EXPECT_EQ(Get("/ims/oneroster/rostering/v1p2/users?limit=0").status, 400);
  EXPECT_EQ(Get("/ims/oneroster/rostering/v1p2/users?offset=-1").status, 400);
  const http::Response missing = Get("/ims/oneroster/rostering/v1p2/users/nobody");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body).at("imsx_codeMajor"), "failure");
  EXPECT_EQ(Get("/ims/oneroster/rostering/v1p2/orgs").status, 200);
  EXPECT_EQ(Get("/ims/oneroster/rostering/v1p2/secrets").status, 404);
}

TEST_F(OneRosterTest, TheSimulatorRefusesWhatIsMalformedOrPointsNowhere) {
  auto put = [&](const std::string& path, const std::string& body) {
    http::Request r;
    r.method = "PUT";
    r.target = "/ims/oneroster/rostering/v1p2/" + path;
    r.headers["content-type"] = "application/json";
    r.body = body;
    return sis_->Handle(r);
  };
  EXPECT_EQ(put("users/a", "not json").status, 400);
  EXPECT_EQ(put("users/a", R"({"person": {}})").status, 400);
  EXPECT_EQ(put("users/a", R"({"user": {"sourcedId": "b"}})").status, 400);
  const http::Response missing = put("users/a", R"({"user": {"sourcedId": "a", "status": "active", "dateLastModified": "x"}})");
  EXPECT_EQ(missing.status, 400);
  EXPECT_NE(missing.body.find("enabledUser is required"), std::string::npos) << missing.body;
  // An enrollment of a pupil it does not hold.
  auto body = OneRosterClient::Payloads(Enrolment()).back();
  const http::Response dangling = put(body.first, json::serialize(body.second));
  EXPECT_EQ(dangling.status, 422);
  EXPECT_NE(dangling.body.find("does not hold"), std::string::npos) << dangling.body;
  EXPECT_TRUE(sis_->Counts()->empty());
}

TEST_F(OneRosterTest, FaultsAreRetryableAndRefusalsPermanentAndNameNobody) {
  sim::FaultOptions o;
  o.error_share = 1;
  sim::FaultPlan plan(o);
  auto down = Loop(&plan);
  auto r = OneRosterClient(Settings(), down).Enter(Enrolment(), 5000);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(r.error().message.find("Testesen"), std::string::npos);
  // A base URL the system does not serve: 404 is permanent.
  auto t = Loop();
  auto wrong = OneRosterClient(OneRosterSettings{"http://sis.test/oneroster", ""}, t).Enter(Enrolment(), 5000);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(wrong.error().message.find("HTTP 404"), std::string::npos) << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find("Ola"), std::string::npos);
}

TEST(OneRosterIdsTest, IdsAreStableHashesAndUuidV7TimesRead) {
  EXPECT_EQ(app::RosterId("elev", "5099", "01010112345"), app::RosterId("elev", "5099", "01010112345"));
  EXPECT_NE(app::RosterId("elev", "5099", "01010112345"), app::RosterId("elev", "5098", "01010112345"));
  EXPECT_EQ(app::RosterId("elev", "5099", "01010112345").find("01010112345"), std::string::npos);
  EXPECT_EQ(app::UuidV7Millis("0192f1a0-0000-7000-8000-000000000001"), 0x0192f1a00000LL);
  EXPECT_EQ(app::UuidV7Millis("job-1"), -1);
  EXPECT_EQ(app::UuidV7Millis("0192f1a0-0000-4000-8000-000000000001"), -1);  // a v4
}

// The payloads validate against the official OneRoster 1.2 rostering
// OpenAPI, and the validator does catch what the standard forbids.
class OneRosterSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::HaveReference("student-system/oneroster-1.2/onerosterv1p2rostersservice_openapi3_v1p0.json")) GTEST_SKIP() << "../shared is absent: the OneRoster OpenAPI is not available";
    if (testing::Run("/usr/bin/python3 -c 'import jsonschema'").exit_code != 0) {
      GTEST_FAIL() << "python3-jsonschema is missing (scripts/setup installs it)";
    }
  }
  testing::CommandResult Validate(const json::array& pairs) {
    const std::string path = dir_.File("payloads.json");
    testing::WriteFile(path, json::serialize(pairs));
    return testing::Run("/usr/bin/python3 " + testing::SourceDir() +
                        "/tests/connectors/student_system/validate_oneroster.py " + testing::Reference("student-system/oneroster-1.2/onerosterv1p2rostersservice_openapi3_v1p0.json") + " " + path);
  }
  static const char* SchemaOf(const std::string& path) {
    const std::string c = path.substr(0, path.find('/'));
    if (c == "academicSessions") return "SingleAcademicSessionDType";
    if (c == "orgs") return "SingleOrgDType";
    if (c == "courses") return "SingleCourseDType";
    if (c == "classes") return "SingleClassDType";
    if (c == "users") return "SingleUserDType";
    return "SingleEnrollmentDType";
  }
  testing::TempDir dir_;
};

TEST_F(OneRosterSchemaTest, EveryPayloadValidates) {
  json::array pairs;
  app::RosterEnrolment ended = Enrolment();
  ended.ended = true;
  for (const auto& e : {Enrolment(), ended}) {
    for (auto& [path, body] : OneRosterClient::Payloads(e)) pairs.push_back(json::array{SchemaOf(path), body});
  }
  auto r = Validate(pairs);
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("16 payloads, 0 errors"), std::string::npos) << r.out;
}

TEST_F(OneRosterSchemaTest, TheValidatorCatchesABooleanWhereTheStandardWantsAString) {
  auto payloads = OneRosterClient::Payloads(Enrolment());
  json::object user = payloads.back().second;  // the enrollment
  user = payloads[payloads.size() - 2].second;  // the pupil
  user["user"].as_object()["enabledUser"] = true;
  user["user"].as_object()["nickname"] = "Olemann";
  auto r = Validate(json::array{json::array{"SingleUserDType", user}});
  EXPECT_EQ(r.exit_code, 1) << r.out;
  EXPECT_NE(r.out.find("enabledUser"), std::string::npos) << r.out;
}

// PIFU-IMS: the document for a drop folder validates against the XSD, says
// what the OneRoster objects say, and is rewritten byte for byte on a retry.
PifuSettings Pifu(const std::string& folder) { return PifuSettings{folder, "enrol-5099", "5099", "Fjordvik kommune"}; }

TEST(PifuTest, TheDocumentValidatesAgainstThePifuImsSchema) {
  if (!testing::HaveReference("student-system/pifu-ims/PIFU-IMS_SAS.xsd")) GTEST_SKIP() << "the PIFU-IMS XSD is not available";
  const std::string xsd = testing::Reference("student-system/pifu-ims/PIFU-IMS_SAS.xsd");
  app::RosterEnrolment ended = Enrolment();
  ended.ended = true;
  for (const auto& e : {Enrolment(), ended}) EXPECT_EQ(testing::ValidateXml(xsd, BuildPifuDocument(e, Pifu(""))), "");
  // The validator does catch a document that breaks the schema.
  std::string broken = BuildPifuDocument(Enrolment(), Pifu(""));
  const std::string school = "<typevalue level=\"2\">skole<";
  broken.replace(broken.find(school), school.size(), "<typevalue level=\"2\">klasserom<");
  const std::string why = testing::ValidateXml(xsd, broken);
  EXPECT_NE(why.find("klasserom"), std::string::npos) << why;
}

TEST(PifuTest, TheDocumentCarriesThePupilGuardiansSchoolAndClass) {
  const std::string doc = BuildPifuDocument(Enrolment(), Pifu(""));
  for (const char* want : {"elev-0123456789abcdef0123456789abcdef", "foresatt-aaaa", "foresatt-bbbb",
                           "pifu_hasContactPerson type=\"guardian\"", "skole-974100100", "basisgruppe-974100100-2027-1",
                           "<adminperiod>2027/2028</adminperiod>", "<pifu_value>974100100</pifu_value>",
                           "<type>delta</type>", "roletype=\"01\""}) {
    EXPECT_NE(doc.find(want), std::string::npos) << want;
  }
  app::RosterEnrolment ended = Enrolment();
  ended.ended = true;
  EXPECT_NE(BuildPifuDocument(ended, Pifu("")).find("<status>0</status>"), std::string::npos);
}

TEST(PifuTest, TheFolderGetsOneFilePerJobRewrittenTheSameOnARetry) {
  testing::TempDir dir;
  PifuFolderClient client(Pifu(dir.File("pifu")));
  auto first = client.Enter(Enrolment(), 5000);
  ASSERT_TRUE(first) << first.error().message;
  const std::string file = dir.File("pifu/" + std::string(first->at("file").as_string()));
  const std::string bytes = testing::ReadFile(file);
  ASSERT_FALSE(bytes.empty());
  ASSERT_TRUE(client.Enter(Enrolment(), 5000));
  EXPECT_EQ(testing::ReadFile(file), bytes);
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("pifu"))) {
    EXPECT_NE(entry.path().filename().string()[0], '.') << "a temporary file was left";
    ++files;
  }
  EXPECT_EQ(files, 1u);
  app::RosterEnrolment later = Enrolment("974200200");
  later.modified = "2027-04-01T09:00:00.000Z";
  ASSERT_TRUE(client.Enter(later, 5000));
  files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.File("pifu"))) files += entry.is_regular_file();
  EXPECT_EQ(files, 2u);  // the changed decision is a later document
}

}  // namespace
}  // namespace enrol::sis
