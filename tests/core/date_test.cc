#include "engine/core/date.h"

#include <gtest/gtest.h>

namespace enrol::core {
namespace {

TEST(DateTest, ParsesIsoDatesAndRejectsImpossibleOnes) {
  EXPECT_EQ(ParseIsoDate("2021-12-31"), (Date{2021, 12, 31}));
  EXPECT_EQ(ParseIsoDate("2020-02-29"), (Date{2020, 2, 29}));
  EXPECT_EQ(ParseIsoDate("2020-02-29Z"), (Date{2020, 2, 29}));
  EXPECT_EQ(ParseIsoDate("2020-02-29+01:00"), (Date{2020, 2, 29}));
  EXPECT_FALSE(ParseIsoDate("2021-02-29"));
  EXPECT_FALSE(ParseIsoDate("2021-13-01"));
  EXPECT_FALSE(ParseIsoDate("2021-1-01"));
  EXPECT_FALSE(ParseIsoDate("21-01-01"));
  EXPECT_FALSE(ParseIsoDate("2021-01-01T10:00"));
}

TEST(DateTest, EpochDaysRoundTrip) {
  EXPECT_EQ((Date{1970, 1, 1}).DaysSinceEpoch(), 0);
  EXPECT_EQ((Date{2000, 3, 1}).DaysSinceEpoch(), 11017);
  for (long d = -800000; d < 800000; d += 997) {
    EXPECT_EQ(Date::FromDaysSinceEpoch(d).DaysSinceEpoch(), d);
  }
}

TEST(DateTest, Formats) {
  EXPECT_EQ((Date{2021, 3, 4}).ToString(), "2021-03-04");
  EXPECT_EQ((Date{2021, 3, 4}).ToNorwegian(), "04.03.2021");
}

}  // namespace
}  // namespace enrol::core

namespace enrol::core {
namespace {

long long Utc(int y, int m, int d, int hh, int mm) {
  return static_cast<long long>(Date{y, m, d}.DaysSinceEpoch()) * 86400 + hh * 3600 + mm * 60;
}

TEST(OsloDateTest, WinterIsUtcPlusOne) {
  EXPECT_EQ(OsloDate(Utc(2026, 12, 1, 22, 59)).ToString(), "2026-12-01");
  EXPECT_EQ(OsloDate(Utc(2026, 12, 1, 23, 0)).ToString(), "2026-12-02");
  EXPECT_EQ(OsloDate(Utc(2026, 12, 31, 23, 30)).ToString(), "2027-01-01");
}

TEST(OsloDateTest, SummerIsUtcPlusTwo) {
  EXPECT_EQ(OsloDate(Utc(2027, 6, 15, 21, 59)).ToString(), "2027-06-15");
  EXPECT_EQ(OsloDate(Utc(2027, 6, 15, 22, 0)).ToString(), "2027-06-16");
}

TEST(OsloDateTest, SwitchesOnTheLastSundaysOfMarchAndOctober) {
  // 2027: summer time from Sunday 28 March 01:00 UTC to Sunday 31 October 01:00 UTC.
  EXPECT_EQ(OsloDate(Utc(2027, 3, 27, 22, 30)).ToString(), "2027-03-27");  // 23:30 CET
  EXPECT_EQ(OsloDate(Utc(2027, 3, 28, 22, 30)).ToString(), "2027-03-29");  // 00:30 CEST
  EXPECT_EQ(OsloDate(Utc(2027, 10, 30, 22, 30)).ToString(), "2027-10-31");  // 00:30 CEST
  EXPECT_EQ(OsloDate(Utc(2027, 10, 31, 22, 30)).ToString(), "2027-10-31");  // 23:30 CET
}

}  // namespace
}  // namespace enrol::core
