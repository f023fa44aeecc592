#!/usr/bin/env bash
# bench/sdk_event_call.sh: the cost of one libplaystat event call on the game thread
# (docs/PERFORMANCE.md, "libplaystat"). Starts `playstat serve` on a free port with a fresh
# data dir, creates a game, and runs build/bench/sdk_event_call against it twice: with the
# default durability (WAL, synchronous=NORMAL) and with durable_sync (an fsync per call),
# back to back, then at a game's pace (BENCH_SDK_PACE calls a second, default 500).
# Builds nothing: expects build/playstat and build/bench/sdk_event_call (`make bench-sdk`).
# Knobs: BENCH_SDK_CALLS=20000 BENCH_SDK_PACE=500 BUILD=build
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CALLS=${BENCH_SDK_CALLS:-20000}
PACE=${BENCH_SDK_PACE:-500}
TMP=$(mktemp -d /tmp/playstat-bench-sdk-XXXXXX)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

"$BUILD/playstat" game create --data "$TMP/data" --name bench >"$TMP/game.json"
KEY=$(sed -n 's/.*"game_key": *"\([0-9a-f]*\)".*/\1/p' "$TMP/game.json")
SECRET=$(sed -n 's/.*"secret_key": *"\([0-9a-f]*\)".*/\1/p' "$TMP/game.json")
"$BUILD/playstat" serve --data "$TMP/data" --listen 127.0.0.1:0 >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  PORT=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$TMP/server.log" | head -1)
  [ -n "$PORT" ] && break
  sleep 0.1
done
[ -n "${PORT:-}" ] || { cat "$TMP/server.log"; exit 1; }

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); commit $(git -C "$ROOT" rev-parse --short HEAD)"
echo "default (WAL, synchronous=NORMAL):"
"$BUILD/bench/sdk_event_call" "http://127.0.0.1:$PORT" "$KEY" "$SECRET" "$TMP/normal.db" "$CALLS"
echo "durable_sync (fsync per call):"
"$BUILD/bench/sdk_event_call" "http://127.0.0.1:$PORT" "$KEY" "$SECRET" "$TMP/durable.db" "$(( CALLS / 10 ))" durable
echo "default, at a game's pace ($PACE calls a second):"
"$BUILD/bench/sdk_event_call" "http://127.0.0.1:$PORT" "$KEY" "$SECRET" "$TMP/paced.db" "$(( CALLS / 2 ))" normal "$PACE"
echo "durable_sync, at a game's pace ($PACE calls a second):"
"$BUILD/bench/sdk_event_call" "http://127.0.0.1:$PORT" "$KEY" "$SECRET" "$TMP/paced-durable.db" "$(( CALLS / 4 ))" durable "$PACE"
