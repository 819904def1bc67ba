#!/usr/bin/env bash
# Connectors benchmark: approved cases pushed through all three connectors,
# each against its simulator in a process of its own that adds LATENCY ms to
# every answer: digital post (SvarUt, `enrol simulate post`: sent, then
# followed until delivered), the student system (OneRoster,
# `enrol simulate sis`) and the archive (Noark 5, `enrol simulate archive`).
# The intake (which renders the letters) is not timed; the timed step runs
# from the approval of every letter until every case is completed. Every
# guardian has a digital mailbox here (no print batch); a forsendelse moves a
# status step per 60 ms and the engine polls after 200 ms, so most are
# delivered at the first poll. Prints cases/s.
# Usage: tests/bench/connectors_bench.sh [CHILDREN] [IN_FLIGHT] [LATENCY_MS]
#        (defaults 10000: about 5,000 cases; 64 calls at once per system; 20 ms)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
children="${1:-10000}"
in_flight="${2:-64}"
latency="${3:-20}"
enrol="${ENROL_BINARY:-$root/build/enrol}"
work="$(mktemp -d)"
cleanup() {
  for p in "$work"/*.pid; do [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
start() {  # NAME ARGS...: starts `enrol simulate ARGS` and prints its URL
  local name="$1"; shift
  "$enrol" simulate "$@" --listen 127.0.0.1:0 --db "$name.db" --latency-ms "$latency" > "$name.out" 2>&1 &
  echo $! > "$name.pid"
  for _ in $(seq 1 100); do grep -q listening "$name.out" && break; sleep 0.05; done
  grep -o 'http://[^ ]*' "$name.out" | head -1
}
archive_url=$(start archive archive)
sis_url=$(start sis sis)
post_url=$(start post post --undeliverable-share 0 --status-step-ms 60)
python3 - "$root/config/demo/municipality.json" config.json "$root" "$archive_url" "$sis_url" "$post_url" "$in_flight" <<'PY'
import json, sys
root = sys.argv[3]
sys.path.insert(0, root + "/tests/bench")
from bench_config import demo_config
cfg = demo_config(root)  # no manual cases: every letter is approved
cfg["workflow"]["post_poll_after"] = "PT0.2S"
c = cfg["connectors"]
c["simulator_db"] = ""
for system, url in (("archive", sys.argv[4]), ("student_system", sys.argv[5]), ("dispatch", sys.argv[6])):
    c[system].pop("simulator_db", None)
    c[system]["url"] = url
    c[system]["in_flight"] = int(sys.argv[7])
json.dump(cfg, open(sys.argv[2], "w"))
PY
export ENROL_CONFIG="$work/config.json"
"$enrol" gen-extract --municipality 5099 --children "$children" --seed 11 --school-year 2027 --out x.json >/dev/null
"$enrol" init >/dev/null
"$enrol" import x.json >/dev/null
/usr/bin/time -f "%e" -o intake.t "$enrol" intake --school-year 2027 >/dev/null
t0=$(date +%s.%N)
/usr/bin/time -f "%e %U %S %M" -o approve.t "$enrol" case event --state awaiting_approval approve --as bench --run >/dev/null
/usr/bin/time -f "%e %U %S %M" -o run.t "$enrol" run --until-idle --linger-ms 5000 >/dev/null
t1=$(date +%s.%N)
cases=$(sqlite3 enrol.db "SELECT COUNT(*) FROM cases")
completed=$(sqlite3 enrol.db "SELECT COUNT(*) FROM cases WHERE status='completed'")
polls=$(sqlite3 enrol.db "SELECT COUNT(*) FROM jobs WHERE type='post_status'")
forsendelser=$(sqlite3 post.db "SELECT COUNT(*) || ' forsendelser, ' || COUNT(DISTINCT eksternref) || ' eksternrefs' FROM forsendelser")
enrollments=$(sqlite3 sis.db "SELECT COUNT(*) FROM objects WHERE collection='enrollments'")
journalposts=$(sqlite3 archive.db "SELECT COUNT(*) FROM objects WHERE kind='journalpost'")
read -r _ au as am < approve.t
read -r _ ru rs rm < run.t
python3 - "$t0" "$t1" "$cases" "$completed" "$polls" "$forsendelser" "$enrollments" "$journalposts" "$au" "$as" "$am" "$ru" "$rs" "$rm" "$in_flight" "$latency" "$(cat intake.t)" "$(cut -d' ' -f1 approve.t)" <<'PY'
import sys
t0, t1 = float(sys.argv[1]), float(sys.argv[2])
cases, completed, polls = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
fors, enr, jps = sys.argv[6], int(sys.argv[7]), int(sys.argv[8])
cpu = float(sys.argv[9]) + float(sys.argv[10]) + float(sys.argv[12]) + float(sys.argv[13])
rss = max(int(sys.argv[11]), int(sys.argv[14])) / 1024
inflight, latency, intake = int(sys.argv[15]), int(sys.argv[16]), float(sys.argv[17])
secs = t1 - t0
print(f"connectors bench: {completed} of {cases} cases completed; {fors}; {enr} enrollments; {jps} journalposts; "
      f"{polls} status polls; intake (letters rendered) {intake:.1f} s, not timed")
print(f"  approve until every case is completed: {secs:.2f} s (approval {float(sys.argv[18]):.1f} s) ({cpu:.2f} s CPU in enrol, peak RSS {rss:.0f} MB), "
      f"{inflight} calls at once per system, {latency} ms added per answer")
print(f"  {completed / secs:.0f} cases/s through digital post, the student system and the archive")
PY
