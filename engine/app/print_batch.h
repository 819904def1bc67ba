#pragma once
// The print batch of the letters digital post could not deliver, durable
// and idempotent as a whole: the batch is recorded with its cases (and each
// one's letter version and copies) before its file is written; the file is
// written whole and synced under a temporary name, then takes its name;
// then every case of the batch is marked printed, in one unit of work that
// also closes the batch. A run stopped anywhere (a crash, a full disk)
// leaves the batch open, and the next run for the school writes that same
// batch again, into its own file, before it makes a new one: every waiting
// letter is in exactly one batch, and a batch can be written again by id.

#include <cstdint>
#include <memory>
#include <string>

#include "engine/app/case_engine.h"
#include "engine/app/case_ports.h"
#include "engine/app/letter_ports.h"
#include "engine/app/ports.h"
#include "engine/app/settings.h"

namespace enrol::app {

// Where a batch's file goes (connectors/files does it durably).
class BatchFiles {
 public:
  virtual ~BatchFiles() = default;
  // Writes `bytes` to PATH.partial and syncs it to disk.
  [[nodiscard]] virtual Status WritePartial(const std::string& path, const std::string& bytes) = 0;
  // Renames PATH.partial to PATH and syncs the folder.
  [[nodiscard]] virtual Status Publish(const std::string& path) = 0;
  // Holds the school's print batch for this run (released with the
  // holder, and by the system when the process dies); an error when
  // another run holds it.
  [[nodiscard]] virtual Result<std::shared_ptr<void>> HoldSchool(const std::string& school) = 0;
};

struct PrintBatchResult {
  PrintBatch batch;
  int letters = 0;        // copies in the file
  int held_back = 0;      // waiting cases now protected: not printed (the office's)
  int marked = 0;         // cases marked printed now
  bool resumed = false;   // an open batch of an earlier run, written again and finished
};

class PrintBatchService {
 public:
  PrintBatchService(CaseEngine& engine, CaseStore& cases, LetterStore& letters, PersonStore& persons,
                    LetterRenderer& renderer, BatchFiles& files, const Settings& settings)
      : engine_(engine), cases_(cases), letters_(letters), persons_(persons), renderer_(renderer), files_(files),
        settings_(settings) {}

  // The school's undelivered letters into `out` (or, when the school has an
  // open batch, that batch into its own file; run again for the rest).
  [[nodiscard]] Result<PrintBatchResult> PrintUndelivered(const std::string& school, const std::string& out,
                                                          const std::string& actor);
  // Writes batch `id` again to `out`; marks nothing.
  [[nodiscard]] Result<PrintBatchResult> Reprint(int64_t id, const std::string& out);

 private:
  // Records a new batch of the school's waiting cases (none: kNotFound),
  // or returns the open one.
  Result<PrintBatchResult> OpenOrResume(const std::string& school, const std::string& out);
  // The batch's letters, with a cover sheet, as one PDF; a case whose
  // family is protected now is left out (and counted in `held_back`).
  Result<std::string> Render(const PrintBatch& b, int& letters, int& held_back);
  // A protected address, set since the letter was approved: no automatic
  // print (the one test for recording and for rendering a batch).
  Result<bool> HeldBack(const CaseRecord& c);
  Status Write(const std::string& path, const std::string& pdf);

  CaseEngine& engine_;
  CaseStore& cases_;
  LetterStore& letters_;
  PersonStore& persons_;
  LetterRenderer& renderer_;
  BatchFiles& files_;
  const Settings& settings_;
};

// The copies of a case's letter whose forsendelse digital post could not
// deliver: from its dispatch receipt (copy per forsendelse id) and its last
// post status.
[[nodiscard]] std::vector<int> UndeliveredCopies(const CaseRecord& c);

}  // namespace enrol::app
