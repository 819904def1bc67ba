#pragma once
// SHA-256 as lower-case hex: the identity of imported files, workflow
// versions and audit rows.

#include <string>
#include <string_view>

namespace enrol::core {

std::string Sha256Hex(std::string_view data);

// HMAC-SHA-256 of `data` under `key`, as lower-case hex.
std::string HmacSha256Hex(std::string_view key, std::string_view data);

// Lower-case hex of raw bytes.
std::string ToHex(const unsigned char* bytes, size_t n);

}  // namespace enrol::core
