#pragma once
// The worker's calls to systems that take many at once (a connector's
// MaxInFlight() > 1), each on a thread of its own. Internal to the worker.

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/app/case_ports.h"

namespace enrol::app {

// Calls running on threads of their own (a connector's MaxInFlight() > 1);
// their outcomes queue up for the worker's thread, which commits them. The
// destructor waits for every call, so none outlives the worker's pass.
class InFlightCalls {
 public:
  InFlightCalls() : shared_(std::make_shared<Shared>()) {}
  ~InFlightCalls() {
    for (std::thread& t : threads_) t.join();
  }
  InFlightCalls(const InFlightCalls&) = delete;
  InFlightCalls& operator=(const InFlightCalls&) = delete;

  void Start(size_t index, const std::string& type, Connector::Call call) {
    ++running_[type];
    ++total_;
    threads_.emplace_back([shared = shared_, index, type, call = std::move(call)] {
      JobOutcome out = call();
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->done.push_back(Done{index, type, std::move(out)});
      shared->cv.notify_one();
    });
  }
  [[nodiscard]] int Running(const std::string& type) const {
    auto it = running_.find(type);
    return it == running_.end() ? 0 : it->second;
  }
  [[nodiscard]] int Running() const { return total_; }

  struct Done {
    size_t index;
    std::string type;
    JobOutcome outcome;
  };
  // A finished call's outcome; with `wait`, waits for one if any runs.
  std::optional<Done> Take(bool wait) {
    std::unique_lock<std::mutex> lock(shared_->mu);
    if (wait && total_ > 0) shared_->cv.wait(lock, [&] { return !shared_->done.empty(); });
    if (shared_->done.empty()) return std::nullopt;
    Done d = std::move(shared_->done.front());
    shared_->done.pop_front();
    --running_[d.type];
    --total_;
    return d;
  }

 private:
  struct Shared {
    std::mutex mu;
    std::condition_variable cv;
    std::deque<Done> done;
  };
  std::shared_ptr<Shared> shared_;
  std::vector<std::thread> threads_;
  std::map<std::string, int> running_;
  int total_ = 0;
};

}  // namespace enrol::app
