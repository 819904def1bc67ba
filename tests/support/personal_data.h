#pragma once
// What a leak test looks for: the actual personal data of an extract, not a
// pattern (a pattern over digits matches runs inside hashes and ids of our
// own). Reads a FREG JSON extract (an array of person documents) and
// collects every national id in it, and the names and addresses of the
// persons with a protected address (fortrolig, strengt fortrolig) that no
// unprotected person shares, so that a match is always a real leak.

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <boost/json.hpp>

namespace enrol::testing {

struct PersonalData {
  std::set<std::string> ids;              // every foedselsEllerDNummer, relatert person, ansvarlig
  std::set<std::string> protected_texts;  // "Fornavn Etternavn", "Adressenavn 12" of protected persons

  // The first item of personal data `text` holds, or "" when none.
  [[nodiscard]] std::string FindIn(const std::string& text) const {
    for (const auto& id : ids) {
      if (text.find(id) != std::string::npos) return "national id " + id;
    }
    for (const auto& t : protected_texts) {
      if (text.find(t) != std::string::npos) return "protected person's '" + t + "'";
    }
    return "";
  }
};

inline PersonalData ReadPersonalData(const std::string& extract_path) {
  namespace json = boost::json;
  std::ifstream in(extract_path);
  std::stringstream ss;
  ss << in.rdbuf();
  const json::value doc = json::parse(ss.str());
  PersonalData out;
  std::set<std::string> open_texts;
  auto text = [](const json::object& o, const char* k) -> std::string {
    const auto* v = o.if_contains(k);
    return v && v->is_string() ? std::string(v->get_string()) : std::string();
  };
  for (const auto& pv : doc.as_array()) {
    const json::object& p = pv.as_object();
    std::set<std::string> mine;
    bool protected_person = false;
    for (const auto& [key, value] : p) {
      if (!value.is_array()) continue;
      for (const auto& ev : value.as_array()) {
        if (!ev.is_object()) continue;
        const json::object& e = ev.as_object();
        for (const char* k : {"foedselsEllerDNummer", "relatertPerson", "ansvarlig", "ansvarssubjekt"}) {
          if (std::string id = text(e, k); id.size() == 11) out.ids.insert(id);
        }
        const std::string g = text(e, "adressegradering") + text(e, "graderingsnivaa");
        if (g.find("ortrolig") != std::string::npos) protected_person = true;  // fortrolig, strengtFortrolig
        if (key == "navn") mine.insert(text(e, "fornavn") + " " + text(e, "etternavn"));
        if (const auto* v = e.if_contains("vegadresse"); v && v->is_object()) {
          const json::object& a = v->as_object();
          std::string nr;
          if (const auto* n = a.if_contains("adressenummer"); n && n->is_object()) nr = text(n->as_object(), "husnummer");
          mine.insert(text(a, "adressenavn") + " " + nr);
        }
      }
    }
    for (const auto& t : mine) (protected_person ? out.protected_texts : open_texts).insert(t);
  }
  for (const auto& t : open_texts) out.protected_texts.erase(t);
  return out;
}

}  // namespace enrol::testing
