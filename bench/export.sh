#!/usr/bin/env bash
# bench/export.sh: the cost of the data lifecycle on the SQLite store (issue 14).
#
# 1. build/bench/event_insights writes BENCH_EXPORT_EVENTS analytics events (default one
#    million) of one game into a fresh store, all arriving today (one daily period), and folds
#    them into the rollups.
# 2. `playstat export` writes that day's events to a folder, in Parquet and then NDJSON.gz,
#    timed (wall seconds, peak RSS) BENCH_EXPORT_RUNS times (default 3, --again). Beside it, in
#    the same run, the references: sqlite3 reading every stored body (the least an export must
#    read), and those bodies piped through `gzip -6` and `zstd -3` (what compressing the raw
#    text alone costs).
# 3. `playstat player delete` of the busiest player, timed once (the rebuild of every day the
#    player touched, the WAL truncation and the file search for the id).
# 4. With BENCH_EXPORT_CLICKHOUSE=1: the same events in a one-node ClickHouse (started by
#    tests/servers/run-with.sh; the state in SQLite), and the same export (Parquet) and deletion
#    from it.
#
# Results: a table in $OUT/summary.md (bench/out/export-<time>/), copied to docs/PERFORMANCE.md
# by hand. Builds nothing: expects build/playstat and build/bench/event_insights.
# Knobs: BENCH_EXPORT_EVENTS=1000000 BENCH_EXPORT_RUNS=3 BENCH_EXPORT_CLICKHOUSE=0 BENCH_OUT=bench/out
#        BENCH_KEEP=0 BUILD=build
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PLAYSTAT=$BUILD/playstat
FIXTURE=$BUILD/bench/event_insights
EVENTS=${BENCH_EXPORT_EVENTS:-1000000}
RUNS=${BENCH_EXPORT_RUNS:-3}
KEEP=${BENCH_KEEP:-0}
OUT=${BENCH_OUT:-$ROOT/bench/out}/export-$(date -u +%Y%m%dT%H%M%SZ)
CLICKHOUSE=${BENCH_EXPORT_CLICKHOUSE:-0}
if [ "$CLICKHOUSE" = 1 ] && [ -z "${PLAYSTAT_TEST_CH_HTTP:-}" ]; then
  exec "$ROOT/tests/servers/run-with.sh" --clickhouse 1 -- "$0" "$@"
fi

die() { echo "bench: $*" >&2; exit 1; }
for f in "$PLAYSTAT" "$FIXTURE"; do
  [ -x "$f" ] || die "$f is missing: run 'make build' first"
done
for c in sqlite3 gzip zstd /usr/bin/time; do command -v "$c" >/dev/null || die "$c is missing"; done
# shellcheck source=bench/query_lib.sh
. "$ROOT/bench/query_lib.sh"
bench_setup export

"$PLAYSTAT" game create --data "$DATA" --name "bench export" > "$TMP/game.json"
GAME=$(jnum "$TMP/game.json" id)
echo "bench: writing $EVENTS events and folding them into the rollups"
"$FIXTURE" --data "$DATA" --game "$GAME" --events "$EVENTS" --days 90 --runs 1 > "$TMP/fixture.jsonl"
TODAY=$(date -u +%F)
DB=$DATA/playstat.db
STORED=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE game_id = $GAME")

# Runs "$@" and prints "seconds max_rss_kb" (GNU time).
timed() {
  /usr/bin/time -f "%e %M" -o "$TMP/time.txt" "$@" > "$TMP/cmd.out" 2> "$TMP/cmd.err" ||
    { cat "$TMP/cmd.err" >&2; die "$1 failed"; }
  cat "$TMP/time.txt"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A SECONDS_OF RSS_OF BYTES_OF
run_case() { # name, then the command
  local name=$1; shift
  : > "$TMP/$name.times"
  local rss=0
  for _ in $(seq "$RUNS"); do
    read -r s kb < <(timed "$@")
    echo "$s" >> "$TMP/$name.times"
    rss=$kb
  done
  SECONDS_OF[$name]=$(median < "$TMP/$name.times")
  RSS_OF[$name]=$rss
}

for format in parquet ndjson.gz; do
  echo "bench: playstat export --format $format ($RUNS runs)"
  run_case "$format" "$PLAYSTAT" export --data "$DATA" --game "$GAME" --from "$TODAY" --to "$TODAY" \
    --to-url "file:$TMP/out" --kinds events --format "$format" --again --delay -172800
  BYTES_OF[$format]=$(find "$TMP/out" -name "events$( [ "$format" = parquet ] && echo .parquet || echo .ndjson.gz)" -printf '%s\n' | awk '{s+=$1} END {print s}')
done
echo "bench: references"
run_case read sqlite3 "$DB" "SELECT body FROM events WHERE game_id = $GAME"
BYTES_OF[read]=$(sqlite3 "$DB" "SELECT sum(length(body)) FROM events WHERE game_id = $GAME")
run_case gzip sh -c "sqlite3 '$DB' 'SELECT body FROM events WHERE game_id = $GAME' | gzip -6 > '$TMP/raw.gz'"
BYTES_OF[gzip]=$(stat -c %s "$TMP/raw.gz")
run_case zstd sh -c "sqlite3 '$DB' 'SELECT body FROM events WHERE game_id = $GAME' | zstd -3 -q -c > '$TMP/raw.zst'"
BYTES_OF[zstd]=$(stat -c %s "$TMP/raw.zst")

VICTIM=$(sqlite3 "$DB" "SELECT user_id FROM events WHERE game_id = $GAME GROUP BY user_id ORDER BY count(*) DESC LIMIT 1")
THEIRS=$(sqlite3 "$DB" "SELECT count(*) FROM events WHERE game_id = $GAME AND user_id = '$VICTIM'")
DAYS=$(sqlite3 "$DB" "SELECT count(DISTINCT day) FROM events WHERE game_id = $GAME AND user_id = '$VICTIM'")
echo "bench: playstat player delete ($THEIRS events over $DAYS days)"
read -r DELETE_S DELETE_KB < <(timed "$PLAYSTAT" player delete --data "$DATA" --game "$GAME" --user "$VICTIM")
grep -q "\"events\":$THEIRS" "$TMP/cmd.out" || die "the deletion removed $(cat "$TMP/cmd.out"), not $THEIRS events"

CH_LINES=""
if [ "$CLICKHOUSE" = 1 ]; then
  CH_STORE="clickhouse://${PLAYSTAT_TEST_CH_HTTP%%,*}/export_bench?spool=$TMP/ch-spool"
  CH=(--store "$CH_STORE" --state "sqlite:$TMP/ch-state")
  "$PLAYSTAT" game create "${CH[@]}" --name "bench export" > "$TMP/ch-game.json"
  CH_GAME=$(jnum "$TMP/ch-game.json" id)
  echo "bench: writing $EVENTS events into ClickHouse"
  "$FIXTURE" "${CH[@]}" --game "$CH_GAME" --events "$EVENTS" --days 90 --runs 1 > "$TMP/ch-fixture.jsonl"
  echo "bench: playstat export from ClickHouse --format parquet ($RUNS runs)"
  run_case clickhouse "$PLAYSTAT" export "${CH[@]}" --game "$CH_GAME" --from "$TODAY" --to "$TODAY" \
    --to-url "file:$TMP/ch-out" --kinds events --format parquet --again --delay -172800
  CH_ROWS=$(grep -o '"rows":[0-9]*' "$TMP/cmd.out" | head -n1 | cut -d: -f2)
  BYTES_OF[clickhouse]=$(find "$TMP/ch-out" -name events.parquet -printf '%s\n' | awk '{s+=$1} END {print s}')
  "$PLAYSTAT" events "${CH[@]}" --game "$CH_GAME" --category business > "$TMP/ch-business.ndjson"
  CH_VICTIM=$(sed -n '1s/.*"user_id":"\([^"]*\)".*/\1/p' "$TMP/ch-business.ndjson")
  read -r CH_DELETE_S _ < <(timed "$PLAYSTAT" player delete "${CH[@]}" --game "$CH_GAME" --user "$CH_VICTIM")
  CH_LINES=$(awk -v s="${SECONDS_OF[clickhouse]}" -v n="$CH_ROWS" -v b="${BYTES_OF[clickhouse]}" -v r="${RSS_OF[clickhouse]}" \
    'BEGIN { printf "| playstat export from ClickHouse --format parquet | %.2f | %.0f | %.1f | %.0f |", s, (s > 0 ? n / s : 0), b / 1e6, r / 1024 }')
  CH_LINES="$CH_LINES
DELETE_FROM_CLICKHOUSE $(cat "$TMP/cmd.out") in ${CH_DELETE_S} s"
fi

{
  echo "### Export and deletion, $STORED events of one day (SQLite, $(nproc) cores, median of $RUNS)"
  echo
  echo "| what | seconds | events/s | output MB | peak RSS MB |"
  echo "| --- | --- | --- | --- | --- |"
  for name in parquet ndjson.gz read gzip zstd; do
    case $name in
      parquet) label="playstat export --format parquet (zstd)" ;;
      ndjson.gz) label="playstat export --format ndjson.gz" ;;
      read) label="reference: sqlite3 reads every body" ;;
      gzip) label="reference: the bodies through gzip -6" ;;
      zstd) label="reference: the bodies through zstd -3" ;;
    esac
    awk -v l="$label" -v s="${SECONDS_OF[$name]}" -v n="$STORED" -v b="${BYTES_OF[$name]}" -v r="${RSS_OF[$name]}" \
      'BEGIN { printf "| %s | %.2f | %.0f | %.1f | %.0f |\n", l, s, (s > 0 ? n / s : 0), b / 1e6, r / 1024 }'
  done
  [ -n "$CH_LINES" ] && echo "$CH_LINES" | grep -v DELETE_FROM_CLICKHOUSE
  echo
  [ -n "$CH_LINES" ] && echo "$CH_LINES" | sed -n 's/^DELETE_FROM_CLICKHOUSE /playstat player delete from ClickHouse (a payer): /p'
  echo "playstat player delete of the busiest player ($THEIRS events over $DAYS days of $STORED): ${DELETE_S} s, peak RSS $((DELETE_KB / 1024)) MB."
} | tee "$OUT/summary.md"
