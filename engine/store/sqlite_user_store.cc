#include "engine/store/sqlite_user_store.h"

#include <boost/json.hpp>

namespace enrol::store {
namespace json = boost::json;

namespace {

constexpr const char* kColumns =
    "id, name, role, schools, password_hash, disabled, failed_logins, locked_until, created_at, updated_at";

Result<app::User> Read(sql::Statement& q) {
  app::User u;
  u.id = q.ColumnInt(0);
  u.name = q.ColumnText(1);
  auto role = app::ParseRole(q.ColumnText(2));
  if (!role) return Internal("user " + u.name + " has an unknown role in the database");
  u.role = *role;
  boost::system::error_code ec;
  json::value schools = json::parse(q.ColumnView(3), ec);
  if (ec || !schools.is_array()) return Internal("user " + u.name + ": the stored schools are not a JSON array");
  for (const auto& s : schools.get_array()) {
    if (s.is_string()) u.schools.emplace_back(s.get_string());
  }
  u.password_hash = q.ColumnText(4);
  u.disabled = q.ColumnInt(5) != 0;
  u.failed_logins = static_cast<int>(q.ColumnInt(6));
  u.locked_until = q.ColumnInt(7);
  u.created_at = q.ColumnText(8);
  u.updated_at = q.ColumnText(9);
  return u;
}

std::string Schools(const app::User& u) {
  json::array a;
  for (const auto& s : u.schools) a.push_back(json::string(s));
  return json::serialize(a);
}

}  // namespace

Result<std::optional<app::User>> SqliteUserStore::FindUser(const std::string& name) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(std::string("SELECT ") + kColumns + " FROM users WHERE name=?"));
  q.Bind(1, name);
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  if (!row) return std::optional<app::User>();
  ENROL_ASSIGN_OR_RETURN(app::User u, Read(q));
  return std::optional<app::User>(std::move(u));
}

Status SqliteUserStore::InsertUser(const app::User& u) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement s, db_.Prepare(
      "INSERT INTO users(name, role, schools, password_hash, disabled, failed_logins, locked_until, created_at, "
      "updated_at) VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(name) DO NOTHING"));
  s.Bind(1, u.name).Bind(2, app::RoleName(u.role)).Bind(3, Schools(u)).Bind(4, u.password_hash)
      .Bind(5, static_cast<int64_t>(u.disabled)).Bind(6, static_cast<int64_t>(u.failed_logins)).Bind(7, u.locked_until)
      .Bind(8, u.created_at).Bind(9, u.updated_at);
  ENROL_RETURN_IF_ERROR(s.Run());
  if (db_.Changes() != 1) return Fail(ErrorCode::kAlreadyExists, "user " + u.name + " exists");
  return {};
}

Status SqliteUserStore::UpdateUser(const app::User& u) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement s, db_.Prepare(
      "UPDATE users SET role=?, schools=?, password_hash=?, disabled=?, failed_logins=?, locked_until=?, updated_at=? "
      "WHERE name=?"));
  s.Bind(1, app::RoleName(u.role)).Bind(2, Schools(u)).Bind(3, u.password_hash).Bind(4, static_cast<int64_t>(u.disabled))
      .Bind(5, static_cast<int64_t>(u.failed_logins)).Bind(6, u.locked_until).Bind(7, u.updated_at).Bind(8, u.name);
  ENROL_RETURN_IF_ERROR(s.Run());
  if (db_.Changes() != 1) return NotFound("no user " + u.name);
  return {};
}

Result<std::vector<app::User>> SqliteUserStore::ListUsers() {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(std::string("SELECT ") + kColumns + " FROM users ORDER BY name"));
  std::vector<app::User> out;
  for (;;) {
    ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
    if (!row) break;
    ENROL_ASSIGN_OR_RETURN(app::User u, Read(q));
    out.push_back(std::move(u));
  }
  return out;
}

Status SqliteUserStore::AddActiveTime(const std::string& name, const std::string& role, const std::string& day,
                                      int64_t ms) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare(
      "INSERT INTO web_usage(user_name, role, day, active_ms) VALUES(?,?,?,?) "
      "ON CONFLICT(user_name, day) DO UPDATE SET active_ms = active_ms + excluded.active_ms, role = excluded.role"));
  return q.Bind(1, name).Bind(2, role).Bind(3, day).Bind(4, ms).Run();
}

Result<int64_t> SqliteUserStore::ActiveTime(const std::string& role) {
  ENROL_ASSIGN_OR_RETURN(sql::Statement q, db_.Prepare("SELECT coalesce(sum(active_ms), 0) FROM web_usage WHERE role=?"));
  q.Bind(1, role);
  ENROL_ASSIGN_OR_RETURN(bool row, q.Step());
  return row ? q.ColumnInt(0) : 0;
}

}  // namespace enrol::store
