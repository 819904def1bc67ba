#include "engine/core/date.h"

#include <cstdio>

namespace enrol::core {

bool IsLeapYear(int year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) return 0;
  if (month == 2 && IsLeapYear(year)) return 29;
  return kDays[month - 1];
}

bool IsValidDate(int year, int month, int day) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 &&
         day <= DaysInMonth(year, month);
}

std::string Date::ToString() const {
  // Hand-formatted: this runs for every person of every import.
  std::string s(10, '0');
  int y = year;
  for (int i = 3; i >= 0; --i, y /= 10) s[i] = static_cast<char>('0' + y % 10);
  s[4] = '-';
  s[5] = static_cast<char>('0' + month / 10);
  s[6] = static_cast<char>('0' + month % 10);
  s[7] = '-';
  s[8] = static_cast<char>('0' + day / 10);
  s[9] = static_cast<char>('0' + day % 10);
  return s;
}

std::string Date::ToNorwegian() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d.%02d.%04d", day, month, year);
  return buf;
}

std::string Date::ToNorwegianLong() const {
  static constexpr const char* kMonths[] = {"januar", "februar", "mars",      "april",   "mai",      "juni",
                                            "juli",   "august",  "september", "oktober", "november", "desember"};
  if (month < 1 || month > 12) return ToString();
  return std::to_string(day) + ". " + kMonths[month - 1] + " " + std::to_string(year);
}

// Howard Hinnant's days_from_civil: exact for the whole proleptic calendar.
long Date::DaysSinceEpoch() const {
  const int y = year - (month <= 2 ? 1 : 0);
  const long era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned mp = static_cast<unsigned>(month + (month > 2 ? -3 : 9));
  const unsigned doy = (153 * mp + 2) / 5 + static_cast<unsigned>(day) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<long>(doe) - 719468;
}

Date Date::FromDaysSinceEpoch(long z) {
  z += 719468;
  const long era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const long y = static_cast<long>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return Date{static_cast<int>(y + (m <= 2 ? 1 : 0)), static_cast<int>(m),
              static_cast<int>(d)};
}

std::optional<Date> ParseIsoDate(std::string_view text) {
  if (text.size() < 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto digits = [&](size_t pos, size_t n) -> int {
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return -1;
      v = v * 10 + (text[i] - '0');
    }
    return v;
  };
  const int y = digits(0, 4), m = digits(5, 2), d = digits(8, 2);
  if (y < 0 || m < 0 || d < 0 || !IsValidDate(y, m, d)) return std::nullopt;
  const std::string_view rest = text.substr(10);
  if (!rest.empty() && rest != "Z" &&
      !(rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':')) {
    return std::nullopt;
  }
  return Date{y, m, d};
}

namespace {

// Seconds since the epoch of 01:00 UTC on the last Sunday of `month`.
long long LastSundayOneUtc(int year, int month) {
  const long last = Date{year, month, DaysInMonth(year, month)}.DaysSinceEpoch();
  const long weekday = ((last % 7) + 7 + 4) % 7;  // 1970-01-01 was a Thursday (4); Sunday is 0
  return static_cast<long long>(last - weekday) * 86400 + 3600;
}

long long FloorDiv(long long a, long long b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

Date OsloDate(long long unix_seconds) {
  const int year = Date::FromDaysSinceEpoch(static_cast<long>(FloorDiv(unix_seconds, 86400))).year;
  const bool summer = unix_seconds >= LastSundayOneUtc(year, 3) && unix_seconds < LastSundayOneUtc(year, 10);
  const long long local = unix_seconds + (summer ? 7200 : 3600);
  return Date::FromDaysSinceEpoch(static_cast<long>(FloorDiv(local, 86400)));
}

}  // namespace enrol::core
