#include "engine/app/kill_point.h"

#include <csignal>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

namespace enrol::app {

void KillPoint(const char* name) {
#ifdef ENROL_TEST_HOOKS
  static const char* spec = std::getenv("ENROL_KILL_POINT");
  if (!spec) return;
  static std::atomic<int> passes{0};
  const std::string s(spec);
  const size_t colon = s.find(':');
  if (s.substr(0, colon) != name) return;
  const int at = colon == std::string::npos ? 1 : std::atoi(s.c_str() + colon + 1);
  if (++passes >= at) ::kill(::getpid(), SIGKILL);
#else
  (void)name;
#endif
}

namespace {
std::function<void(std::string_view)>& Hook() {
  static std::function<void(std::string_view)> hook;
  return hook;
}
}  // namespace

void TestPoint(std::string_view name) {
  if (auto& hook = Hook()) hook(name);
}

void SetTestPoint(std::function<void(std::string_view)> hook) { Hook() = std::move(hook); }

}  // namespace enrol::app
