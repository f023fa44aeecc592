#!/usr/bin/env bash
# bench/insights.sh: query latency of the insights read API over a large game.
#
# 1. build/bench/insights_query writes BENCH_INSIGHTS_SESSIONS metrics sessions (default one
#    million; starts over the last 30 days, 10% abandoned) straight into a fresh store, times
#    ccu at minute resolution over the 31 days computed from the sessions (no rollups: the
#    reference), backfills the rollups, and times the same query in-process with them.
# 2. `playstat serve` opens that store; each query below is sent BENCH_INSIGHTS_RUNS times
#    (default 20; 3 for the month of sessions by minute, computed from sessions; the month-long
#    queries of step 3 BENCH_INSIGHTS_MONTH_RUNS times, default BENCH_INSIGHTS_RUNS) with curl over HTTP (one connection per request, as a dashboard's fetch
#    would without keep-alive), and the table gives the median, p95 and max time to the last
#    byte. Every answer must be 200, and ccu's total (the peak) must equal the fixture's
#    figure computed without rollups.
# 3. Every playtime metric over the 31 days by day, and ccu by day with group_by=platform: each
#    answer over HTTP must equal, figure for figure, the reference the fixture computed in-process
#    from the sessions before any rollup existed (--refs; compared with jq -S).
#
# Builds nothing: expects build/playstat and build/bench/insights_query (`make bench-insights`).
# Knobs: BENCH_INSIGHTS_SESSIONS=1000000 BENCH_INSIGHTS_RUNS=20 BENCH_INSIGHTS_MONTH_RUNS=20
#        BENCH_PLAYSTAT_PORT=18482
#        BENCH_OUT=bench/out BENCH_KEEP=0 BUILD=build
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PLAYSTAT=$BUILD/playstat
FIXTURE=$BUILD/bench/insights_query
SESSIONS=${BENCH_INSIGHTS_SESSIONS:-1000000}
RUNS=${BENCH_INSIGHTS_RUNS:-20}
PORT=${BENCH_PLAYSTAT_PORT:-18482}
KEEP=${BENCH_KEEP:-0}
OUT=${BENCH_OUT:-$ROOT/bench/out}/insights-$(date -u +%Y%m%dT%H%M%SZ)

die() { echo "bench: $*" >&2; exit 1; }
for f in "$PLAYSTAT" "$FIXTURE"; do
  [ -x "$f" ] || die "$f is missing: run 'make bench-insights' (or 'make build') first"
done
command -v curl >/dev/null || die "curl is missing"

# shellcheck source=bench/query_lib.sh
. "$ROOT/bench/query_lib.sh"
bench_setup insights

"$PLAYSTAT" game create --data "$DATA" --name "bench insights" > "$TMP/game.json"
GAME=$(jnum "$TMP/game.json" id)
echo "bench: writing $SESSIONS sessions over 30 days into a fresh store (game $GAME) ..."
mkdir -p "$OUT/refs"
"$FIXTURE" --data "$DATA" --game "$GAME" --sessions "$SESSIONS" --days 30 --runs "$RUNS" --refs "$OUT/refs" \
  | tee "$OUT/fixture.jsonl"
grep -q '"step":"ccu_minute_with_rollups"' "$OUT/fixture.jsonl" || die "the fixture failed"
PEAK=$(grep '"step":"ccu_minute_without_rollups"' "$OUT/fixture.jsonl" | grep -o '"peak":[0-9]*' | cut -d: -f2)
REFS_LINE=$(grep '"step":"references_without_rollups"' "$OUT/fixture.jsonl")
REF_FROM=$(echo "$REFS_LINE" | grep -o '"from":[0-9]*' | cut -d: -f2)
REF_TO=$(echo "$REFS_LINE" | grep -o '"to":[0-9]*' | cut -d: -f2)

TOKEN=$("$PLAYSTAT" api-token create --data "$DATA" --name bench)
start_playstat

NOW=$(date +%s)
FROM=$((NOW - 31 * 86400))
BASE="http://127.0.0.1:$PORT/api/v1/games/$GAME"
# label|runs|path and query (queries computed from a month of sessions take seconds: 3 runs)
QUERIES=(
  "ccu, 31 days by minute|$RUNS|metrics/ccu?from=$FROM&to=$NOW&interval=minute"
  "concurrent_ugc, 31 days by minute|$RUNS|metrics/concurrent_ugc?from=$FROM&to=$NOW&interval=minute"
  "ccu, 31 days by hour, platform=windows|$RUNS|metrics/ccu?from=$FROM&to=$NOW&interval=hour&platform=windows"
  "ccu, 31 days by day, group_by=platform|$RUNS|metrics/ccu?from=$FROM&to=$NOW&interval=day&group_by=platform"
  "live|$RUNS|live"
  "total_players, 1 day by hour|$RUNS|metrics/total_players?from=$((NOW - 86400))&to=$NOW&interval=hour"
  "sessions, 31 days by minute (from sessions)|3|metrics/sessions?from=$FROM&to=$NOW&interval=minute"
)

status=0
time_queries "query over HTTP ($SESSIONS sessions)" "$BASE" "$TOKEN" "${QUERIES[@]}"
total=$(jnum "$TMP/answer-1.json" total) # the first query: ccu, 31 days by minute
if [ "$total" != "$PEAK" ]; then
  echo "bench: MISMATCH: ccu peak over HTTP (rollups) $total, computed from sessions $PEAK" >&2
  status=1
fi

# Every playtime metric, 31 days by day (the fixture's range), each answer compared with the
# fixture's reference computed from the sessions. name|label|path
M="from=$REF_FROM&to=$REF_TO&interval=day"
MONTH=(
  "sessions|sessions, 31 days by day|metrics/sessions?$M"
  "avg_playtime|avg_playtime, 31 days by day|metrics/avg_playtime?$M"
  "top_mods|top_mods, 31 days by day|metrics/top_mods?$M"
  "total_players|total_players, 31 days by day|metrics/total_players?$M"
  "avg_ugc_per_session|avg_ugc_per_session, 31 days by day|metrics/avg_ugc_per_session?$M"
  "session_length_histogram|session_length_histogram, 31 days by day|metrics/session_length_histogram?$M"
  "ccu_platform|ccu, 31 days by day, group_by=platform|metrics/ccu?$M&group_by=platform"
)
MONTH_RUNS=${BENCH_INSIGHTS_MONTH_RUNS:-$RUNS}
month_queries=()
for m in "${MONTH[@]}"; do
  IFS='|' read -r _ label path <<< "$m"
  month_queries+=("$label|$MONTH_RUNS|$path")
done
time_queries "every playtime metric over HTTP, 31 days by day ($SESSIONS sessions)" "$BASE" "$TOKEN" \
  "${month_queries[@]}"
n=0
for m in "${MONTH[@]}"; do
  n=$((n + 1))
  IFS='|' read -r name label _ <<< "$m"
  if cmp -s <(jq -S . "$TMP/answer-$n.json") <(jq -S . "$OUT/refs/$name.json"); then
    echo "equal to the sessions' figures: $label" >> "$OUT/equal.txt"
  else
    cp "$TMP/answer-$n.json" "$OUT/refs/$name.http.json"
    echo "bench: MISMATCH: $label over HTTP differs from the figures computed from sessions" \
      "(refs/$name.json, refs/$name.http.json)" | tee -a "$OUT/summary.md" >&2
    status=1
  fi
done
[ -f "$OUT/equal.txt" ] && cat "$OUT/equal.txt"

# Does a slow query hold the others up? Month-long 'sessions' queries by minute (computed from
# sessions: seconds each) run in the background while the live figures and a day of ccu are
# timed.
SLOW_PATH="metrics/sessions?from=$FROM&to=$NOW&interval=minute"
( for _ in 1 2 3; do curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "$BASE/$SLOW_PATH"; done ) &
SLOW=$!
sleep 0.5
time_queries "query over HTTP while month-long 'sessions' queries by minute run" "$BASE" "$TOKEN" \
  "live, beside a slow query|$RUNS|live" \
  "ccu, 1 day by minute, beside a slow query|$RUNS|metrics/ccu?from=$((NOW - 86400))&to=$NOW&interval=minute"
kill -0 "$SLOW" 2>/dev/null || echo "bench: the slow queries ended before the timed ones did" | tee -a "$OUT/summary.md"
wait "$SLOW"
echo
cat "$OUT/summary.md"
echo "ccu peak: $PEAK from sessions without rollups, $(jnum "$OUT/fixture.jsonl" peak) and over HTTP: ${total:-?}" \
  | tee -a "$OUT/summary.md"
echo "bench: results in ${OUT#"$ROOT"/}/"
exit "$status"
