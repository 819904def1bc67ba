#include "connectors/files/batch_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "connectors/files/durable_file.h"

namespace enrol::files {

Status DurableBatchFiles::WritePartial(const std::string& path, const std::string& bytes) {
  return WriteSynced(path + ".partial", bytes);
}

Status DurableBatchFiles::Publish(const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(path + ".partial", path, ec);
  if (ec) return Unavailable("cannot rename " + path + ".partial to " + path + ": " + ec.message());
  SyncDir(std::filesystem::absolute(path).parent_path());
  return {};
}

Result<std::shared_ptr<void>> DurableBatchFiles::HoldSchool(const std::string& school) {
  std::string safe;
  for (char c : school) safe += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '_';
  const std::string lock = lock_prefix_ + ".print-" + safe + ".lock";
  const int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Unavailable("cannot open the lock file " + lock + ": " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return FailedPrecondition("another print batch of school " + school +
                                " is being written now; wait for it to finish, then run again");
    }
    return Unavailable("cannot lock " + lock + ": " + std::strerror(err));
  }
  return std::shared_ptr<void>(new int(fd), [](void* p) {
    int* f = static_cast<int*>(p);
    ::close(*f);  // releases the lock
    delete f;
  });
}

}  // namespace enrol::files
