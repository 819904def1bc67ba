#pragma once
// Norwegian national identity numbers (fødselsnummer and its relatives).
//
// The number is DDMMYY III K1 K2. Relatives carry offsets on the date:
//   D-nummer   first digit +4 (day 41-71)
//   H-nummer   month +40 (third digit 4-5); never a register identity
//   FH-nummer  first digit 8 or 9, no date; never a register identity
//   synthetic  Skatteetaten/Tenor test numbers: month +80 (third digit 8-9),
//              combinable with the D-nummer offset.
// Check digits: before 2032 both K1 and K2 leave remainder 0 (mod 11); from
// 2032 the K1 sum may also leave 1, 2 or 3. Numbers valid under the old rule
// are valid under the new, so validation accepts either unless
// `strict_pre_2032` is set.
//
// Birth dates are never derived from the number for cohort work: the register's
// foedselsdato is the truth (D-numbers and post-2032 numbers carry no century).

#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace enrol::core {

enum class NationalIdKind { kFoedselsnummer, kDNummer, kHNummer, kFhNummer };

std::string_view NationalIdKindName(NationalIdKind kind);

struct NationalIdOptions {
  bool accept_synthetic = true;   // Tenor month+80 numbers (test environments)
  bool strict_pre_2032 = false;   // only the old K1 rule
};

struct NationalId {
  std::string digits;  // the 11 digits as given
  NationalIdKind kind = NationalIdKind::kFoedselsnummer;
  bool synthetic = false;
  bool issued_under_2032_rule = false;  // valid only under the new K1 rule
  int day = 0;    // date part with the offsets removed (0 for FH)
  int month = 0;
  int two_digit_year = 0;
};

// Validates `text` and classifies it. Errors (kInvalidArgument) say what is
// wrong without repeating the number, so they are safe to log.
[[nodiscard]] Result<NationalId> ParseNationalId(std::string_view text,
                                                 NationalIdOptions options = {});

// True when the check digits of 11 ASCII digits are valid under the chosen rule.
bool CheckDigitsValid(std::string_view digits, bool allow_2032_rule);

// Computes K1 and K2 for the first nine digits under the pre-2032 rule.
// Returns false when no valid number exists for them (a check digit of 10).
bool ComputeCheckDigits(std::string_view nine_digits, char* k1, char* k2);

// A display form that hides the personnummer: "140320*****".
std::string MaskNationalId(std::string_view digits);

}  // namespace enrol::core
