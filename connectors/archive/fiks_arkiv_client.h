#pragma once
// Files letters through KS Fiks Arkiv V1: one `arkivmelding` opprett message
// per letter (fiks_arkiv.h), delivered one of two ways, as the municipality's
// integration takes them:
//
// - HTTP: POST <url> as multipart/form-data, the part "arkivmelding"
//   (arkivmelding.xml) and the letter as a file part named as the message's
//   referanseDokumentfil; the answer is the kvittering (XML).
// - Drop folder: the message is written as <folder>/ut/<key>/ (made under a
//   dot-name, then renamed, so a reader never sees half a message), and the
//   kvittering is read from <folder>/inn/<key>.xml when the integration has
//   written it. Until then the job waits (a poll, not an attempt); without a
//   kvittering after `kvittering_timeout_ms` the message counts as lost and
//   is sent again.
//
// Exactly once rests on the archive: the saksmappe and the journalpost carry
// referanseEksternNoekkel (the pupil's key, the letter's key), and a message
// sent twice is answered "Eksisterende", not filed twice. Errors carry the
// archive's message, never a title or a name.

#include <string>

#include "connectors/archive/fiks_arkiv.h"
#include "engine/net/http_message.h"
#include "engine/app/archive_ports.h"

namespace enrol::archive {

class FiksArkivHttpClient final : public app::ArchivePort {
 public:
  FiksArkivHttpClient(FiksArkivSettings settings, std::string url, http::Transport& transport)
      : settings_(std::move(settings)), url_(std::move(url)), transport_(transport) {}
  [[nodiscard]] Result<boost::json::object> File(const app::ArchiveFiling& filing, int64_t timeout_ms) override;

  // The request File sends (byte-identical on every attempt).
  [[nodiscard]] http::Request Message(const app::ArchiveFiling& filing) const;

 private:
  FiksArkivSettings settings_;
  std::string url_;
  http::Transport& transport_;
};

struct DropFolderSettings {
  std::string folder;
  int64_t poll_ms = 60000;                   // how often to look for the kvittering
  int64_t kvittering_timeout_ms = 86400000;  // then the message is sent again
};

class FiksArkivFolderClient final : public app::ArchivePort {
 public:
  FiksArkivFolderClient(FiksArkivSettings settings, DropFolderSettings folder)
      : settings_(std::move(settings)), folder_(std::move(folder)) {}
  // The receipt once the kvittering is there; before that Unavailable with
  // `pending` set and retry_after_ms the poll interval.
  [[nodiscard]] Result<boost::json::object> File(const app::ArchiveFiling& filing, int64_t timeout_ms) override;

 private:
  FiksArkivSettings settings_;
  DropFolderSettings folder_;
};

}  // namespace enrol::archive
