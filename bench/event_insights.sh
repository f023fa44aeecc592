#!/usr/bin/env bash
# bench/event_insights.sh: query latency of the insights over analytics events.
#
# 1. build/bench/event_insights writes BENCH_EVENTS analytics events (default ten million) of
#    one game over the last 90 days straight into a fresh store, times the rollups' catch-up
#    (what the server's background thread does behind ingest) and every event metric
#    in-process over the 90 days.
# 2. `playstat serve` opens that store; every metric over the 90 days (and a filter, a
#    group_by, a drilldown) is sent BENCH_INSIGHTS_RUNS times (default 10) with curl over HTTP
#    (a new connection each); the table gives median, p95 and max time to the last byte.
#
# 3. a burst of BENCH_BURST more events (default a tenth) is written while the server runs, and
#    queries are timed while its rollup thread folds them in.
#
# Builds nothing: expects build/playstat and build/bench/event_insights (`make bench-events`).
# Knobs: BENCH_EVENTS=10000000 BENCH_INSIGHTS_RUNS=10 BENCH_BURST=EVENTS/10 BENCH_PLAYSTAT_PORT=18483
#        BENCH_OUT=bench/out BENCH_KEEP=0 BUILD=build
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PLAYSTAT=$BUILD/playstat
FIXTURE=$BUILD/bench/event_insights
EVENTS=${BENCH_EVENTS:-10000000}
RUNS=${BENCH_INSIGHTS_RUNS:-10}
PORT=${BENCH_PLAYSTAT_PORT:-18483}
KEEP=${BENCH_KEEP:-0}
OUT=${BENCH_OUT:-$ROOT/bench/out}/events-$(date -u +%Y%m%dT%H%M%SZ)

die() { echo "bench: $*" >&2; exit 1; }
for f in "$PLAYSTAT" "$FIXTURE"; do
  [ -x "$f" ] || die "$f is missing: run 'make bench-events' (or 'make build') first"
done
command -v curl >/dev/null || die "curl is missing"
# shellcheck source=bench/query_lib.sh
. "$ROOT/bench/query_lib.sh"
bench_setup events

"$PLAYSTAT" game create --data "$DATA" --name "bench events" > "$TMP/game.json"
GAME=$(jnum "$TMP/game.json" id)
echo "bench: writing $EVENTS events over 90 days into a fresh store (game $GAME), then rolling them up ..."
"$FIXTURE" --data "$DATA" --game "$GAME" --events "$EVENTS" --days 90 --runs "$RUNS" \
  | tee "$OUT/fixture.jsonl"
grep -q '"metric":"ads"' "$OUT/fixture.jsonl" || die "the fixture failed"

TOKEN=$("$PLAYSTAT" api-token create --data "$DATA" --name bench)
# Exchange rates for every day of the range (the fixture buys in USD, EUR and BRL): revenue,
# ARPDAU and ARPPU are converted into EUR with each day's rate.
{
  echo "Date,USD,BRL"
  for ((d = 0; d <= 92; d++)); do
    echo "$(date -u -d "@$(( $(date +%s) - d * 86400 ))" +%F),1.0$((d % 10))52,5.$((d % 7))1"
  done
} > "$TMP/rates.csv"
"$PLAYSTAT" rates load "$TMP/rates.csv" --data "$DATA" > /dev/null
start_playstat
NOW=$(date +%s)
RANGE="from=$((NOW - 90 * 86400))&to=$NOW&source=events"
BASE="http://127.0.0.1:$PORT/api/v1/games/$GAME"
QUERIES=()
for m in dau wau mau new_users sessions avg_session_length sessions_per_user revenue paying_users \
         arpdau arppu conversion retention progression resources design errors ads; do
  QUERIES+=("$m, 90 days|$RUNS|metrics/$m?$RANGE")
done
QUERIES+=("mau, 90 days, platform=ios|$RUNS|metrics/mau?$RANGE&platform=ios"
          "dau, 90 days, group_by=build|$RUNS|metrics/dau?$RANGE&group_by=build"
          "mau, 90 days, platform=ios, group_by=build|$RUNS|metrics/mau?$RANGE&platform=ios&group_by=build"
          "sessions, 90 days, platform=ios&custom_01=a, group_by=build|$RUNS|metrics/sessions?$RANGE&platform=ios&custom_01=a&group_by=build"
          "revenue, 90 days, platform=android, group_by=os_version|$RUNS|metrics/revenue?$RANGE&platform=android&group_by=os_version"
          "funnel of 2 steps, 90 days|$RUNS|metrics/funnel?$RANGE&steps=World1:Level1,World1:Level2"
          "per-user funnel of 3 steps, window 3600, 90 days|$RUNS|metrics/funnel?$RANGE&steps=progression:World1:Level1,design:UI:Open:Shop,business:Gems:gems_100&window=3600"
          "the same, platform=ios|$RUNS|metrics/funnel?$RANGE&steps=progression:World1:Level1,design:UI:Open:Shop,business:Gems:gems_100&window=3600&platform=ios"
          "design drilldown prefix=Combat, mean|$RUNS|metrics/design?$RANGE&prefix=Combat&measure=mean")
# Issue 15's metrics and filters: segments (several filters, first build, new/returning),
# country, money in one currency, funnels over mixed kinds in a window, the filters' values
# and the live feed.
QUERIES+=("dau, segment platform=ios & country=US|$RUNS|metrics/dau?$RANGE&platform=ios&country=US"
          "revenue, segment country=DE & custom_01=a|$RUNS|metrics/revenue?$RANGE&country=DE&custom_01=a"
          "new_users, first_build=1.0 & new=new|$RUNS|metrics/new_users?$RANGE&first_build=1.0&new=new"
          "dau, new=returning & platform=windows|$RUNS|metrics/dau?$RANGE&new=returning&platform=windows"
          "dau, group_by=country|$RUNS|metrics/dau?$RANGE&group_by=country"
          "revenue in EUR (3 currencies converted)|$RUNS|metrics/revenue?$RANGE&currency=EUR"
          "arppu in USD|$RUNS|metrics/arppu?$RANGE&currency=USD"
          "funnel design>progression>business, window 1 day|$RUNS|metrics/funnel?$RANGE&steps=design:UI:Open:Shop,progression:Complete:World1,business:Gems&window=86400"
          "funnel of 3 steps, platform=android|$RUNS|metrics/funnel?$RANGE&steps=progression:World1:Level1,progression:World1:Level2,progression:World2&platform=android"
          "values of country|$RUNS|dimensions/country/values?$RANGE"
          "values of build|$RUNS|dimensions/build/values?$RANGE"
          "latest 50 raw events|$RUNS|events/latest?limit=50")
# LTV of the 90 install cohorts (the LTV rollup, schema 13), converted into the game's
# currency with each purchase day's rate.
QUERIES+=("ltv, 90 cohorts, days=30|$RUNS|metrics/ltv?$RANGE"
          "ltv, 90 cohorts, days=0|$RUNS|metrics/ltv?$RANGE&days=0"
          "ltv, 90 cohorts, days=365, in EUR|$RUNS|metrics/ltv?$RANGE&days=365&currency=EUR"
          "ltv, platform=ios|$RUNS|metrics/ltv?$RANGE&platform=ios"
          "ltv, segment platform=ios & custom_01=a|$RUNS|metrics/ltv?$RANGE&platform=ios&custom_01=a")
time_queries "query over HTTP ($EVENTS events, 90 days)" "$BASE" "$TOKEN" "${QUERIES[@]}"

# 3. A burst of BURST more events (default a tenth) lands while the server runs; its rollup
#    thread folds them in passes of up to 100,000 events, and the same kind of queries are
#    timed meanwhile: do dashboards wait for the passes?
BURST=${BENCH_BURST:-$((EVENTS / 10))}
echo "bench: writing a burst of $BURST events while playstat serves, timing queries during its rollup ..."
"$FIXTURE" --data "$DATA" --game "$GAME" --events "$BURST" --days 2 --rollup 0
sleep 1.5 # the rollup thread looks for new events every second: its first pass has begun
DURING=()
for m in dau mau retention revenue; do DURING+=("$m, 90 days, during the burst's rollup|$((RUNS * 5))|metrics/$m?$RANGE"); done
time_queries "query over HTTP while $BURST new events are rolled up" "$BASE" "$TOKEN" "${DURING[@]}"
echo
cat "$OUT/summary.md"
echo "bench: results in ${OUT#"$ROOT"/}/"
