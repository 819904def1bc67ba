// The school year and dates by the calendar in Norway, not UTC.
#include "engine/app/cohort_report.h"

#include <gtest/gtest.h>

#include "engine/app/ports.h"

namespace enrol::app {
namespace {

std::chrono::system_clock::time_point Utc(long long unix_seconds) {
  return std::chrono::system_clock::time_point(std::chrono::seconds(unix_seconds));
}

// Defect (issue 19): the default school year turned at midnight UTC.
TEST(CohortReportTest, TheDefaultSchoolYearTurnsOnTheFirstOfJulyInNorway) {
  // 2027-06-30T22:30:00Z is 00:30 on 1 July in Oslo (CEST, UTC+2).
  EXPECT_EQ(DefaultSchoolYear(Utc(1814394600)), 2028);
  // 2027-06-30T21:30:00Z is still 30 June in Oslo.
  EXPECT_EQ(DefaultSchoolYear(Utc(1814391000)), 2027);
}

// Defect (issue 19): the archive's dokumentetsDato was the UTC day.
TEST(CohortReportTest, ALettersDateIsItsDayInNorway) {
  EXPECT_EQ(OsloDateOfUtc("2027-01-01T23:30:00Z"), std::optional<std::string>("2027-01-02"));  // CET
  EXPECT_EQ(OsloDateOfUtc("2027-08-10T21:59:59Z"), std::optional<std::string>("2027-08-10"));  // CEST
  EXPECT_EQ(OsloDateOfUtc("2027-08-10T22:00:00Z"), std::optional<std::string>("2027-08-11"));
  EXPECT_EQ(OsloDateOfUtc("2027-08-10"), std::nullopt);
  EXPECT_EQ(OsloDateOfUtc("2027-08-10T22:00:00Z trailing"), std::nullopt);
}

}  // namespace
}  // namespace enrol::app
