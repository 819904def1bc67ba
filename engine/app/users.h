#pragma once
// The web app's local users: who may sign in, in which role, for which
// schools. Passwords are hashed by the PasswordHasher port (Argon2id in
// engine/auth) and never stored, logged or printed; the service checks
// names, roles, schools and password strength, and says what is wrong.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/municipality.h"
#include "engine/core/result.h"

namespace enrol::app {

enum class Role { kAdmin, kSecretary, kAuditor };
[[nodiscard]] std::string RoleName(Role r);
[[nodiscard]] std::optional<Role> ParseRole(const std::string& s);

struct User {
  int64_t id = 0;
  std::string name;
  Role role = Role::kSecretary;
  std::vector<std::string> schools;  // a secretary's; empty for the others
  std::string password_hash;
  bool disabled = false;
  int failed_logins = 0;
  int64_t locked_until = 0;
  std::string created_at, updated_at;
};

class UserStore {
 public:
  virtual ~UserStore() = default;
  [[nodiscard]] virtual Result<std::optional<User>> FindUser(const std::string& name) = 0;
  // AlreadyExists when the name is taken.
  [[nodiscard]] virtual Status InsertUser(const User& u) = 0;
  [[nodiscard]] virtual Status UpdateUser(const User& u) = 0;
  [[nodiscard]] virtual Result<std::vector<User>> ListUsers() = 0;
  // Time a user spent in the web app on a day (added to what is there).
  [[nodiscard]] virtual Status AddActiveTime(const std::string& name, const std::string& role, const std::string& day,
                                             int64_t ms) = 0;
  // All time spent in the web app by users of `role`, in ms.
  [[nodiscard]] virtual Result<int64_t> ActiveTime(const std::string& role) = 0;
};

class PasswordHasher {
 public:
  virtual ~PasswordHasher() = default;
  [[nodiscard]] virtual Result<std::string> Hash(const std::string& password) = 0;
  // False for a wrong password; an error only when the hash is not one.
  [[nodiscard]] virtual Result<bool> Verify(const std::string& hash, const std::string& password) = 0;
};

class UserService {
 public:
  UserService(UserStore& store, PasswordHasher& hasher, const core::Municipality& municipality)
      : store_(store), hasher_(hasher), municipality_(municipality) {}

  // `at` is the time for created_at/updated_at.
  [[nodiscard]] Status Add(const std::string& name, const std::string& role, const std::vector<std::string>& schools,
                           const std::string& password, const std::string& at);
  [[nodiscard]] Status SetPassword(const std::string& name, const std::string& password, const std::string& at);
  [[nodiscard]] Status Disable(const std::string& name, const std::string& at);
  [[nodiscard]] Result<std::vector<User>> List() { return store_.ListUsers(); }

  // Signing in. After kMaxFailures wrong passwords in a row the user is
  // locked for kLockMs; each failure asks for a growing delay before the
  // answer. An unknown or disabled name costs the same hash verification as
  // a known one and gets the same answer as a wrong password.
  static constexpr int kMaxFailures = 5;
  static constexpr int64_t kLockMs = 15 * 60 * 1000;
  struct SignIn {
    std::optional<User> user;  // set when signed in
    int64_t locked_ms = 0;     // locked: how long still
    int64_t delay_ms = 0;      // wait this long before answering
  };
  [[nodiscard]] Result<SignIn> Authenticate(const std::string& name, const std::string& password, int64_t now_ms,
                                            const std::string& at);
  // The user as stored now (for a session: disabled or changed since?).
  [[nodiscard]] Result<std::optional<User>> Find(const std::string& name) { return store_.FindUser(name); }
  // Time spent in the web app: added per user and day, summed per role.
  [[nodiscard]] Status AddActiveTime(const std::string& name, const std::string& role, const std::string& day,
                                     int64_t ms) {
    return store_.AddActiveTime(name, role, day, ms);
  }
  [[nodiscard]] Result<int64_t> ActiveTime(const std::string& role) { return store_.ActiveTime(role); }

 private:
  UserStore& store_;
  PasswordHasher& hasher_;
  const core::Municipality& municipality_;
  std::string dummy_hash_;  // verified for unknown names
};

// "" when acceptable, else why not: at least 12 characters, at most 1024,
// not the user's name.
[[nodiscard]] std::string PasswordProblem(const std::string& name, const std::string& password);

}  // namespace enrol::app
