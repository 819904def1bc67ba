#pragma once
// Small FREG person documents for tests (synthetic ids, valid check digits).

#include <string>

namespace enrol::testing {

inline constexpr const char* kChild = "14832051250";   // born 2020-03-14: grade 1 in 2026
inline constexpr const char* kMother = "02878823039";
inline constexpr const char* kFather = "17878540182";

struct DocSpec {
  std::string id;
  std::string born;                 // YYYY-MM-DD
  std::string street = "Storgata";
  int number = 5;
  bool child = false;               // adds foreldreansvar for kMother and kFather
  std::string status = "bosatt";
  std::string kommune = "5099";
  std::string gradering = "ugradert";
  std::string fornavn = "Kari";
  std::string etternavn = "Nordmann";
};

inline std::string PersonDoc(const DocSpec& d) {
  std::string fa;
  if (d.child) {
    fa = R"(,"foreldreansvar":[{"erGjeldende":true,"ansvar":"felles","ansvarlig":")" + std::string(kMother) +
         R"(","ansvarssubjekt":")" + d.id + R"("},{"erGjeldende":true,"ansvar":"felles","ansvarlig":")" +
         std::string(kFather) + R"(","ansvarssubjekt":")" + d.id + R"("}])";
  }
  return R"({"identifikasjonsnummer":[{"erGjeldende":true,"foedselsEllerDNummer":")" + d.id +
         R"(","identifikatortype":"foedselsnummer","status":"iBruk"}],"status":[{"erGjeldende":true,"status":")" +
         d.status + R"("}],"navn":[{"erGjeldende":true,"fornavn":")" + d.fornavn + R"(","etternavn":")" + d.etternavn +
         R"("}],"foedsel":[{"erGjeldende":true,"foedselsdato":")" + d.born + R"(","foedselsaar":")" + d.born.substr(0, 4) +
         R"("}],"bostedsadresse":[{"erGjeldende":true,"adressegradering":")" + d.gradering +
         R"(","vegadresse":{"kommunenummer":")" + d.kommune + R"(","adressekode":"10001","adressenavn":")" + d.street +
         R"(","adressenummer":{"husnummer":")" + std::to_string(d.number) +
         R"("},"poststed":{"postnummer":"7010","poststedsnavn":"FJORDVIK"}}}])" + fa + "}";
}

}  // namespace enrol::testing
