#include "connectors/archive/fiks_arkiv.h"

#include <pugixml.hpp>

#include <cstring>
#include <sstream>

#include <boost/json.hpp>

#include "engine/core/sha256.h"

namespace enrol::archive {
namespace json = boost::json;

namespace {

constexpr const char* kOpprettNs = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1";
constexpr const char* kKvitteringNs =
    "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/kvittering/v1";
constexpr const char* kMdkNs = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1";
constexpr const char* kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";

void Text(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text().set(value.c_str());
}
void Code(pugi::xml_node parent, const char* name, const std::string& kode, const std::string& beskrivelse = "") {
  pugi::xml_node n = parent.append_child(name);
  Text(n, "mdk:kode", kode);
  if (!beskrivelse.empty()) Text(n, "mdk:beskrivelse", beskrivelse);
}
void ExternalKey(pugi::xml_node parent, const char* name, const std::string& fagsystem, const std::string& key) {
  pugi::xml_node n = parent.append_child(name);
  Text(n, "mdk:fagsystem", fagsystem);
  Text(n, "mdk:noekkel", key);
}
// Fiks Arkiv V1's skjerming has no skjermingMetadata (Noark 5 TG's has):
// what is screened is said by the public titles and erSkjermet on the
// correspondence parties.
void Skjerming(pugi::xml_node parent, const Screening& s) {
  if (s.tilgangsrestriksjon.empty()) return;
  pugi::xml_node n = parent.append_child("skjerming");
  Code(n, "tilgangsrestriksjon", s.tilgangsrestriksjon);
  Text(n, "skjermingshjemmel", s.skjermingshjemmel);
}

}  // namespace

std::string BuildArkivmelding(const app::ArchiveFiling& f, const FiksArkivSettings& s) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("arkivmelding");
  root.append_attribute("xmlns") = kOpprettNs;
  root.append_attribute("xmlns:mdk") = kMdkNs;
  root.append_attribute("xmlns:xsi") = kXsiNs;
  Text(root, "system", s.system);
  Text(root, "antallFiler", "1");

  pugi::xml_node mappe = root.append_child("mappe");
  mappe.append_attribute("xsi:type") = "saksmappe";
  Text(mappe, "tittel", f.mappe_title);
  Text(mappe, "offentligTittel", f.mappe_public_title);
  const Screening& screening = f.protected_address ? s.protected_screening : s.screening;
  Skjerming(mappe, screening);
  ExternalKey(mappe, "referanseEksternNoekkel", s.fagsystem, f.pupil_key);
  pugi::xml_node ansvarlig = mappe.append_child("saksansvarlig");
  Text(ansvarlig, "mdk:navn", s.saksansvarlig);

  pugi::xml_node reg = root.append_child("registrering");
  reg.append_attribute("xsi:type") = "journalpost";
  pugi::xml_node parent = reg.append_child("referanseForelderMappe");
  ExternalKey(parent, "mdk:referanseEksternNoekkel", s.fagsystem, f.pupil_key);
  Skjerming(reg, screening);
  pugi::xml_node db = reg.append_child("dokumentbeskrivelse");
  Code(db, "dokumenttype", "B", "Brev");
  Code(db, "dokumentstatus", "F", "Dokumentet er ferdigstilt");
  Text(db, "tittel", f.document_title);
  Code(db, "tilknyttetRegistreringSom", "H", "Hoveddokument");
  Text(db, "dokumentnummer", "1");
  pugi::xml_node obj = db.append_child("dokumentobjekt");
  Text(obj, "versjonsnummer", "1");
  Code(obj, "variantformat", "A", "Arkivformat");
  Code(obj, "format", f.format);
  Text(obj, "mimeType", f.mime_type);
  Text(obj, "filnavn", f.file_name);
  Text(obj, "referanseDokumentfil", f.file_name);
  Text(obj, "sjekksum", core::Sha256Hex(f.file));
  Text(obj, "sjekksumAlgoritme", "SHA-256");
  Text(obj, "filstoerrelse", std::to_string(f.file.size()));
  Text(reg, "tittel", f.title);
  Text(reg, "offentligTittel", f.public_title);
  for (const app::ArchiveRecipient& r : f.recipients) {
    pugi::xml_node k = reg.append_child("korrespondansepart");
    Code(k, "korrespondanseparttype", "EM", "Mottaker");
    Text(k, "korrespondansepartNavn", r.name);
    std::string address;
    for (const auto& line : r.address_lines) address += (address.empty() ? "" : ", ") + line;
    if (!address.empty()) Text(k, "postadresse", address);
    if (!r.postnummer.empty()) Text(k, "postnummer", r.postnummer);
    if (!r.poststed.empty()) Text(k, "poststed", r.poststed);
    Text(k, "erSkjermet", "true");
    Text(k, "erPersonnavn", "true");
  }
  ExternalKey(reg, "referanseEksternNoekkel", s.fagsystem, f.letter_key);
  Code(reg, "journalposttype", "U", "Utgående dokument");
  Code(reg, "journalstatus", "J", "Journalført");
  Text(reg, "dokumentetsDato", f.document_date.substr(0, 10));

  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

namespace {

// Child by local name, whatever the prefix.
pugi::xml_node Child(pugi::xml_node n, const char* local) {
  for (pugi::xml_node c : n.children()) {
    const char* name = c.name();
    const char* colon = std::strchr(name, ':');
    if (std::strcmp(colon ? colon + 1 : name, local) == 0) return c;
  }
  return {};
}
std::string ChildText(pugi::xml_node n, const char* local) { return Child(n, local).text().as_string(); }

std::string Failure(pugi::xml_node failed) {
  // feilmelding text wherever it sits, cut short.
  std::string msg = ChildText(failed, "feilmelding");
  if (msg.empty()) msg = failed.child_value();
  if (msg.size() > 300) msg = msg.substr(0, 300) + "...";
  return msg;
}

}  // namespace

Result<json::object> ReadKvittering(const std::string& xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) return Unavailable(std::string("the kvittering is not XML: ") + parsed.description());
  pugi::xml_node root = doc.document_element();
  const char* name = root.name();
  const char* colon = std::strchr(name, ':');
  if (std::strcmp(colon ? colon + 1 : name, "arkivmeldingKvittering") != 0) {
    return Unavailable(std::string("the kvittering's root is <") + name + ">, not <arkivmeldingKvittering>");
  }
  const char* ns_attr = colon ? nullptr : "xmlns";
  if (ns_attr && std::strcmp(root.attribute(ns_attr).as_string(), kKvitteringNs) != 0) {
    return Unavailable("the kvittering is not in the Fiks Arkiv V1 kvittering namespace");
  }
  if (pugi::xml_node f = Child(root, "mappeFeilet")) {
    return FailedPrecondition("the archive did not file the saksmappe: " + Failure(f));
  }
  if (pugi::xml_node f = Child(root, "registreringFeilet")) {
    return FailedPrecondition("the archive filed the saksmappe but not the journalpost: " + Failure(f));
  }
  pugi::xml_node m = Child(root, "mappeKvittering");
  pugi::xml_node r = Child(root, "registreringKvittering");
  if (!m || !r) return Unavailable("the kvittering has no mappeKvittering and registreringKvittering");
  json::object out{{"protocol", "fiks-arkiv"},
                   {"mappeID", ChildText(m, "mappeID")},
                   {"saksmappe_systemID", ChildText(m, "systemID")},
                   {"saksmappe_existed", ChildText(m, "opprettetEllerEksisterende") == "Eksisterende"},
                   {"journalpost_systemID", ChildText(r, "systemID")},
                   {"journalpost_existed", ChildText(r, "opprettetEllerEksisterende") == "Eksisterende"}};
  // Numbers as the archive wrote them, and only if they are numbers.
  const std::string nr = ChildText(r, "journalpostnummer");
  if (!nr.empty()) {
    if (nr.size() > 9 || nr.find_first_not_of("0123456789") != std::string::npos) {
      return Unavailable("the kvittering's journalpostnummer is not a number");
    }
    out["journalpostnummer"] = std::stoll(nr);
  }
  const std::string aar = ChildText(r, "journalaar"), seq = ChildText(r, "journalsekvensnummer");
  if (!aar.empty() && !seq.empty()) out["registreringsID"] = aar + "/" + seq;
  if (pugi::xml_node d = Child(r, "dokumentbeskrivelseKvittering")) {
    out["dokumentbeskrivelse_systemID"] = ChildText(d, "systemID");
    out["dokumentobjekt_systemID"] = ChildText(Child(d, "dokumentobjekt"), "systemID");
  }
  if (out.at("saksmappe_systemID").as_string().empty() || out.at("journalpost_systemID").as_string().empty()) {
    return Unavailable("the kvittering lacks a systemID");
  }
  return out;
}

}  // namespace enrol::archive
