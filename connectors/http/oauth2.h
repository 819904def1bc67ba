#pragma once
// OAuth2 client credentials (RFC 6749 §4.4) for a connector: a token is
// fetched from the token endpoint with the client's id and secret (HTTP
// Basic, §2.3.1), kept until shortly before it expires, and sent as a
// bearer token; a 401 fetches a fresh one and sends the request once more
// (a 401 means the request was not applied). The id and secret come from
// environment variables named in the configuration, never from the file;
// neither they nor the token appear in any message.

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "engine/net/http_message.h"

namespace enrol::http {

struct OAuth2Settings {
  std::string token_url;
  std::string client_id;
  std::string client_secret;
  std::string scope;  // "" : none asked
};

class TokenSource {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  TokenSource(OAuth2Settings settings, Transport& transport, Clock clock = std::chrono::steady_clock::now);
  // The current token, fetched when there is none or it is about to expire.
  [[nodiscard]] Result<std::string> Token();
  // Forget the token (the server refused it).
  void Invalidate();
  [[nodiscard]] int fetches() const { return fetches_; }

 private:
  OAuth2Settings s_;
  Transport& transport_;
  Clock clock_;
  std::mutex mu_;
  std::string token_;
  std::chrono::steady_clock::time_point expires_{};
  int fetches_ = 0;
};

// A transport that sends each request with the source's bearer token.
class AuthorizedTransport final : public Transport {
 public:
  AuthorizedTransport(TokenSource& tokens, Transport& inner) : tokens_(tokens), inner_(inner) {}
  [[nodiscard]] Result<Response> Send(const Request& request) override;

 private:
  TokenSource& tokens_;
  Transport& inner_;
};

std::string Base64(const std::string& bytes);

}  // namespace enrol::http
