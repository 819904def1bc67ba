#include "engine/core/placement.h"

#include <gtest/gtest.h>

namespace enrol::core {
namespace {

AddressRule Row(int row, std::string code, std::string name, int from, std::string from_letter,
                int to, std::string to_letter, Parity parity, GradeSpan grades, std::string school) {
  AddressRule r;
  r.row = row;
  r.street_code = std::move(code);
  r.street_name = std::move(name);
  r.from_number = from;
  r.from_letter = std::move(from_letter);
  r.to_number = to;
  r.to_letter = std::move(to_letter);
  r.parity = parity;
  r.grades = grades;
  r.school_id = std::move(school);
  return r;
}

Municipality TestMunicipality() {
  Municipality m;
  m.number = "5099";
  m.schools = {{"EAST", "Øst skole", "", "", "", "", "", "", {1, 7}},
               {"WEST", "Vest skole", "", "", "", "", "", "", {1, 7}},
               {"LOW", "Småskolen", "", "", "", "", "", "", {1, 4}},
               {"MID", "Mellomtrinnet", "", "", "", "", "", "", {5, 10}},
               {"UNG", "Ungdomsskolen", "", "", "", "", "", "", {8, 10}}};
  m.address_rules = {
      Row(2, "1001", "Storgata", 0, "", 0, "", Parity::kOdd, {1, 7}, "EAST"),
      Row(3, "1001", "Storgata", 0, "", 0, "", Parity::kEven, {1, 7}, "WEST"),
      Row(4, "", "Bakkevegen", 1, "", 12, "B", Parity::kAll, {1, 7}, "EAST"),
      Row(5, "", "Bakkevegen", 12, "C", 0, "", Parity::kAll, {1, 7}, "WEST"),
      Row(6, "", "Åsvegen", 1, "", 49, "", Parity::kAll, {1, 4}, "LOW"),
      Row(7, "", "Åsvegen", 1, "", 49, "", Parity::kAll, {5, 10}, "MID"),
      Row(8, "1001", "Storgata", 0, "", 0, "", Parity::kAll, {8, 10}, "UNG"),
  };
  m.skolekrets_rules = {{17, {1, 7}, "WEST"}, {17, {8, 10}, "UNG"}};
  return m;
}

Address Street(std::string code, std::string name, int number, std::string letter = "") {
  Address a;
  a.kind = AddressKind::kVegadresse;
  a.kommunenummer = "5099";
  a.adressekode = std::move(code);
  a.adressenavn = std::move(name);
  a.husnummer = number;
  a.husbokstav = std::move(letter);
  return a;
}

TEST(PlacementTest, OddHouseNumberGoesToEastSchool) {
  const Placement p = PlaceAt(Street("1001", "Storgata", 17), 1, TestMunicipality());
  EXPECT_EQ(p.rule, PlacementRule::kAddressTable);
  EXPECT_EQ(p.school_id, "EAST");
  EXPECT_EQ(p.rule_row, 2);
}

TEST(PlacementTest, EvenHouseNumberGoesToWestSchool) {
  const Placement p = PlaceAt(Street("1001", "Storgata", 18), 3, TestMunicipality());
  EXPECT_EQ(p.school_id, "WEST");
  EXPECT_EQ(p.rule_row, 3);
}

TEST(PlacementTest, StreetCodeWinsOverAMisspeltName) {
  const Placement p = PlaceAt(Street("1001", "Stor gata", 17), 1, TestMunicipality());
  EXPECT_EQ(p.school_id, "EAST");
}

TEST(PlacementTest, NameMatchIgnoresCaseIncludingNorwegianLetters) {
  const Placement p = PlaceAt(Street("", "ÅSVEGEN", 3), 1, TestMunicipality());
  EXPECT_EQ(p.school_id, "LOW");
}

TEST(PlacementTest, HouseLettersBoundTheRange) {
  const Municipality m = TestMunicipality();
  EXPECT_EQ(PlaceAt(Street("", "Bakkevegen", 12), 1, m).school_id, "EAST");
  EXPECT_EQ(PlaceAt(Street("", "Bakkevegen", 12, "B"), 1, m).school_id, "EAST");
  EXPECT_EQ(PlaceAt(Street("", "Bakkevegen", 12, "C"), 1, m).school_id, "WEST");
  EXPECT_EQ(PlaceAt(Street("", "Bakkevegen", 13), 1, m).school_id, "WEST");
  EXPECT_EQ(PlaceAt(Street("", "Bakkevegen", 1), 1, m).school_id, "EAST");
}

TEST(PlacementTest, UpperBoundWithoutLetterIncludesLetteredNumbers) {
  const Municipality m = TestMunicipality();
  EXPECT_EQ(PlaceAt(Street("", "Åsvegen", 49, "C"), 2, m).school_id, "LOW");
  EXPECT_EQ(PlaceAt(Street("", "Åsvegen", 50), 2, m).rule, PlacementRule::kManual);
}

TEST(PlacementTest, GradeSpanPicksTheRowForTheGrade) {
  const Municipality m = TestMunicipality();
  EXPECT_EQ(PlaceAt(Street("", "Åsvegen", 5), 4, m).school_id, "LOW");
  EXPECT_EQ(PlaceAt(Street("", "Åsvegen", 5), 5, m).school_id, "MID");
  EXPECT_EQ(PlaceAt(Street("1001", "Storgata", 5), 8, m).school_id, "UNG");
}

TEST(PlacementTest, SkolekretsIsUsedWhenNoRowCoversTheAddress) {
  Address a = Street("2002", "Nyvegen", 4);
  a.skolekrets = 17;
  const Placement p = PlaceAt(a, 1, TestMunicipality());
  EXPECT_EQ(p.rule, PlacementRule::kSkolekrets);
  EXPECT_EQ(p.school_id, "WEST");
  EXPECT_NE(p.why.find("skolekrets 17"), std::string::npos);
}

TEST(PlacementTest, AddressTableIsTriedBeforeSkolekrets) {
  Address a = Street("1001", "Storgata", 17);
  a.skolekrets = 17;  // would say WEST
  EXPECT_EQ(PlaceAt(a, 1, TestMunicipality()).school_id, "EAST");
}

TEST(PlacementTest, UnknownAddressIsManualAndSaysWhatWasTried) {
  Address a = Street("2002", "Nyvegen", 4);
  const Placement p = PlaceAt(a, 1, TestMunicipality());
  EXPECT_EQ(p.rule, PlacementRule::kManual);
  EXPECT_TRUE(p.school_id.empty());
  EXPECT_NE(p.why.find("no row covers"), std::string::npos);
  EXPECT_NE(p.why.find("no skolekrets"), std::string::npos);
}

TEST(PlacementTest, SkolekretsWithoutSchoolForTheGradeIsManual) {
  Address a = Street("2002", "Nyvegen", 4);
  a.skolekrets = 99;
  EXPECT_EQ(PlaceAt(a, 1, TestMunicipality()).rule, PlacementRule::kManual);
}

TEST(PlacementTest, MatrikkeladresseFallsBackToSkolekrets) {
  Address a;
  a.kind = AddressKind::kMatrikkeladresse;
  a.kommunenummer = "5099";
  a.gaardsnummer = 12;
  a.bruksnummer = 4;
  a.skolekrets = 17;
  const auto steps = ExplainPlacement(a, 1, TestMunicipality());
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_FALSE(steps[0].matched);
  EXPECT_NE(steps[0].detail.find("not a street address"), std::string::npos);
  EXPECT_EQ(PlaceAt(a, 1, TestMunicipality()).school_id, "WEST");
}

TEST(PlacementTest, ExplanationNamesTheRowAndItsGrades) {
  const auto steps = ExplainPlacement(Street("1001", "Storgata", 17), 1, TestMunicipality());
  ASSERT_FALSE(steps.empty());
  EXPECT_TRUE(steps[0].matched);
  EXPECT_NE(steps[0].detail.find("row 2"), std::string::npos);
  EXPECT_NE(steps[0].detail.find("1-7"), std::string::npos);
}

}  // namespace
}  // namespace enrol::core
