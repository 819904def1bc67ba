#include "connectors/simulators/fiks_arkiv_messages.h"

#include <pugixml.hpp>

#include <cstring>
#include <sstream>

namespace enrol::sim {

namespace {

constexpr const char* kOpprettNs = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/v1";
constexpr const char* kKvitteringNs =
    "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/arkivmelding/opprett/kvittering/v1";
constexpr const char* kMdkNs = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/metadatakatalog/v1";
constexpr const char* kFeilNs = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv/feil/feilmelding/v1";
constexpr const char* kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";
constexpr size_t kMaxText = 4096;
constexpr size_t kMaxParties = 20;

const char* Local(const char* name) {
  const char* colon = std::strchr(name, ':');
  return colon ? colon + 1 : name;
}
pugi::xml_node Child(pugi::xml_node n, const char* local) {
  for (pugi::xml_node c : n.children()) {
    if (c.type() == pugi::node_element && std::strcmp(Local(c.name()), local) == 0) return c;
  }
  return {};
}

// Reads the fields of one element into strings; the first problem is kept.
class Reader {
 public:
  std::string Text(pugi::xml_node parent, const char* path, bool required = true) {
    pugi::xml_node n = parent;
    std::string where = Local(parent.name());
    for (const char* p = path; *p;) {
      const char* slash = std::strchr(p, '/');
      const std::string part = slash ? std::string(p, slash) : std::string(p);
      n = Child(n, part.c_str());
      where += "/" + part;
      if (!n) break;
      p = slash ? slash + 1 : p + part.size();
    }
    std::string v = n ? n.text().as_string() : "";
    if (required && v.empty()) Fail("<" + where + "> is required");
    if (v.size() > kMaxText) Fail("<" + where + "> is longer than " + std::to_string(kMaxText) + " characters");
    return v;
  }
  void Fail(const std::string& why) {
    if (error.empty()) error = why;
  }
  std::string error;
};

void Add(pugi::xml_node parent, const char* name, const std::string& value) {
  parent.append_child(name).text().set(value.c_str());
}
void Add(pugi::xml_node parent, const char* name, int64_t value) {
  parent.append_child(name).text().set(static_cast<long long>(value));
}
void Key(pugi::xml_node parent, const std::string& fagsystem, const std::string& key) {
  pugi::xml_node n = parent.append_child("referanseEksternNoekkel");
  Add(n, "mdk:fagsystem", fagsystem);
  Add(n, "mdk:noekkel", key);
}
pugi::xml_node Root(pugi::xml_document& doc) {
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node root = doc.append_child("arkivmeldingKvittering");
  root.append_attribute("xmlns") = kKvitteringNs;
  root.append_attribute("xmlns:mdk") = kMdkNs;
  root.append_attribute("xmlns:xsi") = kXsiNs;
  return root;
}
std::string Save(const pugi::xml_document& doc) {
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

}  // namespace

Result<FiksArkivmelding> ReadArkivmelding(const std::string& xml) {
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    return InvalidArgument(std::string("arkivmelding.xml is not XML: ") + parsed.description() + " at byte " +
                           std::to_string(parsed.offset));
  }
  pugi::xml_node root = doc.document_element();
  if (std::strcmp(Local(root.name()), "arkivmelding") != 0) {
    return InvalidArgument(std::string("the root element is <") + root.name() + ">, not <arkivmelding>");
  }
  if (std::strcmp(root.attribute("xmlns").as_string(), kOpprettNs) != 0) {
    return InvalidArgument("<arkivmelding> is not in the Fiks Arkiv V1 opprett namespace");
  }
  Reader r;
  FiksArkivmelding m;
  m.system = r.Text(root, "system");
  pugi::xml_node mappe = Child(root, "mappe");
  pugi::xml_node reg = Child(root, "registrering");
  if (!mappe) return InvalidArgument("<arkivmelding> has no <mappe>: this archive files letters in a saksmappe");
  if (!reg) return InvalidArgument("<arkivmelding> has no <registrering>");
  if (std::strcmp(mappe.attribute("xsi:type").as_string(), "saksmappe") != 0) {
    return InvalidArgument("<mappe> must be xsi:type=\"saksmappe\"");
  }
  if (std::strcmp(reg.attribute("xsi:type").as_string(), "journalpost") != 0) {
    return InvalidArgument("<registrering> must be xsi:type=\"journalpost\"");
  }
  m.mappe_tittel = r.Text(mappe, "tittel");
  m.mappe_offentlig_tittel = r.Text(mappe, "offentligTittel", false);
  m.mappe_key = r.Text(mappe, "referanseEksternNoekkel/noekkel");
  m.mappe_tilgangsrestriksjon = r.Text(mappe, "skjerming/tilgangsrestriksjon/kode", false);
  m.mappe_skjermingshjemmel = r.Text(mappe, "skjerming/skjermingshjemmel", !m.mappe_tilgangsrestriksjon.empty());
  m.saksansvarlig = r.Text(mappe, "saksansvarlig/navn", false);
  m.parent_key = r.Text(reg, "referanseForelderMappe/referanseEksternNoekkel/noekkel");
  m.tittel = r.Text(reg, "tittel");
  m.offentlig_tittel = r.Text(reg, "offentligTittel", false);
  m.key = r.Text(reg, "referanseEksternNoekkel/noekkel");
  m.journalposttype = r.Text(reg, "journalposttype/kode");
  m.journalstatus = r.Text(reg, "journalstatus/kode", false);
  m.dokumentets_dato = r.Text(reg, "dokumentetsDato", false);
  m.tilgangsrestriksjon = r.Text(reg, "skjerming/tilgangsrestriksjon/kode", false);
  m.skjermingshjemmel = r.Text(reg, "skjerming/skjermingshjemmel", !m.tilgangsrestriksjon.empty());
  for (pugi::xml_node k : reg.children()) {
    if (std::strcmp(Local(k.name()), "korrespondansepart") != 0) continue;
    if (m.parties.size() == kMaxParties) return InvalidArgument("more than 20 <korrespondansepart>");
    m.parties.push_back(FiksParty{r.Text(k, "korrespondansepartNavn"), r.Text(k, "postadresse", false),
                                  r.Text(k, "postnummer", false), r.Text(k, "poststed", false)});
  }
  pugi::xml_node db = Child(reg, "dokumentbeskrivelse");
  if (!db) return InvalidArgument("<registrering> has no <dokumentbeskrivelse>: the letter is missing");
  if (Child(reg, "dokumentbeskrivelse").next_sibling(db.name())) {
    return InvalidArgument("more than one <dokumentbeskrivelse>: a letter is one document");
  }
  m.dokument_tittel = r.Text(db, "tittel");
  m.dokumenttype = r.Text(db, "dokumenttype/kode", false);
  m.tilknyttet = r.Text(db, "tilknyttetRegistreringSom/kode");
  pugi::xml_node obj = Child(db, "dokumentobjekt");
  if (!obj) return InvalidArgument("<dokumentbeskrivelse> has no <dokumentobjekt>");
  m.format = r.Text(obj, "format/kode", false);
  m.mime_type = r.Text(obj, "mimeType");
  m.filnavn = r.Text(obj, "filnavn");
  m.fil_ref = r.Text(obj, "referanseDokumentfil");
  m.sjekksum = r.Text(obj, "sjekksum");
  m.sjekksum_algoritme = r.Text(obj, "sjekksumAlgoritme");
  const std::string size = r.Text(obj, "filstoerrelse");
  if (!r.error.empty()) return InvalidArgument(r.error);
  if (size.size() > 12 || size.find_first_not_of("0123456789") != std::string::npos || std::stoll(size) <= 0) {
    return InvalidArgument("<dokumentobjekt/filstoerrelse> must be a positive whole number");
  }
  m.filstoerrelse = std::stoll(size);
  if (m.sjekksum_algoritme != "SHA-256") return InvalidArgument("<dokumentobjekt/sjekksumAlgoritme> must be SHA-256");
  if (m.parent_key != m.mappe_key) {
    return InvalidArgument("<registrering/referanseForelderMappe> names another mappe than the message's <mappe>");
  }
  return m;
}

std::string WriteKvittering(const FiksKvittering& k) {
  pugi::xml_document doc;
  pugi::xml_node root = Root(doc);
  pugi::xml_node m = root.append_child("mappeKvittering");
  m.append_attribute("xsi:type") = "saksmappeKvittering";
  Add(m, "systemID", k.mappe_system_id);
  Add(m, "mappeID", k.mappe_id);
  Key(m, k.fagsystem, k.mappe_key);
  Add(m, "opprettetEllerEksisterende", k.mappe_existed ? "Eksisterende" : "Opprettet");
  Add(m, "saksaar", k.saksaar);
  Add(m, "sakssekvensnummer", k.sakssekvensnummer);
  pugi::xml_node r = root.append_child("registreringKvittering");
  r.append_attribute("xsi:type") = "journalpostKvittering";
  Add(r, "systemID", k.journalpost_system_id);
  pugi::xml_node d = r.append_child("dokumentbeskrivelseKvittering");
  Add(d, "systemID", k.dokumentbeskrivelse_system_id);
  Add(d, "dokumentnummer", k.dokumentnummer);
  Add(d.append_child("dokumentobjekt"), "systemID", k.dokumentobjekt_system_id);
  Add(r, "registreringsID", std::to_string(k.journalaar) + "/" + std::to_string(k.journalsekvensnummer));
  Key(r, k.fagsystem, k.key);
  Add(r, "opprettetEllerEksisterende", k.journalpost_existed ? "Eksisterende" : "Opprettet");
  Add(r, "journalaar", k.journalaar);
  Add(r, "journalsekvensnummer", k.journalsekvensnummer);
  Add(r, "journalpostnummer", k.journalpostnummer);
  return Save(doc);
}

std::string WriteFailedKvittering(const std::string& message) {
  pugi::xml_document doc;
  pugi::xml_node root = Root(doc);
  root.append_attribute("xmlns:feil") = kFeilNs;
  pugi::xml_node f = root.append_child("mappeFeilet");
  Add(f, "feil:feilId", "ugyldig-forespoersel");
  Add(f, "feil:feilmelding", message);
  return Save(doc);
}

}  // namespace enrol::sim
