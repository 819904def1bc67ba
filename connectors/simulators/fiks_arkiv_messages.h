#pragma once
// The archive simulator's side of Fiks Arkiv V1: an `arkivmelding` opprett
// message read into what the archive files, and the kvittering it answers
// with (arkivmeldingKvittering, valid against the official XSD). Strict: a
// message without what filing a letter needs is an error naming the
// element, never a guess.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/result.h"

namespace enrol::sim {

struct FiksParty {
  std::string navn, postadresse, postnummer, poststed;
};

struct FiksArkivmelding {
  std::string system;
  // mappe (saksmappe)
  std::string mappe_tittel, mappe_offentlig_tittel, mappe_key;
  std::string mappe_tilgangsrestriksjon, mappe_skjermingshjemmel;
  std::string saksansvarlig;
  // registrering (journalpost)
  std::string parent_key;  // referanseForelderMappe
  std::string tittel, offentlig_tittel, key, journalposttype, journalstatus, dokumentets_dato;
  std::string tilgangsrestriksjon, skjermingshjemmel;
  std::vector<FiksParty> parties;
  // dokumentbeskrivelse and its dokumentobjekt
  std::string dokument_tittel, dokumenttype, tilknyttet;
  std::string format, mime_type, filnavn, fil_ref, sjekksum, sjekksum_algoritme;
  int64_t filstoerrelse = 0;
};

[[nodiscard]] Result<FiksArkivmelding> ReadArkivmelding(const std::string& xml);

struct FiksKvittering {
  std::string mappe_system_id, mappe_id, mappe_key;
  int64_t saksaar = 0, sakssekvensnummer = 0;
  bool mappe_existed = false;
  std::string journalpost_system_id, key;
  int64_t journalaar = 0, journalsekvensnummer = 0, journalpostnummer = 0;
  bool journalpost_existed = false;
  std::string dokumentbeskrivelse_system_id, dokumentobjekt_system_id;
  int64_t dokumentnummer = 0;
  std::string fagsystem;
};

[[nodiscard]] std::string WriteKvittering(const FiksKvittering& k);
// A kvittering that says the message was refused (mappeFeilet).
[[nodiscard]] std::string WriteFailedKvittering(const std::string& message);

}  // namespace enrol::sim
