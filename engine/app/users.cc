#include "engine/app/users.h"

#include <algorithm>
#include <set>

namespace enrol::app {

std::string RoleName(Role r) {
  switch (r) {
    case Role::kAdmin: return "admin";
    case Role::kSecretary: return "secretary";
    case Role::kAuditor: return "auditor";
  }
  return "secretary";
}

std::optional<Role> ParseRole(const std::string& s) {
  if (s == "admin") return Role::kAdmin;
  if (s == "secretary") return Role::kSecretary;
  if (s == "auditor") return Role::kAuditor;
  return std::nullopt;
}

std::string PasswordProblem(const std::string& name, const std::string& password) {
  // Characters, not bytes: a UTF-8 continuation byte does not count.
  const auto chars = std::count_if(password.begin(), password.end(),
                                   [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
  if (chars < 12) return "a password has at least 12 characters";
  if (password.size() > 1024) return "a password has at most 1024 bytes";
  std::string lower = password, lname = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (char& c : lname) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lname.empty() && lower.find(lname) != std::string::npos) return "a password does not contain the user's name";
  return "";
}

namespace {

Status CheckName(const std::string& name) {
  const bool ok = name.size() >= 2 && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
                    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
                  });
  if (!ok) return InvalidArgument("a user name has 2 to 64 of a-z, 0-9, '.', '-' and '_' (e.g. kari.nordmann)");
  return {};
}

}  // namespace

Status UserService::Add(const std::string& name, const std::string& role_text, const std::vector<std::string>& schools,
                        const std::string& password, const std::string& at) {
  ENROL_RETURN_IF_ERROR(CheckName(name));
  const std::optional<Role> role = ParseRole(role_text);
  if (!role) return InvalidArgument("role '" + role_text + "' is not known (admin, secretary or auditor)");
  std::set<std::string> unique(schools.begin(), schools.end());
  if (*role == Role::kSecretary && unique.empty()) {
    return InvalidArgument("a secretary works for at least one school: give --school ID");
  }
  if (*role != Role::kSecretary && !unique.empty()) {
    return InvalidArgument("only a secretary has schools; an " + RoleName(*role) + " sees " +
                           (*role == Role::kAdmin ? "every school" : "the audit log and receipts"));
  }
  for (const auto& s : unique) {
    if (!municipality_.FindSchool(s)) return InvalidArgument("no school " + s + " in the configuration");
  }
  if (std::string why = PasswordProblem(name, password); !why.empty()) return InvalidArgument(why);
  ENROL_ASSIGN_OR_RETURN(std::optional<User> existing, store_.FindUser(name));
  if (existing) return Fail(ErrorCode::kAlreadyExists, "user " + name + " exists (enrol user passwd to change the password)");
  User u;
  u.name = name;
  u.role = *role;
  u.schools.assign(unique.begin(), unique.end());
  ENROL_ASSIGN_OR_RETURN(u.password_hash, hasher_.Hash(password));
  u.created_at = u.updated_at = at;
  return store_.InsertUser(u);
}

Status UserService::SetPassword(const std::string& name, const std::string& password, const std::string& at) {
  ENROL_ASSIGN_OR_RETURN(std::optional<User> u, store_.FindUser(name));
  if (!u) return NotFound("no user " + name);
  if (std::string why = PasswordProblem(name, password); !why.empty()) return InvalidArgument(why);
  ENROL_ASSIGN_OR_RETURN(u->password_hash, hasher_.Hash(password));
  u->failed_logins = 0;
  u->locked_until = 0;
  u->updated_at = at;
  return store_.UpdateUser(*u);
}

Status UserService::Disable(const std::string& name, const std::string& at) {
  ENROL_ASSIGN_OR_RETURN(std::optional<User> u, store_.FindUser(name));
  if (!u) return NotFound("no user " + name);
  u->disabled = true;
  u->updated_at = at;
  return store_.UpdateUser(*u);
}

Result<UserService::SignIn> UserService::Authenticate(const std::string& name, const std::string& password,
                                                      int64_t now_ms, const std::string& at) {
  SignIn out;
  std::optional<User> u;
  if (name.size() <= 64 && password.size() <= 1024) {
    ENROL_ASSIGN_OR_RETURN(u, store_.FindUser(name));
  }
  if (!u || u->disabled) {
    if (dummy_hash_.empty()) {
      ENROL_ASSIGN_OR_RETURN(dummy_hash_, hasher_.Hash("not a password of anyone"));
    }
    ENROL_ASSIGN_OR_RETURN(bool ignored, hasher_.Verify(dummy_hash_, password));
    (void)ignored;
    out.delay_ms = 500;
    return out;
  }
  if (u->locked_until > now_ms) {
    out.locked_ms = u->locked_until - now_ms;
    out.delay_ms = 500;
    return out;
  }
  ENROL_ASSIGN_OR_RETURN(bool ok, hasher_.Verify(u->password_hash, password));
  u->updated_at = at;
  if (!ok) {
    ++u->failed_logins;
    out.delay_ms = std::min<int64_t>(500LL * u->failed_logins, 3000);
    if (u->failed_logins >= kMaxFailures) {
      u->failed_logins = 0;
      u->locked_until = now_ms + kLockMs;
      out.locked_ms = kLockMs;
    }
    ENROL_RETURN_IF_ERROR(store_.UpdateUser(*u));
    return out;
  }
  if (u->failed_logins != 0 || u->locked_until != 0) {
    u->failed_logins = 0;
    u->locked_until = 0;
    ENROL_RETURN_IF_ERROR(store_.UpdateUser(*u));
  }
  out.user = std::move(u);
  return out;
}

}  // namespace enrol::app
