#include "engine/auth/argon2_hasher.h"

#include <sodium.h>

namespace enrol::auth {

Argon2Hasher::Argon2Hasher(Strength s)
    : ops_(s == Strength::kInteractive ? crypto_pwhash_OPSLIMIT_INTERACTIVE : crypto_pwhash_OPSLIMIT_MIN),
      mem_(s == Strength::kInteractive ? crypto_pwhash_MEMLIMIT_INTERACTIVE : crypto_pwhash_MEMLIMIT_MIN) {}

Result<std::string> Argon2Hasher::Hash(const std::string& password) {
  if (sodium_init() < 0) return Internal("libsodium did not start");
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops_, mem_, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return Internal("the password could not be hashed (out of memory)");
  }
  return std::string(out);
}

Result<bool> Argon2Hasher::Verify(const std::string& hash, const std::string& password) {
  if (sodium_init() < 0) return Internal("libsodium did not start");
  if (hash.rfind("$argon2id$", 0) != 0 || hash.size() >= crypto_pwhash_STRBYTES) {
    return Internal("a stored password hash is not an Argon2id hash");
  }
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

}  // namespace enrol::auth
