# bench/query_lib.sh: what the query-latency benchmarks (insights.sh, event_insights.sh) share,
# sourced, not run. Expects ROOT, BUILD, PLAYSTAT, PORT, KEEP and OUT set, and `die`.
#
#   bench_setup NAME           temp dir $TMP with $DATA, cleanup on exit (server stopped,
#                              log copied to $OUT, temp dir removed unless KEEP=1)
#   jnum FILE KEY              first number of "KEY": in a JSON file
#   start_playstat             serve $DATA on 127.0.0.1:$PORT ($PID), wait until it listens
#   time_queries TITLE BASE TOKEN "label|runs|path" ...
#                              curl each path under BASE runs times (Bearer TOKEN), append a
#                              table of median / p95 / max ms to $OUT/summary.md; the last
#                              answer of each query is kept in $TMP/answer-<n>.json

bench_setup() {
  TMP=$(mktemp -d "${TMPDIR:-/tmp}/playstat-bench-$1.XXXXXX")
  DATA=$TMP/data
  mkdir -p "$OUT" "$DATA"
  PID=
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

bench_cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  [ -f "$TMP/playstat.log" ] && cp "$TMP/playstat.log" "$OUT/playstat.log"
  if [ "$KEEP" = 1 ]; then echo "bench: kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}

jnum() { grep -o "\"$2\": *-\?[0-9.]*" "$1" | head -n1 | sed 's/.*: *//'; }

start_playstat() {
  "$PLAYSTAT" serve --data "$DATA" --listen "127.0.0.1:$PORT" 2> "$TMP/playstat.log" &
  PID=$!
  for _ in $(seq 150); do
    grep -qs "listening on" "$TMP/playstat.log" && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$TMP/playstat.log" >&2; die "playstat exited"; }
    sleep 0.1
  done
  die "playstat did not start"
}

time_queries() {
  local title=$1 base=$2 token=$3 n=0 q label runs path code secs
  shift 3
  {
    echo "| $title | runs | median ms | p95 ms | max ms |"
    echo "| --- | ---: | ---: | ---: | ---: |"
  } >> "$OUT/summary.md"
  for q in "$@"; do
    n=$((n + 1))
    IFS='|' read -r label runs path <<< "$q"
    : > "$TMP/times"
    for _ in $(seq "$runs"); do
      read -r code secs < <(curl -s -o "$TMP/answer-$n.json" -w '%{http_code} %{time_total}\n' \
        -H "Authorization: Bearer $token" "$base/$path")
      [ "$code" = 200 ] || { cat "$TMP/answer-$n.json" >&2; die "$label: HTTP $code"; }
      echo "$secs" >> "$TMP/times"
    done
    sort -n "$TMP/times" | awk -v label="$label" '
      { t[NR] = $1 * 1000 }
      END { p95 = int(NR * 0.95); if (p95 < 1) p95 = 1; if (p95 > NR) p95 = NR
            printf "| %s | %d | %.1f | %.1f | %.1f |\n", label, NR, t[int((NR + 1) / 2)], t[p95], t[NR] }' \
      >> "$OUT/summary.md"
  done
}
