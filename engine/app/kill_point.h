#pragma once
// Test points. The crash test's deterministic kill points:
// ENROL_KILL_POINT=NAME:N kills the process (SIGKILL) the N-th time it
// passes NAME (compiled in test builds only, ENROL_TEST_HOOKS; a no-op
// otherwise). And named places where a test runs what another process
// would do at that moment (a race made deterministic): a no-op unless a
// test has set a hook.

#include <functional>
#include <string_view>

namespace enrol::app {

void KillPoint(const char* name);

// Calls the hook set by SetTestPoint, if any, with `name`.
void TestPoint(std::string_view name);
// Sets (or with an empty function, clears) the hook; for tests only, on the
// thread that passes the points.
void SetTestPoint(std::function<void(std::string_view)> hook);

}  // namespace enrol::app
