#pragma once
// KS Fiks Arkiv V1: the `arkivmelding` opprett message that files one letter
// (a saksmappe, the pupil's case file, found or made by its
// referanseEksternNoekkel; a journalpost U under it with the recipients as
// correspondence parties; the letter as hoveddokument, a PDF/A
// dokumentobjekt whose file travels beside the message), and the archive's
// kvittering read back into a receipt (Opprettet / Eksisterende, the numbers
// the archive assigned). The XML follows
// no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd; a test validates
// it against the official schemas (../shared/reference/archive/fiks-arkiv-v1).
// The transports are in fiks_arkiv_client.h.

#include <string>

#include <boost/json/object.hpp>

#include "connectors/archive/noark5_client.h"
#include "engine/app/archive_ports.h"
#include "engine/core/result.h"

namespace enrol::archive {

struct FiksArkivSettings {
  std::string system = "enrol";       // <system>: the sending system
  std::string fagsystem = "enrol";    // referanseEksternNoekkel/fagsystem
  std::string saksansvarlig = "Oppvekstkontoret";
  Screening screening;
  Screening protected_screening;      // see Noark5Settings
  std::string bearer_token;           // HTTP only; "" when the transport authenticates
};

// The arkivmelding.xml of one filing; the file is named `file_name` beside it.
// A protected-address filing gets the protected screening (the caller checks
// that one is configured: ScreeningFor).
[[nodiscard]] std::string BuildArkivmelding(const app::ArchiveFiling& filing, const FiksArkivSettings& settings);

// The kvittering (arkivmeldingKvittering) as the case's receipt: mappe and
// journalpost systemIDs and numbers, and whether each was made now.
// mappeFeilet / registreringFeilet are errors (FailedPrecondition) with the
// archive's message.
[[nodiscard]] Result<boost::json::object> ReadKvittering(const std::string& xml);

}  // namespace enrol::archive
