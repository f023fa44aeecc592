#!/usr/bin/env bash
# bench/ingest_growth.sh: does playstat's durable ingest rate hold as the store grows? Starts
# `playstat serve` on a fresh temp data dir, creates one game and drives POST /v2/{key}/events
# with build/bench/loadgen (batch 100, 16 connections, closed loop, no warmup) until
# BENCH_GROWTH_EVENTS events are acknowledged (2xx = committed and fsync'ed), and prints the
# events/s of every BENCH_GROWTH_STEP events stored (one line per million by default), the WAL's
# peak size (sampled every 0.2 s) and, with the sqlite3 shell, the rows stored against the events
# acknowledged. Then, for the ceiling of the request path alone, the same load on a second fresh
# server started with --debug-discard-writes (jobs answered without being written), for
# BENCH_GROWTH_DISCARD_EVENTS events (skipped if that playstat has no such option).
#
# Builds nothing: expects build/playstat and build/bench/loadgen (`make bench-growth` builds them
# and runs this). Every process it starts is stopped on exit; all traffic goes to 127.0.0.1.
#
# Knobs (environment):
#   BENCH_GROWTH_EVENTS=20000000       events acknowledged before the durable run ends
#   BENCH_GROWTH_STEP=1000000          events per line of the table
#   BENCH_GROWTH_DISCARD_EVENTS=3000000   events of the store-off run; 0 skips it
#   BENCH_GROWTH_CONNECTIONS=16  BENCH_GROWTH_BATCH=100  BENCH_THREADS=2
#   BENCH_PERF=0                       1: perf profile (20 s, 60 s into the durable run)
#   BENCH_PLAYSTAT_PORT=18490          BENCH_OUT=bench/out   BENCH_KEEP=0 (1: keep the data dir)
#   BUILD=build; PLAYSTAT, LOADGEN     override the binaries (e.g. an older playstat, to compare
#                                      layouts with the same client)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PLAYSTAT=${PLAYSTAT:-$BUILD/playstat}
LOADGEN=${LOADGEN:-$BUILD/bench/loadgen}
EVENTS=${BENCH_GROWTH_EVENTS:-20000000}
STEP=${BENCH_GROWTH_STEP:-1000000}
DISCARD_EVENTS=${BENCH_GROWTH_DISCARD_EVENTS:-3000000}
CONNS=${BENCH_GROWTH_CONNECTIONS:-16}
BATCH=${BENCH_GROWTH_BATCH:-100}
THREADS=${BENCH_THREADS:-2}
PERF=${BENCH_PERF:-0}
PORT=${BENCH_PLAYSTAT_PORT:-18490}
KEEP=${BENCH_KEEP:-0}
OUT=${BENCH_OUT:-$ROOT/bench/out}/growth-$(date -u +%Y%m%dT%H%M%SZ)

die() { echo "bench-growth: $*" >&2; exit 1; }
for f in "$PLAYSTAT" "$LOADGEN"; do
  [ -x "$f" ] || die "$f is missing: run 'make bench-growth' (or 'make build') first"
done
[ $((EVENTS % BATCH)) = 0 ] || die "BENCH_GROWTH_EVENTS must be a multiple of the batch ($BATCH)"
[ $((DISCARD_EVENTS % BATCH)) = 0 ] || die "BENCH_GROWTH_DISCARD_EVENTS must be a multiple of $BATCH"
(exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && die "port $PORT is in use (set BENCH_PLAYSTAT_PORT)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/playstat-growth.XXXXXX")
mkdir -p "$OUT"
PID= SAMPLER= PERF_PID=
# shellcheck disable=SC2317  # (invoked by the trap)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for p in $SAMPLER $PERF_PID $PID; do kill -TERM "$p" 2>/dev/null || true; done
  for p in $SAMPLER $PERF_PID $PID; do wait "$p" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "bench-growth: kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

jnum() { grep -o "\"$2\": *-\?[0-9.]*" "$1" | head -n1 | sed 's/.*: *//'; }
jstr() { grep -o "\"$2\": *\"[^\"]*\"" "$1" | head -n1 | sed 's/.*: *"//; s/"$//'; }

# start NAME [serve options]: a fresh data dir $TMP/NAME, one game, the server ($PID) listening.
start() {
  local name=$1; shift
  DATA=$TMP/$name
  mkdir -p "$DATA"
  "$PLAYSTAT" game create --data "$DATA" --name "growth $name" > "$TMP/$name-game.json" \
    || die "playstat game create failed"
  GAME_ID=$(jnum "$TMP/$name-game.json" id)
  GAME_KEY=$(jstr "$TMP/$name-game.json" game_key)
  SECRET=$(jstr "$TMP/$name-game.json" secret_key)
  "$PLAYSTAT" serve --data "$DATA" --listen "127.0.0.1:$PORT" "$@" 2> "$OUT/$name-playstat.log" &
  PID=$!
  for _ in $(seq 150); do
    grep -qs "listening on" "$OUT/$name-playstat.log" && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$OUT/$name-playstat.log" >&2; die "playstat exited"; }
    sleep 0.1
  done
  die "playstat did not start"
}

stop() {
  kill -TERM "$PID"
  wait "$PID" || die "playstat exited with status $? on SIGTERM"
  PID=
}

# drive NAME N: loadgen until N events are acknowledged; progress lines in $OUT/NAME.progress.
drive() {
  date +%s.%N > "$TMP/$1.t0"
  "$LOADGEN" --url "http://127.0.0.1:$PORT/v2/$GAME_KEY/events" --secret "$SECRET" \
    --batch "$BATCH" --connections "$CONNS" --threads "$THREADS" --warmup 0 \
    --requests $(($2 / BATCH)) --progress "$STEP" --json \
    > "$OUT/$1.json" 2> "$OUT/$1.stderr" || true
  [ -s "$OUT/$1.json" ] || { cat "$OUT/$1.stderr" >&2; die "loadgen produced no result ($1)"; }
  { grep '^loadgen: progress ' "$OUT/$1.stderr" || true; } | awk '{ print $3, $5 }' > "$OUT/$1.progress"
}

# table NAME TITLE: one row per STEP events from NAME.progress ("events seconds" lines), with
# the machine's highest 1-minute load average during the step, from $TMP/samples ("epoch-seconds
# wal-bytes loadavg" lines): other work on the machine skews the figures.
table() {
  echo "| $2: events stored | seconds | events/s over this step | max load avg in step |"
  echo "| ---: | ---: | ---: | ---: |"
  awk -v step="$STEP" -v t0="$(cat "$TMP/$1.t0")" '
    FNR == 1 { f++ }
    f == 1 { at[++ns] = $1 - t0; load[ns] = $3; next }
    { d = $2 - t; r = d > 0 ? step / d : 0; m = ""
      for (i = 1; i <= ns; i++) if (at[i] > t && at[i] <= $2 && (m == "" || load[i] + 0 > m + 0)) m = load[i]
      t = $2
      printf "| %d | %.1f | %.0f | %s |\n", $1, $2, r, m == "" ? "-" : m
      if (++n == 1) first = r; last = r; if (n == 1 || r < min) min = r }
    END { if (n > 1) printf "\nfirst step %.0f/s, last step %.0f/s (last/first %.2f), slowest step %.0f/s\n", first, last, last / first, min }' \
    "$TMP/samples" "$OUT/$1.progress"
}

echo "bench-growth: $(nproc) CPUs; playstat $PLAYSTAT; $EVENTS events, batch $BATCH, $CONNS connections; results in ${OUT#"$ROOT"/}"

# --- durable run -------------------------------------------------------------------------------
start durable
# The WAL's size (and the load average) every 0.2 s; its maximum is the peak.
( while :; do
    echo "$(date +%s.%N) $(stat -c %s "$DATA/playstat.db-wal" 2>/dev/null || echo 0) $(cut -d' ' -f1 /proc/loadavg)"
    sleep 0.2
  done ) > "$TMP/samples" &
SAMPLER=$!
if [ "$PERF" = 1 ] && command -v perf >/dev/null; then
  (sleep 60; exec perf record -q -e cpu-clock -F 499 -g -p "$PID" -o "$OUT/perf.data" -- sleep 20) \
    > "$OUT/perf.stderr" 2>&1 &
  PERF_PID=$!
fi
drive durable "$EVENTS"
kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=
if [ -n "$PERF_PID" ]; then
  wait "$PERF_PID" || true; PERF_PID=
  perf report -i "$OUT/perf.data" --no-children --stdio --percent-limit 1 2>/dev/null \
    | grep -v '^$' | grep -v '^#' | grep '%' | head -n 60 > "$OUT/perf.txt" || true
fi
wal_peak=$(awk '$2 > m { m = $2 } END { print m + 0 }' "$TMP/samples")
cp "$TMP/samples" "$OUT/durable.samples"
stop
{
  table durable "durable (WAL, synchronous=FULL)"
  echo
  j=$OUT/durable.json
  echo "durable: $(jnum "$j" events_acked_total) events acknowledged in $(jnum "$j" duration_s) s ($(jnum "$j" events_per_s) events/s overall), non-2xx $(jnum "$j" non_2xx), errors $(jnum "$j" errors_total), p99 $(jnum "$j" p99) ms"
  echo "WAL peak (sampled every 0.2 s): $(awk -v b="$wal_peak" 'BEGIN { printf "%.1f MB", b / 1e6 }'); database file $(du -m "$DATA/playstat.db" | cut -f1) MB"
  if command -v sqlite3 >/dev/null; then
    stored=$(sqlite3 -readonly "$DATA/playstat.db" "SELECT count(*) FROM events WHERE game_id = $GAME_ID")
    acked=$(jnum "$j" events_acked_total)
    echo "durability: $acked acknowledged, $stored stored: $([ "$acked" = "$stored" ] && echo ok || echo MISMATCH)"
  fi
  echo
} | tee "$OUT/summary.md"
[ -s "$OUT/perf.txt" ] && { echo "perf (serve, 20 s from 60 s in): $OUT/perf.txt"; head -n 25 "$OUT/perf.txt"; }
rm -rf "$TMP/durable"

# --- store-off ceiling ---------------------------------------------------------------------------
if [ "$DISCARD_EVENTS" -gt 0 ]; then
  if "$PLAYSTAT" serve --help 2>&1 | grep -q -- --debug-discard-writes; then
    start discard --debug-discard-writes
    ( while :; do echo "$(date +%s.%N) 0 $(cut -d' ' -f1 /proc/loadavg)"; sleep 0.2; done ) \
      > "$TMP/samples" &
    SAMPLER=$!
    drive discard "$DISCARD_EVENTS"
    kill "$SAMPLER" 2>/dev/null || true; wait "$SAMPLER" 2>/dev/null || true; SAMPLER=
    stop
    {
      table discard "store off (--debug-discard-writes)"
      echo
      j=$OUT/discard.json
      echo "store off: $(jnum "$j" events_acked_total) events acknowledged in $(jnum "$j" duration_s) s ($(jnum "$j" events_per_s) events/s overall), p99 $(jnum "$j" p99) ms"
    } | tee -a "$OUT/summary.md"
  else
    echo "store off: skipped ($PLAYSTAT has no --debug-discard-writes)" | tee -a "$OUT/summary.md"
  fi
fi
echo "bench-growth: results in ${OUT#"$ROOT"/}/"
