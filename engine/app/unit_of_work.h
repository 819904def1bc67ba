#pragma once
// The unit of work: the only way the engine opens a transaction on the case
// store. Begin() opens one; it rolls back unless Commit() is called, and a
// Savepoint inside it rolls back unless released, so that no error path
// leaves a transaction open or half a change behind. Every command checks
// its rules (who may act, whether the family is protected, whether the
// incident is still open) through the unit of work it acts in.
//
// Threads: a unit of work belongs to the thread that began it; the store
// has one open at a time.

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "engine/app/case_ports.h"

namespace enrol::app {

class UnitOfWork {
 public:
  [[nodiscard]] static Result<UnitOfWork> Begin(CaseStore& store) {
    ENROL_RETURN_IF_ERROR(store.Begin());
    return UnitOfWork(store);
  }
  UnitOfWork(UnitOfWork&& o) noexcept : store_(o.store_), open_(std::exchange(o.open_, false)) {}
  UnitOfWork(const UnitOfWork&) = delete;
  UnitOfWork& operator=(const UnitOfWork&) = delete;
  UnitOfWork& operator=(UnitOfWork&&) = delete;
  ~UnitOfWork() {
    if (open_) store_->Rollback();
  }

  // Makes every change durable at once; the unit of work is closed after,
  // whether it succeeded or not.
  [[nodiscard]] Status Commit() {
    open_ = false;
    return store_->Commit();
  }

  // A savepoint: the changes after it roll back alone unless released.
  class Savepoint {
   public:
    Savepoint(Savepoint&& o) noexcept : store_(o.store_), open_(std::exchange(o.open_, false)) {}
    Savepoint(const Savepoint&) = delete;
    Savepoint& operator=(const Savepoint&) = delete;
    Savepoint& operator=(Savepoint&&) = delete;
    ~Savepoint() { (void)RollBack(); }
    [[nodiscard]] Status Release() {
      open_ = false;
      return store_->Release();
    }
    Status RollBack() {
      if (!std::exchange(open_, false)) return {};
      return store_->RollbackToSavepoint();
    }

   private:
    friend class UnitOfWork;
    explicit Savepoint(CaseStore& store) : store_(&store), open_(true) {}
    CaseStore* store_;
    bool open_;
  };
  [[nodiscard]] Result<Savepoint> Save() {
    ENROL_RETURN_IF_ERROR(store_->Savepoint());
    return Savepoint(*store_);
  }

  // The ports this unit of work acts through.
  [[nodiscard]] Cases& cases() { return *store_; }
  [[nodiscard]] JobQueue& jobs() { return *store_; }
  [[nodiscard]] Timers& timers() { return *store_; }
  [[nodiscard]] Incidents& incidents() { return *store_; }
  [[nodiscard]] AuditLog& audit() { return *store_; }
  [[nodiscard]] PrintBatches& print_batches() { return *store_; }

 private:
  explicit UnitOfWork(CaseStore& store) : store_(&store), open_(true) {}
  CaseStore* store_;
  bool open_;
};

// Another writer held the database longer than a statement waits.
inline bool IsBusy(const Error& e) { return e.code == ErrorCode::kAborted; }

// Runs step(tx, 0, alone) .. step(tx, n-1, alone) in one unit of work and
// returns their results once it has committed; finish(tx, alone) runs
// before the commit.
// A step that fails leaves nothing behind: the first pass runs without
// savepoints (SQLite copies every page a savepoint touches into its
// sub-journal, which costs more than the steps themselves), and if any step
// or finish fails it rolls back and runs them all again, `alone` in a
// savepoint each, so that the others still commit. A busy database ends it
// with nothing written.
struct NoFinish {
  Status operator()(UnitOfWork& /*tx*/, bool /*alone*/) const { return {}; }
};
template <class T, class Step, class Finish = NoFinish>
Result<std::vector<Result<T>>> AllOrEachAlone(CaseStore& store, size_t n, Step step, Finish finish = {}) {
  for (const bool alone : {false, true}) {
    std::vector<Result<T>> out;
    out.reserve(n);
    ENROL_ASSIGN_OR_RETURN(UnitOfWork tx, UnitOfWork::Begin(store));
    bool failed = false;
    for (size_t i = 0; i < n && !failed; ++i) {
      std::optional<UnitOfWork::Savepoint> savepoint;
      if (alone) {
        ENROL_ASSIGN_OR_RETURN(UnitOfWork::Savepoint sp, tx.Save());
        savepoint.emplace(std::move(sp));
      }
      Result<T> r = step(tx, i, alone);
      if (!r && IsBusy(r.error())) return tl::unexpected(r.error());
      if (savepoint) ENROL_RETURN_IF_ERROR(r ? savepoint->Release() : savepoint->RollBack());
      failed = !r && !alone;
      out.push_back(std::move(r));
    }
    if (!failed) {
      Status done = finish(tx, alone);
      if (!done && (alone || IsBusy(done.error()))) return tl::unexpected(done.error());
      failed = !done;
    }
    if (failed) continue;  // the unit of work rolls back
    ENROL_RETURN_IF_ERROR(tx.Commit());
    return out;
  }
  return Internal("unreachable");
}

}  // namespace enrol::app
