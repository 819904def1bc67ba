#pragma once
// A test double of KS Fiks SvarUt REST v2 for the subset the engine uses:
// send a forsendelse (multipart: the "forsendelse" JSON part and its PDF
// parts, checked against each other), find forsendelser by eksternRef, and
// search statuses. Statuses change as they are followed: each status search
// moves a forsendelse one step, MOTTATT -> AKSEPTERT -> LEVERT_SDP -> LEST,
// or to IKKE_LEVERT for a recipient without a digital mailbox (a fixed share
// of recipients, chosen by a hash of the digitalId, so the same person is
// always the same). GET /svarut/inspect counts the forsendelser per
// eksternReferanse, so a test can see that nothing was sent twice. Its own
// SQLite file; thread-safe; errors as SvarUt's ErrorMessage.
//
// With status_step_ms the statuses move with time instead (a step per that
// many ms since the forsendelse was sent).
//
// Pure: one request in, one response out (the HTTP server is apart).

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/net/http_message.h"
#include "engine/core/result.h"

namespace enrol::sim {

struct SvarUtOptions {
  std::string db_path;             // "": memory
  double undeliverable_share = 0.1;  // recipients with no digital mailbox
  // 0: a forsendelse moves one step per status search (tests); else one
  // step per this many ms since it was sent, as a real service's do.
  int64_t status_step_ms = 0;
};

class SvarUtPost {
 public:
  [[nodiscard]] static Result<std::unique_ptr<SvarUtPost>> Open(const SvarUtOptions& options);
  ~SvarUtPost();

  http::Response Handle(const http::Request& request);
  [[nodiscard]] uint64_t NextRequestNumber();
  // forsendelser, distinct eksternrefs, and the status counts.
  [[nodiscard]] Result<std::map<std::string, int64_t>> Counts();

 private:
  SvarUtPost() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::mutex mu_;
};

}  // namespace enrol::sim
