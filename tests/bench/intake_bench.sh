#!/usr/bin/env bash
# Intake benchmark: a whole school year's intake through the whole workflow,
# durably, with the instant connector simulators and automatic approval.
#   1. enrol intake (cases created, letters drafted)
#   2. enrol case event --state awaiting_approval approve (every letter)
#   3. enrol run --until-idle (dispatch, student system, archive)
# Prints cases/s, events/s and peak RSS. SQLite runs in WAL mode with
# synchronous=NORMAL: every transaction survives a crash of the process.
# Runs it RUNS times (default 3) on fresh databases and prints each, then the
# median: this VM's timings vary by a third between identical runs.
# Usage: tests/bench/intake_bench.sh [CHILDREN] [RUNS]  (default 50000: about 25,000 cases)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
children="${1:-50000}"
runs="${2:-3}"
enrol="${ENROL_BINARY:-$root/build/enrol}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# The demo municipality with no manual cases, so that every case can complete.
python3 - "$root" "$work/config.json" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1] + "/tests/bench")
from bench_config import demo_config
cfg = demo_config(sys.argv[1])
cfg["connectors"] = {"mode": "simulator", "simulator_db": ""}  # instant, in memory
json.dump(cfg, open(sys.argv[2], "w"))
PY
export ENROL_CONFIG="$work/config.json"
cd "$work"
"$enrol" gen-extract --municipality 5099 --children "$children" --seed 7 --school-year 2027 --out x.json >/dev/null
"$enrol" init >/dev/null
"$enrol" import x.json >/dev/null
cp enrol.db imported.db
run() {  # label, command...: time and peak RSS of one step
  local label="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/t" "$@" > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  read -r s u sy kb < "$work/t"
  echo "$label $s $(echo "$u + $sy" | awk '{ print $1 + $3 }') $kb"
}
: > "$work/totals"
for r in $(seq 1 "$runs"); do
  rm -f enrol.db-wal enrol.db-shm enrol.db.audit-head  # a fresh copy: the last run's audit head does not apply
  cp imported.db enrol.db
  {
    run intake "$enrol" intake --school-year 2027
    run approve "$enrol" case event --state awaiting_approval approve --as bench
    run run "$enrol" run --until-idle
  } > "$work/steps"
  cases=$(sqlite3 enrol.db "SELECT COUNT(*) FROM cases")
  completed=$(sqlite3 enrol.db "SELECT COUNT(*) FROM cases WHERE status='completed'")
  events=$(sqlite3 enrol.db "SELECT COUNT(*) FROM case_events")
  jobs=$(sqlite3 enrol.db "SELECT COUNT(*) FROM jobs WHERE status='done'")
  audit=$(sqlite3 enrol.db "SELECT COUNT(*) FROM audit")
  "$enrol" audit checkpoint >/dev/null
  awk -v c="$cases" -v done="$completed" -v e="$events" -v j="$jobs" -v a="$audit" -v r="$r" '
    { t[$1] = $2; total += $2; cpu += $3; if ($4 > rss) rss = $4 }
    END {
      printf "run %d: %d cases (%d completed), %d events, %d connector jobs, %d audit rows\n", r, c, done, e, j, a
      printf "  intake %.2f s, approve %.2f s, run %.2f s: %.2f s end to end (%.2f s CPU), %.0f cases/s, %.0f events/s, peak RSS %.1f MB\n",
             t["intake"], t["approve"], t["run"], total, cpu, c / total, e / total, rss / 1024
      printf "%.2f %.2f %d %d\n", total, cpu, c, e > "/dev/stderr"
    }' "$work/steps" 2>> "$work/totals"
done
sort -n "$work/totals" | awk -v n="$runs" '{ v[NR] = $0 } END {
  split(v[int((n + 1) / 2)], m, " ")
  printf "intake bench, median of %d: %.2f s end to end (%.2f s CPU) for %d cases: %.0f cases/s, %.0f events/s (SQLite WAL, synchronous=NORMAL)\n",
         n, m[1], m[2], m[3], m[3] / m[1], m[4] / m[1] }'
