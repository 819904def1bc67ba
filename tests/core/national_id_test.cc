#include "engine/core/national_id.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/support/test_support.h"

namespace enrol::core {
namespace {

// Builds a valid number (pre-2032 rule) from its first nine digits.
std::string WithCheckDigits(const std::string& nine) {
  char k1, k2;
  if (!ComputeCheckDigits(nine, &k1, &k2)) return "";
  return nine + k1 + k2;
}

// The first valid number with this date part (DDMMYY) and individnummer >= 100.
std::string ValidFor(const std::string& date_part) {
  for (int individ = 100; individ < 1000; ++individ) {
    std::string n = WithCheckDigits(date_part + std::to_string(individ));
    if (!n.empty()) return n;
  }
  return "";
}

TEST(NationalIdTest, OfficialTestVectors) {
  const std::string path =
      testing::Reference("folkeregister/foedselsnummer_validator_testvektorer.csv");
  std::ifstream in(path);
  ASSERT_TRUE(in) << "the test vectors " << path << " are missing";
  std::string line;
  std::getline(in, line);  // header
  int checked = 0;
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string number, synthetic, valid, description;
    std::getline(ss, number, ',');
    std::getline(ss, synthetic, ',');
    std::getline(ss, valid, ',');
    std::getline(ss, description);
    auto id = ParseNationalId(number);
    EXPECT_EQ(id.has_value(), valid == "true") << description;
    if (id) {
      EXPECT_EQ(id->synthetic, synthetic == "true") << description;
    }
    ++checked;
  }
  EXPECT_EQ(checked, 10);
}

TEST(NationalIdTest, ValidFoedselsnummer) {
  auto id = ParseNationalId("20036914700");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->kind, NationalIdKind::kFoedselsnummer);
  EXPECT_FALSE(id->synthetic);
  EXPECT_FALSE(id->issued_under_2032_rule);
  EXPECT_EQ(id->day, 20);
  EXPECT_EQ(id->month, 3);
  EXPECT_EQ(id->two_digit_year, 69);
}

TEST(NationalIdTest, WrongCheckDigitIsRejected) {
  auto id = ParseNationalId("20036914712");
  ASSERT_FALSE(id);
  EXPECT_EQ(id.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(id.error().message.find("check digits"), std::string::npos);
  // The message must not repeat the number.
  EXPECT_EQ(id.error().message.find("20036914712"), std::string::npos);
}

TEST(NationalIdTest, EveryOtherK1IsRejectedUnderOldRule) {
  const std::string valid = WithCheckDigits("150320512");
  ASSERT_FALSE(valid.empty());
  int accepted = 0;
  for (char k1 = '0'; k1 <= '9'; ++k1) {
    std::string n = valid;
    n[9] = k1;
    if (ParseNationalId(n, {.accept_synthetic = true, .strict_pre_2032 = true})) ++accepted;
  }
  EXPECT_EQ(accepted, 1);
}

TEST(NationalIdTest, Rule2032AcceptsK1RemaindersOneToThree) {
  auto id = ParseNationalId("30108299939");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_TRUE(id->issued_under_2032_rule);
  auto strict = ParseNationalId("30108299939", {.accept_synthetic = true, .strict_pre_2032 = true});
  EXPECT_FALSE(strict);
}

TEST(NationalIdTest, DNummer) {
  auto id = ParseNationalId("55102499947");
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->kind, NationalIdKind::kDNummer);
  EXPECT_EQ(id->day, 15);
}

TEST(NationalIdTest, SyntheticDNummer) {
  auto id = ParseNationalId("41819077906");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->kind, NationalIdKind::kDNummer);
  EXPECT_TRUE(id->synthetic);
  EXPECT_EQ(id->month, 1);
}

TEST(NationalIdTest, SyntheticRefusedWhenNotAccepted) {
  auto id = ParseNationalId("03851598730", {.accept_synthetic = false});
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find("synthetic"), std::string::npos);
}

TEST(NationalIdTest, HNummerIsClassified) {
  const std::string h = ValidFor("154312");  // month 03 + 40
  ASSERT_FALSE(h.empty());
  auto id = ParseNationalId(h);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_EQ(id->kind, NationalIdKind::kHNummer);
  EXPECT_EQ(id->month, 3);
}

TEST(NationalIdTest, FhNummerIsClassified) {
  std::string fh;
  for (int i = 0; i < 1000 && fh.empty(); ++i) {
    char nine[10];
    std::snprintf(nine, sizeof nine, "8%08d", 12345678 + i);
    fh = WithCheckDigits(nine);
  }
  auto id = ParseNationalId(fh);
  ASSERT_TRUE(id);
  EXPECT_EQ(id->kind, NationalIdKind::kFhNummer);
}

TEST(NationalIdTest, LeapDayDependsOnCentury) {
  EXPECT_TRUE(ParseNationalId("29020073150"));   // 29.02.2000 (individ 731: 2000s)
  EXPECT_FALSE(ParseNationalId("29020105729"));  // 29.02.1901 does not exist
}

TEST(NationalIdTest, ImpossibleDatesAreRejected) {
  for (const char* date : {"320112", "001012", "311312", "310412", "150012"}) {
    const std::string n = ValidFor(date);
    ASSERT_FALSE(n.empty());
    EXPECT_FALSE(ParseNationalId(n)) << date;
  }
}

TEST(NationalIdTest, WrongLengthAndNonDigits) {
  EXPECT_FALSE(ParseNationalId(""));
  EXPECT_FALSE(ParseNationalId("2003691470"));
  EXPECT_FALSE(ParseNationalId("200369147000"));
  auto letters = ParseNationalId("2003691470X");
  ASSERT_FALSE(letters);
  EXPECT_NE(letters.error().message.find("digits only"), std::string::npos);
}

TEST(NationalIdTest, MaskHidesThePersonnummer) {
  EXPECT_EQ(MaskNationalId("20036914700"), "200369*****");
  EXPECT_EQ(MaskNationalId("123"), "***********");
}

}  // namespace
}  // namespace enrol::core
