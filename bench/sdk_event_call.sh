#!/usr/bin/env bash
# bench/sdk_event_call.sh: the cost of one event call on the game thread, libplaystat's
# playstat_design next to the official GameAnalytics C++ SDK's addDesignEvent in the same run
# (docs/sdk.md, "Cost of an event call"). Starts `playstat serve` on a free port with a fresh
# data dir, creates a game, and runs, each SDK against that server:
#   back to back (BENCH_SDK_CALLS calls), then at a game's pace (BENCH_SDK_PACE a second,
#   CALLS/2 calls), each ROUNDS times, libplaystat and GA alternating;
#   libplaystat with durable_sync (an fsync per call), and with the server down (the cost
#   must stay flat while the library's thread fails and retries).
# GA is built by bench/ga_sdk_build.sh (GA_SDK_CPP_DIR or GA_SDK_CPP_GIT point at its source;
# else it is cloned from GitHub); when it cannot be had the GA lines are skipped with a message.
# Builds nothing else: expects build/playstat and build/bench/sdk_event_call (`make bench-sdk`).
# Knobs: BENCH_SDK_CALLS=20000 BENCH_SDK_PACE=500 BENCH_SDK_ROUNDS=2 BUILD=build
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CALLS=${BENCH_SDK_CALLS:-20000}
PACE=${BENCH_SDK_PACE:-500}
ROUNDS=${BENCH_SDK_ROUNDS:-2}
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

GA=
if "$ROOT/bench/ga_sdk_build.sh" "$BUILD/bench/ga"; then GA=$BUILD/bench/ga/ga_event_call
else echo "GameAnalytics C++ SDK: not compared (see the message above)"; fi

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr); commit $(git -C "$ROOT" rev-parse --short HEAD)"
ps_run() { # NAME CALLS MODE PER_S [URL]
  "$BUILD/bench/sdk_event_call" "${5:-http://127.0.0.1:$PORT}" "$KEY" "$SECRET" "$TMP/$1.db" "$2" "$3" "$4" 2>/dev/null \
    | sed 's/^{/{"sdk":"libplaystat",/'
}
ga_run() { # NAME CALLS PER_S
  [ -n "$GA" ] || return 0
  mkdir -p "$TMP/$1"
  GA_BENCH_PROTOCOL=http GA_BENCH_HOST=127.0.0.1:$PORT "$GA" "$KEY" "$SECRET" "$TMP/$1" "$2" "$3" 2>/dev/null | grep '^{'
}
for round in $(seq "$ROUNDS"); do
  echo "round $round: back to back ($CALLS calls):"
  ps_run "b2b-$round" "$CALLS" normal 0
  ga_run "ga-b2b-$round" "$CALLS" 0
  echo "round $round: at a game's pace ($PACE calls a second, $(( CALLS / 2 )) calls):"
  ps_run "paced-$round" "$(( CALLS / 2 ))" normal "$PACE"
  ga_run "ga-paced-$round" "$(( CALLS / 2 ))" "$PACE"
done
echo "libplaystat, server down (nothing listens; the thread retries), at $PACE a second:"
ps_run down "$(( CALLS / 4 ))" normal "$PACE" "http://127.0.0.1:9"
echo "libplaystat, durable_sync (msync per call), back to back and at $PACE a second:"
ps_run durable "$(( CALLS / 10 ))" durable 0
ps_run paced-durable "$(( CALLS / 10 ))" durable "$PACE"
