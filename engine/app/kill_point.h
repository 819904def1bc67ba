#pragma once
// The crash test's deterministic kill points: ENROL_KILL_POINT=NAME:N kills
// the process (SIGKILL) the N-th time it passes NAME. Compiled in test builds
// only (ENROL_TEST_HOOKS); a no-op otherwise.

namespace enrol::app {

void KillPoint(const char* name);

}  // namespace enrol::app
