#pragma once
// Files one outgoing letter in a pupil's case file through the Noark 5
// tjenestegrensesnitt (REST, application/vnd.noark5+json), following the
// flow in ../shared/research/archive-integration.md §1.4:
//
//   root -> arkivstruktur -> the configured arkivdel ($filter on tittel)
//   -> the pupil's saksmappe, found by its external key, else created
//   -> the letter's journalpost (type U), found by its external key, else
//      created, with a korrespondansepartperson per recipient
//   -> one dokumentbeskrivelse (hoveddokument) -> one dokumentobjekt that
//      declares format, size and SHA-256 -> the PDF/A uploaded to its `fil`.
//
// Every href comes from the `_links` of a response; only the rel names are
// known. The arkivdel is discovered once per client. File() may be called
// from many threads at once when the transport may. Exactly once: each step looks for what an earlier attempt made
// before it makes anything, so a retry after a failure or a crash at any
// step goes on from where that one stopped. The external keys are kept in
// virksomhetsspesifikkeMetadata ("vnd-enrol-v1:noekkel"). An upload the
// archive refuses deletes the dokumentobjekt it was for, so the next attempt
// starts that document afresh; a file already there (409) is the earlier
// attempt's and counts as done.
//
// Errors: Unavailable for what a retry may cure (no connection, a timeout,
// 429, 5xx); another code for what it cannot, with the archive's own
// message (feil.beskrivelse). Neither carries a title or a name.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "engine/net/http_message.h"
#include "engine/app/archive_ports.h"
#include "engine/core/result.h"

namespace enrol::archive {

using http::Transport;

struct Screening {
  [[nodiscard]] bool Set() const { return !tilgangsrestriksjon.empty(); }
  std::string tilgangsrestriksjon;          // a code of this installation ("13", "UO", ...)
  std::string skjermingshjemmel;            // "Offl. § 13 jf. fvl. § 13 (1) nr.1"
  std::vector<std::string> mappe_metadata;  // skjermingMetadata on the saksmappe (NPS, TM1)
  std::vector<std::string> journalpost_metadata;  // on the journalpost (NM, TR1)
};

struct Noark5Settings {
  std::string root_url;                 // "https://arkiv.kommune.no/noark5v5/"
  std::string arkivdel = "Elevarkiv";   // the arkivdel's tittel
  Screening screening;
  // For a protected-address case the education office files: stricter
  // (tilgangsrestriksjon empty: not configured, such a filing is refused).
  Screening protected_screening;
  std::string bearer_token;             // "" when the transport authenticates
};

using Recipient = app::ArchiveRecipient;

// The screening a filing gets: the protected one for a protected-address
// case (an error when none is configured).
[[nodiscard]] Result<const Screening*> ScreeningFor(const app::ArchiveFiling& filing, const Screening& usual,
                                                    const Screening& protected_screening);
using ArchiveLetter = app::ArchiveFiling;

// What the archive assigned, kept on the case as its receipt.
struct ArchiveReceipt {
  std::string mappe_id;              // "2027/41"
  std::string saksmappe_system_id;
  std::string journalpost_system_id;
  int64_t journalpostnummer = 0;
  std::string registrerings_id;      // "2027/1234"
  std::string dokumentbeskrivelse_system_id;
  std::string dokumentobjekt_system_id;
  bool saksmappe_existed = false;    // found by its key rather than made now
  bool journalpost_existed = false;
  int requests = 0;                  // HTTP requests this filing took

  [[nodiscard]] boost::json::object ToJson() const;
};

class Noark5Client final : public app::ArchivePort {
 public:
  Noark5Client(Noark5Settings settings, Transport& transport);
  // Every request ends by `timeout_ms` from now (0: no bound of its own).
  [[nodiscard]] Result<ArchiveReceipt> FileLetter(const ArchiveLetter& letter, int64_t timeout_ms = 0);
  // The port: FileLetter's receipt as JSON.
  [[nodiscard]] Result<boost::json::object> File(const ArchiveLetter& letter, int64_t timeout_ms) override;

 private:
  Noark5Settings settings_;
  Transport& transport_;
  std::mutex mu_;
  std::optional<boost::json::object> arkivdel_;  // discovered once
};

}  // namespace enrol::archive
