#pragma once
// A test double of a Noark 5 archive, speaking the subset of the Noark 5
// tjenestegrensesnitt (v1.1) that filing an outgoing letter in a pupil's
// case file needs (../shared/research/archive-integration.md §1.4):
//
//   root -> arkivstruktur -> arkivdel ("Elevarkiv", seeded)
//     -> sakarkiv/ny-saksmappe -> sakarkiv/ny-journalpost
//       -> arkivstruktur/ny-korrespondansepartperson
//       -> arkivstruktur/ny-dokumentbeskrivelse -> arkivstruktur/ny-dokumentobjekt
//         -> arkivstruktur/fil (upload, download)
//
// Like a real core it speaks application/vnd.noark5+json with HATEOAS
// `_links` keyed by the standard rel names (hrefs are its own business),
// answers a create with 201 and Location, assigns the numbers itself
// (mappeID saksaar/sakssekvensnummer, journalaar/journalsekvensnummer,
// journalpostnummer, dokumentnummer, systemID), searches with
// `$filter=<field> eq '<value>'` (a top-level field or a
// virksomhetsspesifikkeMetadata key such as vnd-enrol-v1:noekkel), checks an
// upload against the declared mime type, size and SHA-256 (400), never
// overwrites a file (409), deletes with 204, and errors as
// {"feil": {"kode", "beskrivelse"}}. It keeps everything in its own SQLite
// file, and GET /noark5v5/inspect lists what it holds, so a test can count
// saksmapper, journalposter and documents after faults and crashes.
//
// Pure: one request in, one response out (the HTTP server is apart).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "engine/net/http_message.h"
#include "connectors/simulators/fault_plan.h"
#include "engine/core/result.h"

namespace enrol::sim {

struct Noark5ArchiveOptions {
  std::string db_path;                  // "" or ":memory:": in memory
  std::string arkivdel_title = "Elevarkiv";
};

class Noark5Archive {
 public:
  [[nodiscard]] static Result<std::unique_ptr<Noark5Archive>> Open(const Noark5ArchiveOptions& options);
  ~Noark5Archive();

  // Thread-safe. `request.target` is the path and query; the Host header
  // gives the base of the hrefs it answers with.
  http::Response Handle(const http::Request& request);

  // Numbers the requests it is sent, durably (0, 1, ...): the fault plan's
  // position, carried from one process to the next.
  [[nodiscard]] uint64_t NextRequestNumber();

  // Fiks Arkiv V1: files one arkivmelding opprett message (`files` by the
  // names its referanseDokumentfil uses) and answers with the kvittering
  // XML; a message it refuses is an error (InvalidArgument). Thread-safe.
  [[nodiscard]] Result<std::string> FileArkivmelding(const std::string& xml, const std::map<std::string, std::string>& files);

  // Plays the municipality's Fiks Arkiv integration on a drop folder:
  // files each message under `folder`/ut/<key>/ and answers in
  // `folder`/inn/<key>.xml (a refused message gets a kvittering with
  // mappeFeilet), then removes the message. Returns how many it handled.
  [[nodiscard]] Result<int> ProcessFiksFolder(const std::string& folder);

  // Objects held per kind ("saksmappe", "journalpost", ...), for tests.
  [[nodiscard]] Result<std::map<std::string, int64_t>> Counts();

 private:
  Noark5Archive() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::mutex mu_;
};

// A transport that hands each request to a simulator in this process, as
// the network would (the Host is the URL's): the demo's and tests' archive
// and student system.
class LoopbackTransport final : public http::Transport {
 public:
  using Handler = std::function<http::Response(const http::Request&)>;
  // `number` numbers the requests (the fault plan's position). With
  // `faults`, it injects them as the network and the server would.
  LoopbackTransport(Handler handle, std::function<uint64_t()> number, FaultPlan* faults = nullptr)
      : handle_(std::move(handle)), number_(std::move(number)), faults_(faults) {}
  explicit LoopbackTransport(Noark5Archive& archive, FaultPlan* faults = nullptr)
      : LoopbackTransport([&archive](const http::Request& r) { return archive.Handle(r); },
                          [&archive] { return archive.NextRequestNumber(); }, faults) {}
  [[nodiscard]] Result<http::Response> Send(const http::Request& request) override;

 private:
  Handler handle_;
  std::function<uint64_t()> number_;
  FaultPlan* faults_;
};

}  // namespace enrol::sim
