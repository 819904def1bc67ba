#!/usr/bin/env bash
# Web benchmark: wrk against the secretary's inbox endpoint
# (GET /api/v1/cases?phase=awaiting_approval, a page of 50 with the counts)
# of the school with the most cases, signed in, at CONNECTIONS connections.
# Target: 3,000 requests/s or better and p99 under 20 ms on this machine
# (2 cores; wrk shares them with the server).
# Usage: tests/bench/web_bench.sh [CHILDREN] [CONNECTIONS] [SECONDS]
#   (default 36000 children: about 2,000 cases at the largest school; 50; 20)
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$(pwd)"
children="${1:-36000}"
connections="${2:-50}"
seconds="${3:-20}"
enrol="${ENROL_BINARY:-$root/build/enrol}"
command -v wrk >/dev/null || { echo "wrk is missing: run scripts/setup"; exit 1; }
work="$(mktemp -d)"
trap 'kill $(cat "$work/serve.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
# The demo municipality; letters and the other systems by the instant
# in-memory simulators (the inbox is what this measures, not the intake).
python3 - "$root" "$work/config.json" <<'PY'
import json, sys
sys.path.insert(0, sys.argv[1] + "/tests/bench")
from bench_config import demo_config
cfg = demo_config(sys.argv[1], completable=False)
cfg["connectors"] = {"mode": "simulator", "simulator_db": ""}
json.dump(cfg, open(sys.argv[2], "w"))
PY
export ENROL_CONFIG="$work/config.json"
cd "$work"
"$enrol" gen-extract --municipality 5099 --children "$children" --seed 7 --school-year 2027 --out x.json >/dev/null
"$enrol" init >/dev/null
"$enrol" import x.json >/dev/null
"$enrol" intake --school-year 2027 >/dev/null
school=$(sqlite3 enrol.db "SELECT school FROM cases WHERE school != '' GROUP BY school ORDER BY COUNT(*) DESC LIMIT 1")
cases=$(sqlite3 enrol.db "SELECT COUNT(*) FROM cases WHERE school = '$school'")
printf 'bench-password-1234\n' | "$enrol" user add bench.secretary --role secretary --school "$school" >/dev/null
"$enrol" serve --listen 127.0.0.1:0 > serve.out 2>&1 & echo $! > serve.pid
for _ in $(seq 1 100); do grep -q listening serve.out && break; sleep 0.1; done
url=$(grep -o 'http://127.0.0.1:[0-9]*' serve.out)
curl -s -c jar -H 'content-type: application/json' -d '{"name":"bench.secretary","password":"bench-password-1234"}' \
  "$url/api/v1/session" > /dev/null
token=$(awk '$6 == "enrol_session" { print $7 }' jar)
path="/api/v1/cases?phase=awaiting_approval&limit=50"
total=$(curl -s -b jar "$url$path" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
echo "== web bench: school $school with $cases cases ($total awaiting approval), GET $path"
echo "   $connections connections, $seconds s, wrk -t2 (on the same 2 cores as the server)"
wrk -t2 -c"$connections" -d"${seconds}s" --latency -H "Cookie: enrol_session=$token" "$url$path" | tee wrk.out
rps=$(awk '/Requests\/sec/ { print $2 }' wrk.out)
p99=$(awk '$1 == "99%" { print $2 }' wrk.out)
echo "== result: $rps requests/s, p99 $p99 (target: 3000 requests/s, p99 under 20 ms)"
grep -q "Non-2xx" wrk.out && { echo "some answers were not 2xx"; exit 1; } || true
