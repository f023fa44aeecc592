#!/usr/bin/env bash
# bench/profile_ingest.sh: where one analytics event's CPU goes in playstat, by thread and by
# kind of code (docs/PERFORMANCE.md, "Where the time goes"). Starts `playstat serve` on a fresh
# data directory, warms it with 2 s of load, then profiles it (perf record -e cpu-clock -g at
# 999 Hz) during an 8 s loadgen run and prints bench/profile_split.sh's table of CPU µs per
# event.
#
#   bench/profile_ingest.sh [BATCH] [CONNECTIONS]     (defaults: 100 and 16)
#   BUILD=build  BENCH_PLAYSTAT_PORT=18482  BENCH_OUT=bench/out
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
BATCH=${1:-100}
CONNS=${2:-16}
PORT=${BENCH_PLAYSTAT_PORT:-18482}
OUT=${BENCH_OUT:-$ROOT/bench/out}/profile-$(date -u +%Y%m%dT%H%M%SZ)-b$BATCH
command -v perf >/dev/null || { echo "profile_ingest: perf is missing (linux-perf)" >&2; exit 1; }
mkdir -p "$OUT"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/playstat-profile.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$BUILD/playstat" game create --data "$TMP/data" --name profile > "$TMP/game.json"
key=$(grep -o '"game_key":"[^"]*' "$TMP/game.json" | cut -d'"' -f4)
secret=$(grep -o '"secret_key":"[^"]*' "$TMP/game.json" | cut -d'"' -f4)
"$BUILD/playstat" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" > "$OUT/serve.log" 2>&1 &
PID=$!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
args=(--url "http://127.0.0.1:$PORT/v2/$key/events" --secret "$secret" --batch "$BATCH"
      --connections "$CONNS" --warmup 0 --json)
"$BUILD/bench/loadgen" "${args[@]}" --duration 2 > /dev/null 2>&1
perf record -q -e cpu-clock -F 999 -g -p "$PID" -o "$OUT/perf.data" -- sleep 8 > /dev/null 2>&1 &
perf_pid=$!
"$BUILD/bench/loadgen" "${args[@]}" --duration 8 > "$OUT/loadgen.json" 2> /dev/null
wait "$perf_pid" || true
events=$(grep -o '"events_acked_total": *[0-9]*' "$OUT/loadgen.json" | grep -o '[0-9]*$')
echo "batch $BATCH, $CONNS connections: $events events acknowledged while profiled (results in $OUT)"
"$ROOT/bench/profile_split.sh" "$OUT/perf.data" "$events" 999 | tee "$OUT/split.md"
