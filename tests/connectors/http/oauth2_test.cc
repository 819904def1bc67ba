// OAuth2 client credentials: the token is fetched with the client's id and
// secret, kept until shortly before it expires, renewed after a 401, and
// never shows in an error.
#include "connectors/http/oauth2.h"

#include <functional>

#include <gtest/gtest.h>

namespace enrol::http {
namespace {

// A test double playing the token endpoint and an API behind it.
class FakeServer final : public Transport {
 public:
  Result<Response> Send(const Request& r) override {
    Response res;
    if (r.url == "https://login.test/token") {
      ++token_requests;
      last_token_request = r;
      if (r.Header("authorization") != "Basic " + Base64("enrol-client:s3cr%C3%A9t")) {
        res.status = 401;
        res.body = R"({"error":"invalid_client"})";
        return res;
      }
      if (token_down) {
        res.status = 503;
        return res;
      }
      res.status = 200;
      res.body = R"({"access_token":"tok-)" + std::to_string(token_requests) + R"(","token_type":"Bearer","expires_in":3600})";
      return res;
    }
    ++api_requests;
    res.status = r.Header("authorization") == "Bearer " + accepted ? 200 : 401;
    return res;
  }
  int token_requests = 0, api_requests = 0;
  bool token_down = false;
  std::string accepted = "tok-1";
  Request last_token_request;
};

class OAuth2Test : public ::testing::Test {
 protected:
  OAuth2Settings Settings(const std::string& secret = "s3cré" "t") {
    return OAuth2Settings{"https://login.test/token", "enrol-client", secret, "noark5"};
  }
  Request Api() {
    Request r;
    r.url = "https://arkiv.test/noark5v5/";
    return r;
  }
  FakeServer server_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
  TokenSource::Clock clock_ = [this] { return now_; };
};

TEST_F(OAuth2Test, Base64IsRfc4648) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
}

TEST_F(OAuth2Test, ATokenIsFetchedOnceAndSentAsBearer) {
  TokenSource tokens(Settings(), server_, clock_);
  AuthorizedTransport t(tokens, server_);
  for (int i = 0; i < 3; ++i) {
    auto r = t.Send(Api());
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(server_.token_requests, 1);
  EXPECT_EQ(server_.last_token_request.body, "grant_type=client_credentials&scope=noark5");
  EXPECT_EQ(server_.last_token_request.Header("content-type"), "application/x-www-form-urlencoded");
}

TEST_F(OAuth2Test, ATokenNearItsExpiryIsRenewed) {
  TokenSource tokens(Settings(), server_, clock_);
  ASSERT_EQ(*tokens.Token(), "tok-1");
  now_ += std::chrono::seconds(3600 - 61);
  EXPECT_EQ(*tokens.Token(), "tok-1");
  now_ += std::chrono::seconds(2);  // within the last minute
  EXPECT_EQ(*tokens.Token(), "tok-2");
}

TEST_F(OAuth2Test, A401FetchesAFreshTokenAndSendsOnceMore) {
  TokenSource tokens(Settings(), server_, clock_);
  AuthorizedTransport t(tokens, server_);
  ASSERT_EQ(t.Send(Api())->status, 200);
  server_.accepted = "tok-2";  // the server revoked the first
  auto r = t.Send(Api());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(server_.token_requests, 2);
  EXPECT_EQ(server_.api_requests, 3);
  server_.accepted = "never";  // still refused: the 401 is the answer, not a loop
  EXPECT_EQ(t.Send(Api())->status, 401);
  EXPECT_EQ(server_.api_requests, 5);
}

TEST_F(OAuth2Test, AWrongSecretIsPermanentAndNamesNoSecret) {
  TokenSource tokens(Settings("wrong-secret"), server_, clock_);
  auto r = tokens.Token();
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_NE(r.error().message.find("invalid_client"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("wrong-secret"), std::string::npos);
  EXPECT_EQ(r.error().message.find("enrol-client:"), std::string::npos);
}

TEST_F(OAuth2Test, AStrangeLifetimeIsTakenAsFiveMinutes) {
  class Odd final : public Transport {
   public:
    Result<Response> Send(const Request&) override {
      Response r;
      r.status = 200;
      r.body = R"({"access_token":"t","expires_in":1e300})";
      ++n;
      return r;
    }
    int n = 0;
  } odd;
  TokenSource tokens(Settings(), odd, clock_);
  ASSERT_TRUE(tokens.Token());
  now_ += std::chrono::seconds(200);
  ASSERT_TRUE(tokens.Token());
  EXPECT_EQ(odd.n, 1);
  now_ += std::chrono::seconds(50);  // past 300 - 60
  ASSERT_TRUE(tokens.Token());
  EXPECT_EQ(odd.n, 2);
}

TEST_F(OAuth2Test, ATokenEndpointThatIsDownIsRetryable) {
  server_.token_down = true;
  TokenSource tokens(Settings(), server_, clock_);
  AuthorizedTransport t(tokens, server_);
  auto r = t.Send(Api());
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(server_.api_requests, 0);
}

}  // namespace
}  // namespace enrol::http
