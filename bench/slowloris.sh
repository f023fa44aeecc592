#!/usr/bin/env bash
# bench/slowloris.sh: a healthy client's latency under a slowloris flood (issue 12's aim: p99
# under 100 ms with 10,000 slow connections). playstat runs with its defaults; the flood
# (bench/slowloris_flood.js, its own node process) holds BENCH_SLOW_CONNECTIONS connections
# from BENCH_SLOW_ADDRESSES loopback addresses, each dribbling one header byte a second; the
# healthy client is curl, one fresh connection per request (GET /healthz, then a signed GA
# event), BENCH_SLOW_REQUESTS requests 50 ms apart, each timed by curl (time_total). Prints the
# healthy client's p50/p99/max and failures, and the same without the flood for reference.
#
# Knobs: BENCH_SLOW_CONNECTIONS=10000 BENCH_SLOW_ADDRESSES=100 BENCH_SLOW_REQUESTS=200
#        BENCH_PLAYSTAT_PORT=18490 BUILD=build
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CONNS=${BENCH_SLOW_CONNECTIONS:-10000}
ADDRS=${BENCH_SLOW_ADDRESSES:-100}
REQUESTS=${BENCH_SLOW_REQUESTS:-200}
PORT=${BENCH_PLAYSTAT_PORT:-18490}
command -v curl >/dev/null || { echo "slowloris: curl is missing" >&2; exit 1; }
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

TMP=$(mktemp -d "${TMPDIR:-/tmp}/playstat-slowloris.XXXXXX")
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$TMP"; }
trap cleanup EXIT

"$BUILD/playstat" game create --data "$TMP/data" --name slowloris > "$TMP/game.json"
"$BUILD/playstat" serve --data "$TMP/data" --listen "127.0.0.1:$PORT" > "$TMP/serve.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

# One healthy round: REQUESTS fresh-connection GETs; prints "p50 p99 max failures" in ms.
healthy() {
  local i t fails=0
  : > "$TMP/times"
  for ((i = 0; i < REQUESTS; i++)); do
    if t=$(curl -s -o /dev/null -m 10 -w '%{http_code} %{time_total}' "http://127.0.0.1:$PORT/healthz"); then
      [ "${t%% *}" = 200 ] || fails=$((fails + 1))
      echo "${t#* }" >> "$TMP/times"
    else
      fails=$((fails + 1))
    fi
    sleep 0.05
  done
  sort -g "$TMP/times" | awk -v f="$fails" '{ v[NR] = $1 * 1000 }
    END { if (!NR) { print "- - -", f; exit }
          i50 = int(0.5 * NR); if (i50 < 1) i50 = 1; i99 = int(0.99 * NR + 0.999); if (i99 > NR) i99 = NR
          printf "%.1f %.1f %.1f %d\n", v[i50], v[i99], v[NR], f }'
}

read -r q50 q99 qmax qfail < <(healthy)
node "$ROOT/bench/slowloris_flood.js" "$PORT" "$CONNS" "$ADDRS" > "$TMP/flood.log" 2>&1 &
PIDS+=($!)
sleep 5   # the flood is in place (the server is full) by now
read -r f50 f99 fmax ffail < <(healthy)
flood_state=$(tail -n1 "$TMP/flood.log")
echo "| healthy client (curl, fresh connection each) | requests | p50 ms | p99 ms | max ms | failed |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
echo "| no flood | $REQUESTS | $q50 | $q99 | $qmax | $qfail |"
echo "| $CONNS slow connections from $ADDRS addresses | $REQUESTS | $f50 | $f99 | $fmax | $ffail |"
echo "($flood_state)"
