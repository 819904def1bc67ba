#include "connectors/register/byte_stream.h"

#include "engine/core/sha256.h"

#include <openssl/evp.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace enrol::freg {

constexpr size_t kBlock = 1 << 20;

Result<std::unique_ptr<ByteStream>> ByteStream::Open(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return InvalidArgument("cannot open " + path + ": " + std::strerror(errno));
  }
  return std::unique_ptr<ByteStream>(new ByteStream(f, path));
}

ByteStream::ByteStream(FILE* f, std::string path)
    : file_(f), path_(std::move(path)), sha_(EVP_MD_CTX_new()) {
  capacity_ = 2 * kBlock;
  buf_.reset(new char[capacity_]);
  std::setvbuf(file_, nullptr, _IONBF, 0);  // fread of whole blocks needs no stdio buffer
  EVP_DigestInit_ex(sha_, EVP_sha256(), nullptr);
}

ByteStream::~ByteStream() {
  std::fclose(file_);
  EVP_MD_CTX_free(sha_);
}

Result<bool> ByteStream::Fill() {
  if (eof_) return false;
  // Keep only the unconsumed tail; the buffer never holds more than one
  // record plus a block.
  if (start_ > 0) {
    std::memmove(buf_.get(), buf_.get() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
  }
  if (end_ + kBlock > capacity_) {  // a record longer than a block
    capacity_ = 2 * (end_ + kBlock);
    std::unique_ptr<char[]> bigger(new char[capacity_]);
    std::memcpy(bigger.get(), buf_.get(), end_);
    buf_ = std::move(bigger);
  }
  const size_t old = end_;
  const size_t n = std::fread(buf_.get() + end_, 1, kBlock, file_);
  end_ += n;
  if (n < kBlock) {
    if (std::ferror(file_)) return Unavailable("read error on " + path_);
    eof_ = true;
  }
  EVP_DigestUpdate(sha_, buf_.get() + old, n);
  bytes_ += static_cast<int64_t>(n);
  return n > 0;
}

std::string ByteStream::Sha256Hex() const {
  if (digest_.empty()) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX* copy = EVP_MD_CTX_new();
    EVP_MD_CTX_copy_ex(copy, sha_);
    EVP_DigestFinal_ex(copy, md, &len);
    EVP_MD_CTX_free(copy);
    digest_ = core::ToHex(md, len);
  }
  return digest_;
}

}  // namespace enrol::freg
