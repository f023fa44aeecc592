#!/usr/bin/env bash
# bench/clickhouse_metrics.sh: every analytics-event metric over BENCH_DAYS days (90) of
# BENCH_EVENTS events (ten million) of one game, answered by the ClickHouse event store (one
# clickhouse-server, started by tests/servers/run-with.sh) beside the SQLite one, on the same
# generated events, in one run (`make bench-clickhouse-metrics`). build/bench/event_insights
# writes the events through each store's append(), lets it take them (SQLite: the rollups'
# catch-up; ClickHouse: maintain() ships the spool), then times each metric in-process,
# BENCH_RUNS times (5): median and max in milliseconds.
# Knobs: BENCH_EVENTS=10000000 BENCH_DAYS=90 BENCH_RUNS=5 BUILD=build BENCH_OUT=bench/out
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
FIXTURE=$BUILD/bench/event_insights
EVENTS=${BENCH_EVENTS:-10000000}
DAYS=${BENCH_DAYS:-90}
RUNS=${BENCH_RUNS:-5}
OUT=${BENCH_OUT:-$ROOT/bench/out}/clickhouse-metrics-$(date -u +%Y%m%dT%H%M%SZ)
if [ -z "${PLAYSTAT_TEST_CH_HTTP:-}" ]; then
  exec "$ROOT/tests/servers/run-with.sh" --clickhouse 1 -- "$0" "$@"
fi
[ -x "$FIXTURE" ] || { echo "bench: $FIXTURE is missing: run 'make build' first" >&2; exit 1; }
mkdir -p "$OUT"
work=$PLAYSTAT_TEST_SERVERS_DIR/metrics
mkdir -p "$work/sqlite"
echo "bench: $EVENTS events over $DAYS days, $RUNS runs per metric; results in ${OUT#"$ROOT"/}"
"$FIXTURE" --data "$work/sqlite" --game 1 --events "$EVENTS" --days "$DAYS" --runs "$RUNS" > "$OUT/sqlite.jsonl"
"$FIXTURE" --store "clickhouse://${PLAYSTAT_TEST_CH_HTTP%%,*}/metrics?spool=$work/spool" \
  --state "sqlite:$work/ch-state" --game 1 --events "$EVENTS" --days "$DAYS" --runs "$RUNS" > "$OUT/clickhouse.jsonl"
printf '%-20s %12s %12s %14s %14s\n' metric sqlite_ms sqlite_max clickhouse_ms clickhouse_max | tee "$OUT/table.txt"
for m in $(sed -n 's/.*"metric":"\([a-z_]*\)".*/\1/p' "$OUT/clickhouse.jsonl"); do
  s=$(grep "\"metric\":\"$m\"" "$OUT/sqlite.jsonl" | sed -n 's/.*"median_ms":\([0-9.]*\),"max_ms":\([0-9.]*\).*/\1 \2/p')
  c=$(grep "\"metric\":\"$m\"" "$OUT/clickhouse.jsonl" | sed -n 's/.*"median_ms":\([0-9.]*\),"max_ms":\([0-9.]*\).*/\1 \2/p')
  # shellcheck disable=SC2086
  printf '%-20s %12s %12s %14s %14s\n' "$m" $s $c | tee -a "$OUT/table.txt"
done
grep '"step":"\(fill\|maintain\|rollups\)"' "$OUT"/*.jsonl | tee -a "$OUT/table.txt"
