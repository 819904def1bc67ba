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
