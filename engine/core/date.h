#pragma once
// A calendar date (proleptic Gregorian), as the register writes it.

#include <compare>
#include <optional>
#include <string>
#include <string_view>

namespace enrol::core {

struct Date {
  int year = 0;
  int month = 0;
  int day = 0;

  auto operator<=>(const Date&) const = default;

  // "YYYY-MM-DD".
  [[nodiscard]] std::string ToString() const;
  // Norwegian display form "14.03.2020".
  [[nodiscard]] std::string ToNorwegian() const;
  // Norwegian long form "16. august 2027" (the same in bokmål and nynorsk).
  [[nodiscard]] std::string ToNorwegianLong() const;
  // Days since 1970-01-01 (negative before).
  [[nodiscard]] long DaysSinceEpoch() const;
  [[nodiscard]] static Date FromDaysSinceEpoch(long days);
};

bool IsLeapYear(int year);
int DaysInMonth(int year, int month);
bool IsValidDate(int year, int month, int day);

// The calendar date in Norway (Europe/Oslo: CET, UTC+1; CEST, UTC+2 from
// 01:00 UTC on the last Sunday of March to 01:00 UTC on the last Sunday of
// October, the EU rule in force since 1996) at a moment given in seconds
// since 1970-01-01T00:00:00Z.
Date OsloDate(long long unix_seconds);

// Parses "YYYY-MM-DD" (an xsd:date; a trailing time zone such as "Z" or
// "+01:00" is accepted and ignored). Returns nullopt when the text is not a
// real calendar date.
std::optional<Date> ParseIsoDate(std::string_view text);

}  // namespace enrol::core
