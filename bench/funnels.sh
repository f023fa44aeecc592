#!/usr/bin/env bash
# bench/funnels.sh: per-user funnel latency (issue 15) over HTTP on an existing store.
#
#   bench/funnels.sh PLAYSTAT DATA GAME [PORT] [RUNS]
#
# Serves DATA with the PLAYSTAT binary given (so two builds can be compared on copies of one
# store), sends each funnel below once to warm up (its answer's totals are printed, so that two
# builds' answers can be compared too) and then RUNS times (default 5) with curl over HTTP, a
# new connection each, and prints per query: min, median and max ms to the last byte, then the
# totals. The range is the 90 days before now: the store of bench/event_insights (written by
# `build/bench/event_insights --data DIR --game ID --events 10000000 --days 90`, what
# bench/event_insights.sh writes), whose steps these are.
set -euo pipefail
PLAYSTAT=$1 DATA=$2 GAME=$3 PORT=${4:-18499} RUNS=${5:-5}
LOG=$(mktemp "${TMPDIR:-/tmp}/playstat-funnels.XXXXXX")
TOKEN=$("$PLAYSTAT" api-token create --data "$DATA" --name bench-funnels)
"$PLAYSTAT" serve --data "$DATA" --listen "127.0.0.1:$PORT" 2> "$LOG" &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -f "$LOG" "$LOG.json"' EXIT
for _ in $(seq 1200); do grep -qs "listening on" "$LOG" && break; sleep 0.5; done
grep -qs "listening on" "$LOG" || { cat "$LOG" >&2; exit 1; }
NOW=$(date +%s)
R="from=$((NOW - 90 * 86400))&to=$NOW&source=events"
R7="from=$((NOW - 7 * 86400))&to=$NOW&source=events"
S3="steps=progression:World1:Level1,design:UI:Open:Shop,business:Gems:gems_100"
QUERIES=("3 steps, window 3600|$R&$S3&window=3600"
         "3 steps, no window|$R&$S3"
         "design then progression, window 86400|$R&steps=design:Combat:Kill,progression:World1:Level2&window=86400"
         "progression then resource, window 3600|$R&steps=progression:World2,resource:Sink:Gold&window=3600"
         "3 steps, window 3600, platform=ios|$R&$S3&window=3600&platform=ios"
         "3 steps, window 3600, last 7 days|$R7&$S3&window=3600")
get() { curl -s -o "$1" -w '%{time_total}' -H "Authorization: Bearer $TOKEN" \
          "http://127.0.0.1:$PORT/api/v1/games/$GAME/metrics/funnel?$2"; }
echo "| funnel ($(uptime | sed 's/.*load/load/')) | min ms | median ms | max ms | users per step |"
echo "| --- | ---: | ---: | ---: | --- |"
for q in "${QUERIES[@]}"; do
  IFS='|' read -r label path <<< "$q"
  get "$LOG.json" "$path" > /dev/null
  totals=$(grep -o '"total":[0-9.]*' "$LOG.json" | sed 's/"total"://' | tr '\n' ' ' || true)
  times=()
  for _ in $(seq "$RUNS"); do times+=("$(get /dev/null "$path")"); done
  stats=$(printf '%s\n' "${times[@]}" | sort -n |
          awk '{a[NR] = $1 * 1000} END {printf "%.1f | %.1f | %.1f", a[1], a[int((NR + 1) / 2)], a[NR]}')
  echo "| $label | $stats | $totals|"
done
