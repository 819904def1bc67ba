#pragma once
// What the files of SqliteCaseStore share (engine/store/sqlite_*.cc): the
// column lists and small conversions. Internal to engine/store.

#include <string_view>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "engine/app/case_ports.h"

namespace enrol::store::detail {

// The case's protection (CaseRecord::protected_case, which the engine sets
// from the workflow's protected role), kept in a column so that lists can
// leave protected cases out without reading instances.
inline int64_t ProtectedFlag(const app::CaseRecord& c) { return c.protected_case ? 1 : 0; }

inline constexpr const char* kCaseColumns =
    "id, case_key, person_id, school_year, grade, school, workflow, state, status, instance, "
    "seen_import, created_at, updated_at, protected";
inline constexpr const char* kJobColumns =
    "id, case_id, invoke_id, type, params, idempotency_key, status, attempts, next_ms, last_error, result, "
    "lease_owner, lease_until";
inline constexpr const char* kKeyedPrefix = "hmac:";

// JSON text as stored; null for text that does not parse.
inline boost::json::value Parse(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  return ec ? boost::json::value() : v;
}

}  // namespace enrol::store::detail
