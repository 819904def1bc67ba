#pragma once
// A file read in blocks into a sliding buffer, hashed (SHA-256) as it is read.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

typedef struct evp_md_ctx_st EVP_MD_CTX;

namespace enrol::freg {

class ByteStream {
 public:
  [[nodiscard]] static Result<std::unique_ptr<ByteStream>> Open(const std::string& path);
  ~ByteStream();
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  // The unconsumed bytes held now.
  [[nodiscard]] std::string_view Data() const {
    return std::string_view(buf_.get() + start_, end_ - start_);
  }
  // Drops `n` bytes from the front of Data().
  void Consume(size_t n) { start_ += n; }
  // Reads the next block, appending to Data(). False at end of file.
  [[nodiscard]] Result<bool> Fill();
  [[nodiscard]] bool AtEof() const { return eof_; }
  [[nodiscard]] int64_t BytesRead() const { return bytes_; }
  // Hex digest; call once the file has been read to the end.
  [[nodiscard]] std::string Sha256Hex() const;

 private:
  ByteStream(FILE* f, std::string path);
  FILE* file_;
  std::string path_;
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t start_ = 0;  // Data() is [start_, end_)
  size_t end_ = 0;
  bool eof_ = false;
  int64_t bytes_ = 0;
  EVP_MD_CTX* sha_;
  mutable std::string digest_;
};

}  // namespace enrol::freg
