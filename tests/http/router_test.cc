// The web server's pure router: health, metrics, and errors as JSON with the
// status the error vocabulary maps to; every answer with the security
// headers.
#include "engine/http/router.h"

#include <gtest/gtest.h>

namespace enrol::web {
namespace {

app::OperationalCounts Counts() {
  app::OperationalCounts c;
  c.cases[{"active", "awaiting_approval"}] = 12;
  c.cases[{"completed", ""}] = 30;
  c.jobs[{"archive", "queued"}] = 4;
  c.jobs_leased = 2;
  c.incidents_open = 1;
  return c;
}

http::Request Get(const std::string& target, const std::string& method = "GET") {
  http::Request r;
  r.method = method;
  r.target = target;
  return r;
}

TEST(RouterTest, HealthSaysOkWhileTheDatabaseAnswers) {
  bool up = true;
  Router router([&]() -> Result<app::OperationalCounts> {
    if (!up) return Unavailable("database is locked");
    return Counts();
  });
  http::Response ok = router.Handle(Get("/healthz"));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body, R"({"status":"ok"})");
  EXPECT_EQ(ok.Header("x-content-type-options"), "nosniff");
  EXPECT_EQ(ok.Header("x-frame-options"), "DENY");
  EXPECT_EQ(ok.Header("cache-control"), "no-store");
  up = false;
  http::Response down = router.Handle(Get("/healthz"));
  EXPECT_EQ(down.status, 503);
  EXPECT_NE(down.body.find("the database does not answer"), std::string::npos);
  EXPECT_EQ(down.body.find("locked"), std::string::npos);  // no internals to the outside
}

TEST(RouterTest, MetricsAreInPrometheusFormat) {
  Router router([] { return Result<app::OperationalCounts>(Counts()); });
  (void)router.Handle(Get("/healthz"));
  (void)router.Handle(Get("/nowhere"));
  http::Response m = router.Handle(Get("/metrics"));
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(m.Header("content-type").rfind("text/plain; version=0.0.4", 0), 0u);
  for (const char* want : {"enrol_cases{status=\"active\",state=\"awaiting_approval\"} 12",
                           "enrol_cases{status=\"completed\",state=\"\"} 30",
                           "enrol_jobs{type=\"archive\",status=\"queued\"} 4", "enrol_jobs_in_flight 2",
                           "enrol_incidents_open 1",
                           "enrol_http_request_duration_seconds_count{route=\"/healthz\",status=\"200\"} 1",
                           "enrol_http_request_duration_seconds_count{route=\"other\",status=\"404\"} 1",
                           "# TYPE enrol_http_request_duration_seconds histogram"}) {
    EXPECT_NE(m.body.find(want), std::string::npos) << want << "\n" << m.body;
  }
}

TEST(RouterTest, WrongMethodsAndPathsAreJsonErrors) {
  Router router([] { return Result<app::OperationalCounts>(Counts()); });
  http::Response post = router.Handle(Get("/healthz", "POST"));
  EXPECT_EQ(post.status, 405);
  EXPECT_EQ(post.Header("allow"), "GET");
  EXPECT_EQ(post.Header("content-type"), "application/json");
  http::Response missing = router.Handle(Get("/../../etc/passwd"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, R"({"error":{"code":"not_found","message":"no such resource"}})");
}

TEST(RouterTest, EachErrorCodeHasItsStatus) {
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kAborted), 503);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kDeadlineExceeded), 504);
  EXPECT_EQ(HttpStatusFor(ErrorCode::kInternal), 500);
}

}  // namespace
}  // namespace enrol::web
