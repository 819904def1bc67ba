#include "engine/http/sessions.h"

#include <algorithm>

#include "engine/core/sha256.h"

namespace enrol::web {

namespace {
constexpr int64_t kCountedGapMs = 5 * 60 * 1000;
}

std::string CredentialStamp(const std::string& password_hash) {
  return core::Sha256Hex("enrol-session-credential\n" + password_hash);
}

std::string SessionStore::Create(const std::string& user, const std::string& credential, int64_t now_ms) {
  Expire(now_ms);
  if (sessions_.size() >= max_) {
    // Full: the session seen least recently goes.
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                   [](const auto& a, const auto& b) { return a.second.seen_ms < b.second.seen_ms; });
    sessions_.erase(oldest);
  }
  const std::string token = tokens_();
  Session s;
  s.user = user;
  s.credential = credential;
  s.csrf = tokens_();
  s.created_ms = now_ms;
  s.seen_ms = now_ms;
  sessions_[core::Sha256Hex(token)] = s;
  return token;
}

std::optional<Session> SessionStore::Touch(const std::string& token, int64_t now_ms) {
  if (now_ms - last_sweep_ms_ > 60000) Expire(now_ms);
  if (token.empty() || token.size() > 200) return std::nullopt;
  auto it = sessions_.find(core::Sha256Hex(token));
  if (it == sessions_.end()) return std::nullopt;
  Session& s = it->second;
  if (now_ms - s.seen_ms > idle_ms_ || now_ms - s.created_ms > absolute_ms_) {
    sessions_.erase(it);
    return std::nullopt;
  }
  const int64_t gap = std::clamp<int64_t>(now_ms - s.seen_ms, 0, kCountedGapMs);
  s.active_ms += gap;
  active_[s.user] += gap;
  s.seen_ms = now_ms;
  return s;
}

void SessionStore::Drop(const std::string& token) { sessions_.erase(core::Sha256Hex(token)); }

std::map<std::string, int64_t> SessionStore::TakeActiveTime() {
  std::map<std::string, int64_t> out;
  out.swap(active_);
  return out;
}

void SessionStore::Expire(int64_t now_ms) {
  last_sweep_ms_ = now_ms;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (now_ms - it->second.seen_ms > idle_ms_ || now_ms - it->second.created_ms > absolute_ms_) {
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace enrol::web
