#pragma once
// The error vocabulary of enrol (after Abseil's status codes).
//
// Choosing a code:
//   kInvalidArgument    the input itself is wrong (bad file, bad id, bad flag);
//                       retrying the same input fails again.
//   kNotFound           a named thing (person, case, file) does not exist.
//   kAlreadyExists      creating something that is already there.
//   kFailedPrecondition the input is fine but the system is not in a state to
//                       accept it (database not initialised, case closed).
//   kPermissionDenied   the caller may see the thing but not do this to it
//                       (a case one may not see is kNotFound instead).
//   kAborted            a conflict (concurrent change); retrying may succeed.
//   kUnavailable        an external system or file is not reachable now.
//   kDeadlineExceeded   an operation ran out of time.
//   kInternal           a bug or a broken invariant; never the user's fault.

#include <string>
#include <string_view>
#include <utility>

#include <tl/expected.hpp>

namespace enrol {

enum class ErrorCode {
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kFailedPrecondition,
  kPermissionDenied,
  kAborted,
  kUnavailable,
  kDeadlineExceeded,
  kInternal,
};

// Name of the code as printed in messages and JSON ("invalid_argument").
std::string_view ErrorCodeName(ErrorCode code);

// An error a caller can act on: the code says which kind, the message says
// what was wrong, where, and what to do. Messages never carry a national id
// number, a name or an address.
struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // For kUnavailable: how long the other side asked us to wait (an HTTP
  // Retry-After), 0 when it did not say.
  int64_t retry_after_ms = 0;
  // For kUnavailable: the other side has the request and its answer is not
  // there yet (a receipt to collect later); asking again is a poll, not a
  // new attempt.
  bool pending = false;

  // Returns a copy whose message is prefixed with `context: `.
  [[nodiscard]] Error WithContext(std::string_view context) const;
};

template <typename T>
using Result = tl::expected<T, Error>;

// Result of an operation with no value.
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> Fail(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}
inline tl::unexpected<Error> InvalidArgument(std::string message) {
  return Fail(ErrorCode::kInvalidArgument, std::move(message));
}
inline tl::unexpected<Error> NotFound(std::string message) {
  return Fail(ErrorCode::kNotFound, std::move(message));
}
inline tl::unexpected<Error> FailedPrecondition(std::string message) {
  return Fail(ErrorCode::kFailedPrecondition, std::move(message));
}
inline tl::unexpected<Error> PermissionDenied(std::string message) {
  return Fail(ErrorCode::kPermissionDenied, std::move(message));
}
inline tl::unexpected<Error> Internal(std::string message) {
  return Fail(ErrorCode::kInternal, std::move(message));
}
inline tl::unexpected<Error> Aborted(std::string message) {
  return Fail(ErrorCode::kAborted, std::move(message));
}
inline tl::unexpected<Error> Unavailable(std::string message) {
  return Fail(ErrorCode::kUnavailable, std::move(message));
}

}  // namespace enrol

// Evaluates `expr` (a Result or Status); on error returns the error from the
// enclosing function.
#define ENROL_RETURN_IF_ERROR(expr)                                   \
  do {                                                                \
    auto enrol_status_ = (expr);                                      \
    if (!enrol_status_) return tl::unexpected(enrol_status_.error()); \
  } while (false)

#define ENROL_CONCAT_INNER_(a, b) a##b
#define ENROL_CONCAT_(a, b) ENROL_CONCAT_INNER_(a, b)
// Declares `lhs` from the value of a Result, or returns its error.
#define ENROL_ASSIGN_OR_RETURN(lhs, expr) \
  ENROL_ASSIGN_OR_RETURN_IMPL_(ENROL_CONCAT_(enrol_result_, __LINE__), lhs, expr)
#define ENROL_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr)   \
  auto tmp = (expr);                                   \
  if (!tmp) return tl::unexpected(tmp.error());        \
  lhs = std::move(*tmp)
