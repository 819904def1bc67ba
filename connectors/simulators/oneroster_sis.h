#pragma once
// A test double of a student system that takes OneRoster 1.2 objects by
// PUT {base}/{collection}/{sourcedId} (academicSessions, orgs, courses,
// classes, users, enrollments) and serves them back by the standard
// rostering read endpoints under /ims/oneroster/rostering/v1p2/: the
// collections with limit/offset paging, X-Total-Count and Link headers, and
// the single objects, in the standard envelopes ({"users": [...]},
// {"user": {...}}), errors as imsx_StatusInfo. It is strict: a body whose
// envelope, sourcedId, required fields or references (to objects it does
// not hold) are wrong is refused with 400 or 422, so the order and shape of
// what a client sends are checked. Each object counts the PUTs that changed
// it, and GET /sis/inspect lists them, so a test can see that a pupil
// arrived once and intact. Its own SQLite file; thread-safe.
//
// Pure: one request in, one response out (the HTTP server is apart).

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/net/http_message.h"
#include "engine/core/result.h"

namespace enrol::sim {

class OneRosterSis {
 public:
  [[nodiscard]] static Result<std::unique_ptr<OneRosterSis>> Open(const std::string& db_path);
  ~OneRosterSis();

  http::Response Handle(const http::Request& request);
  // Numbers its requests durably (the fault plan's position).
  [[nodiscard]] uint64_t NextRequestNumber();
  // Objects held per collection ("users", "enrollments", ...).
  [[nodiscard]] Result<std::map<std::string, int64_t>> Counts();

 private:
  OneRosterSis() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::mutex mu_;
};

}  // namespace enrol::sim
