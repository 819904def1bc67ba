#!/usr/bin/env bash
# Archive benchmark: approved letters filed through the Noark 5 client over
# HTTP in an archive simulator (`enrol simulate archive`) that adds LATENCY ms
# to every answer. The intake (which renders the letters) is not timed; the
# timed step is the approval of every letter, after which the dispatch and
# student-system simulators answer at once and the archive takes its time.
# Prints letters/s, requests/s and the requests in flight at the archive.
# Usage: tests/bench/archive_bench.sh [CHILDREN] [IN_FLIGHT] [LATENCY_MS]
#        (defaults 10000: about 5,000 letters; 64 filings at once; 20 ms)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
children="${1:-10000}"
in_flight="${2:-64}"
latency="${3:-20}"
enrol="${ENROL_BINARY:-$root/build/enrol}"
work="$(mktemp -d)"
cleanup() { [ -f "$work/sim.pid" ] && kill "$(cat "$work/sim.pid")" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work"
"$enrol" simulate archive --listen 127.0.0.1:0 --db archive.db --latency-ms "$latency" > sim.out 2>&1 &
echo $! > sim.pid
for _ in $(seq 1 100); do grep -q listening sim.out && break; sleep 0.05; done
url=$(grep -o 'http://[^ ]*/noark5v5/' sim.out)
base="${url%/noark5v5/}"
python3 - "$root/config/demo/municipality.json" config.json "$root" "$url" "$in_flight" <<'PY'
import json, sys
root = sys.argv[3]
sys.path.insert(0, root + "/tests/bench")
from bench_config import demo_config
cfg = demo_config(root)  # no manual cases: every letter is approved
c = cfg["connectors"]
c["simulator_db"] = ""
c.pop("dispatch", None)        # the generic simulators: instant, so the archive is what is measured
c.pop("student_system", None)
a = c["archive"]
a.pop("simulator_db", None)
a["url"] = sys.argv[4]
a["in_flight"] = int(sys.argv[5])
json.dump(cfg, open(sys.argv[2], "w"))
PY
export ENROL_CONFIG="$work/config.json"
"$enrol" gen-extract --municipality 5099 --children "$children" --seed 11 --school-year 2027 --out x.json >/dev/null
"$enrol" init >/dev/null
"$enrol" import x.json >/dev/null
/usr/bin/time -f "%e" -o intake.t "$enrol" intake --school-year 2027 >/dev/null
before=$(curl -s "$base/noark5v5/stats")
/usr/bin/time -f "%e %U %S %M" -o approve.t "$enrol" case event --state awaiting_approval approve --as bench --run >/dev/null
after=$(curl -s "$base/noark5v5/stats")
read -r secs user sys kb < approve.t
filed=$(sqlite3 enrol.db "SELECT COUNT(*) FROM jobs WHERE type='archive' AND status='done'")
queued=$(sqlite3 enrol.db "SELECT COUNT(*) FROM jobs WHERE type='archive' AND status!='done'")
journalposts=$(sqlite3 archive.db "SELECT COUNT(*) FROM objects WHERE kind='journalpost'")
mapper=$(sqlite3 archive.db "SELECT COUNT(*) FROM objects WHERE kind='saksmappe'")
python3 - "$before" "$after" "$secs" "$user" "$sys" "$kb" "$filed" "$queued" "$journalposts" "$mapper" "$in_flight" "$latency" "$(cat intake.t)" <<'PY'
import json, sys
b, a = json.loads(sys.argv[1]), json.loads(sys.argv[2])
secs, user, sysc, kb = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
filed, queued, jps, mapper, inflight, latency, intake = (int(sys.argv[7]), int(sys.argv[8]), int(sys.argv[9]),
                                                        int(sys.argv[10]), int(sys.argv[11]), int(sys.argv[12]),
                                                        float(sys.argv[13]))
req = a["requests"] - b["requests"] - 1  # less the stats request itself
busy = a["busy_seconds"] - b["busy_seconds"]
print(f"archive bench: {filed} letters filed ({queued} not), {jps} journalposts in {mapper} saksmapper; "
      f"intake (letters rendered) {intake:.1f} s, not timed")
print(f"  approve and file: {secs:.2f} s ({user + sysc:.2f} s CPU, peak RSS {kb / 1024:.0f} MB), "
      f"{inflight} filings at once, {latency} ms added per answer")
print(f"  {filed / secs:.0f} letters/s, {req / secs:.0f} requests/s ({req / max(filed, 1):.1f} per letter), "
      f"requests in flight at the archive: mean {busy / secs:.1f}, max {a['max_in_flight']}")
PY
