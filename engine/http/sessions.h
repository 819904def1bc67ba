#pragma once
// Signed-in sessions of the web app, in memory (a restart signs everyone
// out). A session is found by its cookie's token: 32 random bytes, kept
// here only as their SHA-256, so a dump of this process's memory does not
// give a usable cookie. It ends after `idle_ms` without a request and after
// `absolute_ms` in any case. Each session has its own CSRF token, which
// every state-changing request must echo in X-CSRF-Token. Pure apart from
// the token source it is given.

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace enrol::web {

struct Session {
  std::string user;   // the user's name; role and schools are read afresh per request
  // A stamp of the user's password hash at sign-in (SHA-256 of it, never
  // the hash): a request whose user's stamp differs now, after the password
  // was changed, ends the session.
  std::string credential;
  std::string csrf;
  int64_t created_ms = 0;
  int64_t seen_ms = 0;
  int64_t active_ms = 0;  // time in use: gaps between requests, each counted up to 5 minutes
};

// The stamp kept in a session for a user's password hash.
[[nodiscard]] std::string CredentialStamp(const std::string& password_hash);

class SessionStore {
 public:
  using TokenSource = std::function<std::string()>;  // a fresh random token (URL-safe)
  SessionStore(TokenSource tokens, int64_t idle_ms, int64_t absolute_ms, size_t max_sessions = 20000)
      : tokens_(std::move(tokens)), idle_ms_(idle_ms), absolute_ms_(absolute_ms), max_(max_sessions) {}

  // A new session; returns its cookie token.
  std::string Create(const std::string& user, const std::string& credential, int64_t now_ms);
  // The live session of `token` (its last-seen time moved to now), or none.
  std::optional<Session> Touch(const std::string& token, int64_t now_ms);
  void Drop(const std::string& token);
  // Time in use since the last call, per user (for the saving figures).
  std::map<std::string, int64_t> TakeActiveTime();
  [[nodiscard]] size_t size() const { return sessions_.size(); }

 private:
  void Expire(int64_t now_ms);
  TokenSource tokens_;
  int64_t idle_ms_, absolute_ms_;
  size_t max_;
  std::map<std::string, Session> sessions_;  // by SHA-256 of the token
  std::map<std::string, int64_t> active_;
  int64_t last_sweep_ms_ = 0;
};

}  // namespace enrol::web
