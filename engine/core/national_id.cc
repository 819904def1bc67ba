#include "engine/core/national_id.h"

#include <array>

#include "engine/core/date.h"

namespace enrol::core {
namespace {

constexpr std::array<int, 9> kWeightsK1 = {3, 7, 6, 1, 8, 9, 4, 5, 2};
constexpr std::array<int, 10> kWeightsK2 = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};

int Digit(std::string_view s, size_t i) { return s[i] - '0'; }

// Centuries the individnummer allows under the pre-2032 allocation table.
// Post-2032 numbers and extended D-number series carry no century, so callers
// fall back to "any century" for those.
std::array<bool, 3> CenturiesFor(int individ, int yy) {  // 1800s, 1900s, 2000s
  std::array<bool, 3> c = {false, false, false};
  if (individ <= 499) c[1] = true;
  if (individ >= 500 && individ <= 749 && yy > 54) c[0] = true;
  if (individ >= 900 && yy > 39) c[1] = true;
  if (individ >= 500 && yy < 40) c[2] = true;
  return c;
}

}  // namespace

std::string_view NationalIdKindName(NationalIdKind kind) {
  switch (kind) {
    case NationalIdKind::kFoedselsnummer: return "fødselsnummer";
    case NationalIdKind::kDNummer: return "D-nummer";
    case NationalIdKind::kHNummer: return "H-nummer";
    case NationalIdKind::kFhNummer: return "FH-nummer";
  }
  return "?";
}

bool CheckDigitsValid(std::string_view d, bool allow_2032_rule) {
  if (d.size() != 11) return false;
  int s1 = 0;
  for (size_t i = 0; i < 9; ++i) s1 += kWeightsK1[i] * Digit(d, i);
  const int r1 = (s1 + Digit(d, 9)) % 11;
  const bool k1_ok = allow_2032_rule ? r1 <= 3 : r1 == 0;
  int s2 = 0;
  for (size_t i = 0; i < 10; ++i) s2 += kWeightsK2[i] * Digit(d, i);
  const bool k2_ok = (s2 + Digit(d, 10)) % 11 == 0;
  return k1_ok && k2_ok;
}

bool ComputeCheckDigits(std::string_view nine, char* k1, char* k2) {
  int s1 = 0;
  for (size_t i = 0; i < 9; ++i) s1 += kWeightsK1[i] * Digit(nine, i);
  int c1 = 11 - s1 % 11;
  if (c1 == 11) c1 = 0;
  if (c1 == 10) return false;
  int s2 = 0;
  for (size_t i = 0; i < 9; ++i) s2 += kWeightsK2[i] * Digit(nine, i);
  s2 += kWeightsK2[9] * c1;
  int c2 = 11 - s2 % 11;
  if (c2 == 11) c2 = 0;
  if (c2 == 10) return false;
  *k1 = static_cast<char>('0' + c1);
  *k2 = static_cast<char>('0' + c2);
  return true;
}

Result<NationalId> ParseNationalId(std::string_view text, NationalIdOptions options) {
  if (text.size() != 11) {
    return InvalidArgument("national id number must have 11 digits, has " +
                           std::to_string(text.size()) + " characters");
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return InvalidArgument("national id number must contain digits only");
    }
  }
  NationalId id;
  id.digits = std::string(text);
  const int first = Digit(text, 0);
  if (first >= 8) {
    id.kind = NationalIdKind::kFhNummer;
  } else if (first >= 4) {
    id.kind = NationalIdKind::kDNummer;
  }

  const bool old_rule = CheckDigitsValid(text, false);
  const bool new_rule = !options.strict_pre_2032 && CheckDigitsValid(text, true);
  if (!old_rule && !new_rule) {
    return InvalidArgument("national id number has wrong check digits");
  }
  id.issued_under_2032_rule = !old_rule;
  if (id.kind == NationalIdKind::kFhNummer) return id;  // no date to check

  int day = Digit(text, 0) * 10 + Digit(text, 1);
  int month = Digit(text, 2) * 10 + Digit(text, 3);
  if (id.kind == NationalIdKind::kDNummer) day -= 40;
  if (month > 80) {
    id.synthetic = true;
    month -= 80;
  } else if (month > 40) {
    id.kind = id.kind == NationalIdKind::kDNummer ? id.kind : NationalIdKind::kHNummer;
    month -= 40;
  }
  if (id.synthetic && !options.accept_synthetic) {
    return InvalidArgument(
        "national id number is a synthetic test number (month +80), not accepted "
        "in this environment");
  }
  const int yy = Digit(text, 4) * 10 + Digit(text, 5);
  const int individ = Digit(text, 6) * 100 + Digit(text, 7) * 10 + Digit(text, 8);
  if (month < 1 || month > 12 || day < 1 || day > 31) {
    return InvalidArgument("national id number's date part is not a calendar date");
  }
  // Leap days need the century. Trust the allocation table only where it is
  // reliable (ordinary numbers under the old rule); otherwise accept a date
  // that is real in any century.
  std::array<bool, 3> centuries = {true, true, true};
  if (id.kind == NationalIdKind::kFoedselsnummer && !id.issued_under_2032_rule &&
      !id.synthetic) {
    centuries = CenturiesFor(individ, yy);
  }
  bool real = false;
  for (int c = 0; c < 3; ++c) {
    if (centuries[c] && IsValidDate(1800 + 100 * c + yy, month, day)) real = true;
  }
  if (!real) {
    return InvalidArgument("national id number's date part is not a calendar date");
  }
  id.day = day;
  id.month = month;
  id.two_digit_year = yy;
  return id;
}

std::string MaskNationalId(std::string_view digits) {
  if (digits.size() != 11) return "***********";
  return std::string(digits.substr(0, 6)) + "*****";
}

}  // namespace enrol::core
