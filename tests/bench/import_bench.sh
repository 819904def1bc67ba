#!/usr/bin/env bash
# Import benchmark: generates a synthetic extract of at least PERSONS persons
# (children and their guardians) for the demo municipality, then imports it
# RUNS times, each into a new database, and prints persons/s (wall and CPU)
# and peak RSS for the import alone: every run, then the median and the best.
# Each run then imports the same persons again from another file (the same
# extract as NDJSON, or as JSON for an NDJSON bench): the yearly re-import of
# mostly the same persons into a database that holds them.
# Usage: tests/bench/import_bench.sh [PERSONS] [json|xml|ndjson] [RUNS]
# Needs a Release build: scripts/build Release
set -euo pipefail
cd "$(dirname "$0")/../.."
persons="${1:-200000}"
format="${2:-json}"
runs="${3:-3}"
enrol="${ENROL_BINARY:-build/enrol}"
config="config/demo/municipality.json"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# About 2.8 persons per child (guardians, a few missing documents).
children=$(( persons * 10 / 28 + 1 ))
"$enrol" --config "$config" gen-extract --municipality 5099 --children "$children" --seed 1 \
  --format "$format" --out "$work/extract.$format" >/dev/null
bytes=$(stat -c %s "$work/extract.$format")
again_format=ndjson
[ "$format" = ndjson ] && again_format=json
"$enrol" --config "$config" gen-extract --municipality 5099 --children "$children" --seed 1 \
  --format "$again_format" --out "$work/again.$again_format" >/dev/null
: > "$work/results"
for run in $(seq 1 "$runs"); do
  rm -f "$work"/enrol.db*
  "$enrol" --db "$work/enrol.db" init >/dev/null
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$enrol" --db "$work/enrol.db" --config "$config" --json import "$work/extract.$format" > "$work/out.json"
  read -r wall user sys rss_kb < "$work/time"
  records=$(grep -o '"records":[0-9]*' "$work/out.json" | tail -1 | cut -d: -f2)
  awk -v n="$records" -v w="$wall" -v u="$user" -v s="$sys" -v kb="$rss_kb" -v r="$run" 'BEGIN {
    printf "  run %d: %.2f s wall (%.0f persons/s), %.2f s CPU (%.0f persons/s), peak RSS %.1f MB\n",
           r, w, n / w, u + s, n / (u + s), kb / 1024 }' | tee -a "$work/results"
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$enrol" --db "$work/enrol.db" --config "$config" --json import "$work/again.$again_format" > "$work/again.json"
  read -r wall user sys rss_kb < "$work/time"
  records=$(grep -o '"records":[0-9]*' "$work/again.json" | tail -1 | cut -d: -f2)
  awk -v n="$records" -v w="$wall" -v u="$user" -v s="$sys" -v kb="$rss_kb" -v r="$run" 'BEGIN {
    printf "  run %d re-import: %.2f s wall (%.0f persons/s), %.2f s CPU (%.0f persons/s), peak RSS %.1f MB\n",
           r, w, n / w, u + s, n / (u + s), kb / 1024 }' | tee -a "$work/reimport"
done
# Median and best of the runs (persons/s, wall and CPU).
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
wall_rates=$(grep -o '([0-9]* persons/s)' "$work/results" | awk 'NR % 2 == 1 { gsub(/[(]/, ""); print $1 }')
cpu_rates=$(grep -o '([0-9]* persons/s)' "$work/results" | awk 'NR % 2 == 0 { gsub(/[(]/, ""); print $1 }')
printf "import bench (%s, %d persons, %.1f MB file, %d runs): median %s persons/s wall (best %s), median %s persons/s CPU\n" \
  "$format" "$records" "$(awk -v b="$bytes" 'BEGIN { print b / 1e6 }')" "$runs" \
  "$(echo "$wall_rates" | median)" "$(echo "$wall_rates" | sort -n | tail -1)" "$(echo "$cpu_rates" | median)"
reimport_rates=$(grep -o '([0-9]* persons/s)' "$work/reimport" | awk 'NR % 2 == 1 { gsub(/[(]/, ""); print $1 }')
printf "re-import (the same persons from the %s file, into the database holding them): median %s persons/s wall (best %s)\n" \
  "$again_format" "$(echo "$reimport_rates" | median)" "$(echo "$reimport_rates" | sort -n | tail -1)"
