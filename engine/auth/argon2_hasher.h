#pragma once
// Passwords as Argon2id hashes (libsodium crypto_pwhash_str: the
// algorithm, its parameters and a random salt are inside the string).
// The interactive limits by default: about 64 MiB and a fraction of a
// second per hash; tests may ask for the minimum.

#include "engine/app/users.h"

namespace enrol::auth {

class Argon2Hasher final : public app::PasswordHasher {
 public:
  enum class Strength { kInteractive, kMinimum };
  explicit Argon2Hasher(Strength s = Strength::kInteractive);
  [[nodiscard]] Result<std::string> Hash(const std::string& password) override;
  [[nodiscard]] Result<bool> Verify(const std::string& hash, const std::string& password) override;

 private:
  unsigned long long ops_;
  size_t mem_;
};

}  // namespace enrol::auth
