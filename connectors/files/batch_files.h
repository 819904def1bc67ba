#pragma once
// The print batch's file (app::BatchFiles): written whole and synced under
// PATH.partial, renamed into place, the folder synced; and one run per
// school, held with flock(2) on a lock file beside the database (released
// by the kernel when the process ends, however it ends).

#include <string>

#include "engine/app/print_batch.h"

namespace enrol::files {

class DurableBatchFiles final : public app::BatchFiles {
 public:
  // Lock files are made as LOCK_PREFIX.print-SCHOOL.lock.
  explicit DurableBatchFiles(std::string lock_prefix) : lock_prefix_(std::move(lock_prefix)) {}
  Status WritePartial(const std::string& path, const std::string& bytes) override;
  Status Publish(const std::string& path) override;
  Result<std::shared_ptr<void>> HoldSchool(const std::string& school) override;

 private:
  std::string lock_prefix_;
};

}  // namespace enrol::files
