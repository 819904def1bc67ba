#include "engine/core/person.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace enrol::core {
namespace {

Person Base() {
  Person p;
  p.id = "X";
  p.name = {"Kari", "", "Nordmann"};
  p.birth_year = 2021;
  p.status = PersonStatus::kBosatt;
  Address a;
  a.kommunenummer = "5099";
  a.adressenavn = "Avegen";
  a.husnummer = 1;
  p.home = a;
  p.responsibility = {{Ansvar::kFelles, "G1", {}}, {Ansvar::kFelles, "G2", {}}};
  return p;
}

bool Has(const std::vector<PersonChange>& v, PersonChange c) {
  return std::find(v.begin(), v.end(), c) != v.end();
}

TEST(PersonDiffTest, NothingChanged) { EXPECT_TRUE(DiffPerson(Base(), Base(), "5099").empty()); }

TEST(PersonDiffTest, MovedWithinTheMunicipality) {
  Person after = Base();
  after.home->husnummer = 3;
  const auto d = DiffPerson(Base(), after, "5099");
  EXPECT_TRUE(Has(d, PersonChange::kMoved));
  EXPECT_FALSE(Has(d, PersonChange::kLeftMunicipality));
}

TEST(PersonDiffTest, LeftTheMunicipality) {
  Person after = Base();
  after.home->kommunenummer = "5001";
  const auto d = DiffPerson(Base(), after, "5099");
  EXPECT_TRUE(Has(d, PersonChange::kLeftMunicipality));
  EXPECT_FALSE(Has(d, PersonChange::kMoved));
}

TEST(PersonDiffTest, Emigrated) {
  Person after = Base();
  after.status = PersonStatus::kUtflyttet;
  EXPECT_TRUE(Has(DiffPerson(Base(), after, "5099"), PersonChange::kLeftMunicipality));
}

TEST(PersonDiffTest, Died) {
  Person after = Base();
  after.status = PersonStatus::kDoed;
  const auto d = DiffPerson(Base(), after, "5099");
  EXPECT_TRUE(Has(d, PersonChange::kDied));
  EXPECT_FALSE(Has(d, PersonChange::kStatusChanged));
}

TEST(PersonDiffTest, ProtectionChangedIsNotAMove) {
  Person after = Base();
  after.home->gradering = Gradering::kFortrolig;
  const auto d = DiffPerson(Base(), after, "5099");
  EXPECT_TRUE(Has(d, PersonChange::kProtectionChanged));
  EXPECT_FALSE(Has(d, PersonChange::kMoved));
}

TEST(PersonDiffTest, GuardiansChanged) {
  Person after = Base();
  after.responsibility = {{Ansvar::kMor, "G1", {}}};
  EXPECT_TRUE(Has(DiffPerson(Base(), after, "5099"), PersonChange::kGuardiansChanged));
}

TEST(PersonDiffTest, NameChangeIsOther) {
  Person after = Base();
  after.name.fornavn = "Kaia";
  EXPECT_EQ(DiffPerson(Base(), after, "5099"), std::vector<PersonChange>{PersonChange::kOtherChanged});
}

TEST(PersonTest, EffectiveProtectionIsTheStrictest) {
  Person p = Base();
  EXPECT_EQ(p.EffectiveProtection(), Gradering::kUgradert);
  p.home->gradering = Gradering::kFortrolig;
  EXPECT_EQ(p.EffectiveProtection(), Gradering::kFortrolig);
  p.protection = Gradering::kStrengtFortrolig;
  EXPECT_EQ(p.EffectiveProtection(), Gradering::kStrengtFortrolig);
}

TEST(PersonTest, CodesRoundTrip) {
  for (auto code : {"bosatt", "utflyttet", "doed", "midlertidig", "aktiv"}) {
    EXPECT_EQ(PersonStatusCode(*ParsePersonStatus(code)), code);
  }
  EXPECT_FALSE(ParsePersonStatus("bosat"));
  EXPECT_FALSE(ParseGradering("hemmelig"));
  EXPECT_FALSE(ParseAnsvar("begge"));
}

}  // namespace
}  // namespace enrol::core
