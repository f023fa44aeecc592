#!/usr/bin/env bash
# bench/run.sh: the load tests of playstat's ingest endpoints, playstat side by side with nginx
# answering 204 on the same machine, with the same client (build/bench/loadgen), the same
# connections and the same duration. Two suites:
#
# events: POST /v2/{game_key}/events. For each batch size it measures nginx, then playstat,
#   prints one markdown table (and writes it with the raw JSON results to bench/out/), and proves
#   "acknowledged means durably stored" by counting what `playstat events` returns for the game
#   of each run against the events the load generator saw answered 2xx (warmup and drain
#   included).
# heartbeat: POST /g-{id}/v1/metrics/sessions/heartbeat (mod.io-compatible metrics sessions),
#   valid bearer token and valid session hash. Each connection is one player (its own JWT) with
#   one session: a start, then heartbeats back to back. playstat runs with --player-rate 1000000
#   (its maximum, per player per minute) so the per-player rate limit never refuses the load.
#   Checks: no non-2xx, every start accepted, `playstat sessions` lists one active session per
#   connection whose heartbeats span the measured run, and (when the sqlite3 shell is installed)
#   the heartbeats answered 2xx equal the heartbeat rows stored.
# tls: the events suite over TLS (HTTP/1.1 over TLS, loadgen --tls): nginx with `listen ... ssl`
#   answering 204 beside a second playstat started with --tls-cert/--tls-key on its own port
#   and data directory, both with a self-signed P-256 certificate generated into the temp
#   directory (openssl req). Same durability check as events. Not in the default suites: it
#   needs a playstat whose `serve --help` lists --tls-cert (skipped with a message otherwise).
#
# Builds nothing: expects build/playstat and build/bench/loadgen (`make bench` builds them and
# runs this). Every process it starts is stopped on exit; all traffic goes to 127.0.0.1.
#
# Knobs (environment):
#   BENCH_DURATION=15         measured seconds per run
#   BENCH_WARMUP=3            unmeasured seconds before each run
#   BENCH_SUITES="events heartbeat"   which load tests to run (also: tls)
#   BENCH_BATCHES="1 100"     events per request, one pair of runs per value
#   BENCH_TLS_BATCHES="1"     the same for the tls suite
#   BENCH_CONNECTIONS_1=64    connections for batch 1; BENCH_CONNECTIONS_<N> for batch N
#                             (default 64 below 10 events per request, else 16)
#   BENCH_HEARTBEAT_CONNECTIONS=64  connections (= players = sessions) of the heartbeat suite
#   BENCH_THREADS=2           load generator threads
#   BENCH_GZIP=0              1: gzip the request bodies
#   BENCH_WRK=1               1: also a 5 s wrk GET run of nginx, for reference
#   BENCH_PERF=0              1: perf profile of playstat during each measured run
#   BENCH_PLAYSTAT_PORT=18480 BENCH_NGINX_PORT=18481
#   BENCH_PLAYSTAT_TLS_PORT, BENCH_NGINX_TLS_PORT   tls suite (default: the two above + 2)
#   BENCH_OUT=bench/out       where results go;  BENCH_KEEP=0  1: keep the temp data dir
#   BUILD=build               build directory
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PLAYSTAT=$BUILD/playstat
LOADGEN=$BUILD/bench/loadgen
DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
SUITES=${BENCH_SUITES:-events heartbeat}
BATCHES=${BENCH_BATCHES:-1 100}
TLS_BATCHES=${BENCH_TLS_BATCHES:-1}
HB_CONNS=${BENCH_HEARTBEAT_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
GZIP=${BENCH_GZIP:-0}
WRK=${BENCH_WRK:-1}
PERF=${BENCH_PERF:-0}
PLAYSTAT_PORT=${BENCH_PLAYSTAT_PORT:-18480}
NGINX_PORT=${BENCH_NGINX_PORT:-18481}
PLAYSTAT_TLS_PORT=${BENCH_PLAYSTAT_TLS_PORT:-$((PLAYSTAT_PORT + 2))}
NGINX_TLS_PORT=${BENCH_NGINX_TLS_PORT:-$((NGINX_PORT + 2))}
KEEP=${BENCH_KEEP:-0}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
OUT=${BENCH_OUT:-$ROOT/bench/out}/$STAMP

die() { echo "bench: $*" >&2; exit 1; }
want() { case " $SUITES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

for s in $SUITES; do
  case $s in events|heartbeat|tls) ;; *) die "unknown suite '$s' in BENCH_SUITES (events, heartbeat, tls)" ;; esac
done
want events || BATCHES=

for f in "$PLAYSTAT" "$LOADGEN"; do
  [ -x "$f" ] || die "$f is missing: run 'make bench' (or 'make build') first"
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is missing: 'make deps' installs nginx-light"
if want tls; then
  if ! "$PLAYSTAT" serve --help 2>&1 | grep -q -- '--tls-cert'; then
    echo "bench: tls suite skipped: 'playstat serve --help' lists no --tls-cert (this playstat cannot serve TLS)" >&2
    SUITES=${SUITES//tls/}
  elif ! command -v openssl >/dev/null; then
    die "the tls suite needs the openssl command (Debian package openssl) for its certificate"
  fi
fi
want tls || TLS_BATCHES=

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ports=("$PLAYSTAT_PORT" "$NGINX_PORT")
if want tls; then ports+=("$PLAYSTAT_TLS_PORT" "$NGINX_TLS_PORT"); fi
for p in "${ports[@]}"; do
  ! port_in_use "$p" || die "port $p is in use (set BENCH_PLAYSTAT_PORT / BENCH_NGINX_PORT, BENCH_*_TLS_PORT)"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/playstat-bench.XXXXXX")
DATA=$TMP/data
DATA_TLS=$TMP/data-tls
mkdir -p "$OUT" "$DATA" "$TMP/nginx"
PLAYSTAT_PID=
PLAYSTAT_TLS_PID=
NGINX_PID=

# shellcheck disable=SC2317  # (invoked by the trap)
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $PLAYSTAT_PID $PLAYSTAT_TLS_PID $NGINX_PID; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $PLAYSTAT_PID $PLAYSTAT_TLS_PID $NGINX_PID; do
    wait "$pid" 2>/dev/null || true
  done
  for f in playstat.log playstat-tls.log; do
    if [ -f "$TMP/$f" ]; then cp "$TMP/$f" "$OUT/$f"; fi
  done
  if [ "$KEEP" = 1 ]; then echo "bench: kept $TMP"; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Waits up to 10 s until something accepts connections on 127.0.0.1:$1.
wait_port() {
  for _ in $(seq 100); do port_in_use "$1" && return 0; sleep 0.1; done
  return 1
}

# First number found for "key": in a JSON file (the load generator prints unique keys).
jnum() { grep -o "\"$2\": *-\?[0-9.]*" "$1" | head -n1 | sed 's/.*: *//'; }
jstr() { grep -o "\"$2\": *\"[^\"]*\"" "$1" | head -n1 | sed 's/.*: *"//; s/"$//'; }

# Clock ticks (user + system) used so far by /proc/$1/stat (a process, or a thread under task/).
ticks_of() {
  local stat f
  stat=$(cat "$1" 2>/dev/null) || { echo 0; return; }
  read -ra f <<< "${stat##*) }"            # f[0] is field 3 (state): utime is f[11], stime f[12]
  echo $((f[11] + f[12]))
}

# CPU seconds used so far by the given processes, all threads included.
cpu_of() {
  local total=0 pid
  for pid in "$@"; do total=$((total + $(ticks_of "/proc/$pid/stat"))); done
  awk -v t="$total" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# One line per thread of process $1: "tid name ticks", to see which thread is the bottleneck.
thread_ticks() {
  local t
  for t in /proc/"$1"/task/*; do echo "${t##*/} $(cat "$t/comm" 2>/dev/null) $(ticks_of "$t/stat")"; done
}

# Percent of all CPUs busy over half a second: other work on the machine skews the figures.
machine_busy() {
  { head -n1 /proc/stat; sleep 0.5; head -n1 /proc/stat; } | awk '
    { t = 0; for (i = 2; i <= NF; i++) t += $i }
    NR == 1 { t1 = t; idle1 = $5 }
    NR == 2 { printf "%d", 100 - 100 * ($5 - idle1) / (t - t1) }'
}

# --- nginx: a 204 for everything, config and state in $TMP/nginx ----------------------------
sed -e "s|@DIR@|$TMP/nginx|g" -e "s|@PORT@|$NGINX_PORT|g" "$ROOT/bench/nginx.conf.in" \
  > "$TMP/nginx/nginx.conf"
if want tls; then
  # One self-signed certificate for both servers (loadgen verifies nothing, sends no SNI).
  mkdir -p "$TMP/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj /CN=127.0.0.1 -keyout "$TMP/tls/key.pem" -out "$TMP/tls/cert.pem" 2> "$TMP/tls/openssl.log" \
    || { cat "$TMP/tls/openssl.log" >&2; die "openssl could not make the test certificate"; }
  # nginx.conf.in includes $TMP/nginx/tls*.conf: the same 204 server, over TLS.
  sed -e "s|@DIR@|$TMP/nginx|g" -e "s|@PORT@|$NGINX_TLS_PORT|g" -e "s|@CERT@|$TMP/tls/cert.pem|g" \
    -e "s|@KEY@|$TMP/tls/key.pem|g" "$ROOT/bench/nginx-tls.conf.in" > "$TMP/nginx/tls.conf"
fi
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" \
  > "$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
wait_port "$NGINX_PORT" || { cat "$TMP/nginx/error.log" >&2; die "nginx did not start"; }
if want tls; then
  wait_port "$NGINX_TLS_PORT" || { cat "$TMP/nginx/error.log" >&2; die "nginx did not listen over TLS"; }
fi

# --- playstat: one game per batch size, created before the server starts --------------------
# GAME_ID, GAME_KEY, SECRET by run label: b<batch> (events), tls-b<batch> (tls, in $DATA_TLS).
declare -A GAME_ID GAME_KEY SECRET
# new_game LABEL DATA_DIR: creates the game of run LABEL.
new_game() {
  "$PLAYSTAT" game create --data "$2" --name "bench $1" > "$TMP/game-$1.json" \
    || die "playstat game create failed"
  GAME_ID[$1]=$(jnum "$TMP/game-$1.json" id)
  GAME_KEY[$1]=$(jstr "$TMP/game-$1.json" game_key)
  SECRET[$1]=$(jstr "$TMP/game-$1.json" secret_key)
  if [ -z "${GAME_KEY[$1]}" ] || [ -z "${SECRET[$1]}" ]; then
    die "unexpected game create output: $(cat "$TMP/game-$1.json")"
  fi
}
for b in $BATCHES; do new_game "b$b" "$DATA"; done
for b in $TLS_BATCHES; do new_game "tls-b$b" "$DATA_TLS"; done
if want heartbeat; then
  "$PLAYSTAT" game create --data "$DATA" --name "bench heartbeats" > "$TMP/game-hb.json" \
    || die "playstat game create failed"
  HB_ID=$(jnum "$TMP/game-hb.json" id)
  HB_METRICS_KEY=$(jstr "$TMP/game-hb.json" metrics_key)
  HB_TOKEN_SECRET=$(jstr "$TMP/game-hb.json" token_secret)
  if [ -z "$HB_ID" ] || [ -z "$HB_METRICS_KEY" ] || [ -z "$HB_TOKEN_SECRET" ]; then
    die "unexpected game create output: $(cat "$TMP/game-hb.json")"
  fi
fi
# --player-rate: the most the server allows (per player per minute), so that the heartbeat
# suite's players, each sending back to back, measure the request path, not the limiter.
"$PLAYSTAT" serve --data "$DATA" --listen "127.0.0.1:$PLAYSTAT_PORT" --player-rate 1000000 \
  2> "$TMP/playstat.log" &
PLAYSTAT_PID=$!
# wait_listening PID PORT LOG: until playstat PID logs that it listens on PORT (http or https).
wait_listening() {
  for _ in $(seq 150); do
    grep -qsE "listening on https?://127.0.0.1:$2" "$3" && return 0
    kill -0 "$1" 2>/dev/null || { cat "$3" >&2; die "playstat exited"; }
    sleep 0.1
  done
  cat "$3" >&2
  die "playstat did not start"
}
wait_listening "$PLAYSTAT_PID" "$PLAYSTAT_PORT" "$TMP/playstat.log"
if want tls; then
  # A second server over its own data: the tls suite's figures and durability stand alone.
  "$PLAYSTAT" serve --data "$DATA_TLS" --listen "127.0.0.1:$PLAYSTAT_TLS_PORT" \
    --tls-cert "$TMP/tls/cert.pem" --tls-key "$TMP/tls/key.pem" 2> "$TMP/playstat-tls.log" &
  PLAYSTAT_TLS_PID=$!
  wait_listening "$PLAYSTAT_TLS_PID" "$PLAYSTAT_TLS_PORT" "$TMP/playstat-tls.log"
fi

echo "bench: $(nproc) CPUs, $DURATION s measured after $WARMUP s warmup per run, loadgen threads $THREADS, results in ${OUT#"$ROOT"/}"

if [ "$WRK" = 1 ] && command -v wrk >/dev/null; then
  echo "bench: reference, wrk GET on nginx (64 connections, 2 threads, 5 s):"
  wrk -t2 -c64 -d5s "http://127.0.0.1:$NGINX_PORT/" | tee "$OUT/wrk-nginx.txt" | grep -E 'Requests/sec|Latency' | sed 's/^ */  /'
fi

# playstat's /metrics (Prometheus text) for run LABEL (the TLS server's for tls-*), or nothing
# without curl.
scrape() {
  local url=http://127.0.0.1:$PLAYSTAT_PORT/metrics
  case $1 in tls-*) url=https://127.0.0.1:$PLAYSTAT_TLS_PORT/metrics ;; esac
  if command -v curl >/dev/null; then curl -sk "$url" || true; fi
}

# writer_line LABEL: the store transactions of playstat's run LABEL, from the counters scraped
# before and after it: how many, records per transaction, mean duration (the flush that follows is the syncer thread's, not included).
writer_line() {
  local a="$OUT/playstat-$1.metrics0" b="$OUT/playstat-$1.metrics1"
  [ -s "$a" ] && [ -s "$b" ] || return 0
  awk '
    FNR == 1 { f++ }
    /^playstat_commit_seconds_count / { c[f] = $2 }
    /^playstat_commit_seconds_sum / { s[f] = $2 }
    /^playstat_commit_records_total / { r[f] = $2 }
    END {
      n = c[2] - c[1]
      if (n > 0) printf "%d store transactions, %.1f records each, %.2f ms each on average (flush apart)", n, (r[2] - r[1]) / n, 1000 * (s[2] - s[1]) / n
    }' "$a" "$b"
}

# run_one TARGET LABEL "PIDS" LOADGEN_ARGS...: one loadgen run (the common knobs added) of the
# server whose processes are PIDS (the first one's threads are reported), JSON in
# $OUT/TARGET-LABEL.json, the server's CPU (cores, over warmup + measured run) in
# $OUT/TARGET-LABEL.cpu, the same per thread of the first process in $OUT/TARGET-LABEL.threads.
run_one() {
  local target=$1 label=$2 pids=$3; shift 3
  local json="$OUT/$target-$label.json" busy cpu0 cpu1 perf_pid='' first=${pids%% *}
  for _ in 1 2 3 4 5 6; do   # let the previous run's tail settle, up to 3 s
    busy=$(machine_busy)
    [ "$busy" -gt 10 ] || break
  done
  [ "$busy" -le 10 ] || echo "bench: warning: the machine is already ${busy}% busy before the $target run: figures will be low" >&2
  local args=("$@" --threads "$THREADS" --duration "$DURATION" --warmup "$WARMUP" --json)
  echo "bench: $target, $label ..."
  # shellcheck disable=SC2086
  cpu0=$(cpu_of $pids)
  thread_ticks "$first" | sort -k1,1 > "$TMP/threads0"
  if [ "$target" = playstat ]; then scrape "$label" > "$OUT/playstat-$label.metrics0"; fi
  if [ "$PERF" = 1 ] && [ "$target" = playstat ] && command -v perf >/dev/null; then
    (sleep "$WARMUP"; exec perf record -q -F 499 -g -p "$first" -o "$OUT/perf-$label.data" -- sleep "$DURATION") \
      >/dev/null 2>&1 &
    perf_pid=$!
  fi
  "$LOADGEN" "${args[@]}" > "$json" 2> "$OUT/$target-$label.stderr" || true
  # shellcheck disable=SC2086
  cpu1=$(cpu_of $pids)
  thread_ticks "$first" | sort -k1,1 > "$TMP/threads1"
  if [ "$target" = playstat ]; then scrape "$label" > "$OUT/playstat-$label.metrics1"; fi
  # Cores used by each thread of the (first) server process over warmup + measured run.
  join "$TMP/threads0" "$TMP/threads1" | awk -v s="$((DURATION + WARMUP))" -v hz="$(getconf CLK_TCK)" \
    '{ printf "%s %s %.2f\n", $1, $2, ($5 - $3) / hz / s }' > "$OUT/$target-$label.threads"
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    perf report -i "$OUT/perf-$label.data" --no-children --stdio --percent-limit 1.5 2>/dev/null \
      | grep -v '^$' | head -n 80 > "$OUT/perf-$label.txt" || true
  fi
  [ -s "$json" ] || { cat "$OUT/$target-$label.stderr" >&2; die "loadgen produced no result for $target $label"; }
  awk -v a="$cpu0" -v b="$cpu1" -v d="$DURATION" -v w="$WARMUP" \
    'BEGIN { printf "%.2f\n", (b - a) / (d + w) }' > "$OUT/$target-$label.cpu"
}

NGINX_PIDS="$NGINX_PID $(pgrep -P "$NGINX_PID" | tr '\n' ' ')"
# events_runs PREFIX "BATCHES": the events runs (nginx, then playstat) of each batch size, as
# runs PREFIX b<batch>; PREFIX "tls-" runs them over TLS against the TLS servers.
events_runs() {
  local prefix=$1 b t conns var scheme=http nport=$NGINX_PORT pport=$PLAYSTAT_PORT ppid=$PLAYSTAT_PID
  if [ "$prefix" = tls- ]; then
    scheme=https nport=$NGINX_TLS_PORT pport=$PLAYSTAT_TLS_PORT ppid=$PLAYSTAT_TLS_PID
  fi
  for b in $2; do
    var=BENCH_CONNECTIONS_$b
    conns=${!var:-$([ "$b" -lt 10 ] && echo 64 || echo 16)}
    for t in nginx playstat; do
      if [ "$t" = nginx ]; then port=$nport pids=$NGINX_PIDS; else port=$pport pids=$ppid; fi
      args=(--url "$scheme://127.0.0.1:$port/v2/${GAME_KEY[${prefix}b$b]}/events"
            --secret "${SECRET[${prefix}b$b]}" --batch "$b" --connections "$conns")
      if [ "$GZIP" = 1 ]; then args+=(--gzip); fi
      run_one "$t" "${prefix}b$b" "$pids" "${args[@]}"
    done
  done
}
events_runs "" "$BATCHES"
# Heartbeats: the same game's URL on both; nginx answers 204 to the starts and heartbeats alike.
if want heartbeat; then
  for t in nginx playstat; do
    if [ "$t" = nginx ]; then port=$NGINX_PORT pids=$NGINX_PIDS; else port=$PLAYSTAT_PORT pids=$PLAYSTAT_PID; fi
    run_one "$t" heartbeat "$pids" --mode heartbeat \
      --url "http://127.0.0.1:$port/g-$HB_ID/v1/metrics/sessions/heartbeat" \
      --metrics-key "$HB_METRICS_KEY" --token-secret "$HB_TOKEN_SECRET" \
      --connections "$HB_CONNS" --player-prefix "bench-$t"
  done
fi

if want tls; then events_runs tls- "$TLS_BATCHES"; fi

# --- the tables, the durability checks -------------------------------------------------------
# ratio J_PLAYSTAT J_NGINX: playstat's requests/s as a percentage of nginx's.
ratio() {
  awk -v p="$(jnum "$1" requests_per_s)" -v n="$(jnum "$2" requests_per_s)" \
    'BEGIN { if (n > 0) printf "%.0f%%", 100 * p / n }'
}
: > "$OUT/summary.md"
# events_table PREFIX "BATCHES" TARGET_SUFFIX: the table of events_runs PREFIX.
events_table() {
  local b t j r
  echo "| target | batch | connections | requests/s | events/s | p50 ms | p99 ms | non-2xx | errors | server CPU (cores) | playstat/nginx requests/s |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for b in $2; do
    for t in nginx playstat; do
      j="$OUT/$t-${1}b$b.json"
      r=; [ "$t" = nginx ] || r=$(ratio "$j" "$OUT/nginx-${1}b$b.json")
      printf '| %s | %s | %s | %.0f | %.0f | %s | %s | %s | %s | %s | %s |\n' "$t$3" "$b" \
        "$(jnum "$j" connections)" "$(jnum "$j" requests_per_s)" "$(jnum "$j" events_per_s)" \
        "$(jnum "$j" p50)" "$(jnum "$j" p99)" "$(jnum "$j" non_2xx)" "$(jnum "$j" errors_total)" \
        "$(cat "$OUT/$t-${1}b$b.cpu")" "$r"
    done
  done
  echo
}
if [ -n "$BATCHES" ]; then events_table "" "$BATCHES" "" >> "$OUT/summary.md"; fi
if [ -n "$TLS_BATCHES" ]; then events_table tls- "$TLS_BATCHES" " (TLS)" >> "$OUT/summary.md"; fi
if want heartbeat; then {
  echo "| heartbeats | connections (players, sessions) | requests/s | p50 ms | p99 ms | non-2xx | errors | server CPU (cores) | playstat/nginx requests/s |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
  for t in nginx playstat; do
    j="$OUT/$t-heartbeat.json"
    r=; [ "$t" = nginx ] || r=$(ratio "$j" "$OUT/nginx-heartbeat.json")
    printf '| %s | %s | %.0f | %s | %s | %s | %s | %s | %s |\n' "$t" "$(jnum "$j" connections)" \
      "$(jnum "$j" requests_per_s)" "$(jnum "$j" p50)" "$(jnum "$j" p99)" "$(jnum "$j" non_2xx)" \
      "$(jnum "$j" errors_total)" "$(cat "$OUT/$t-heartbeat.cpu")" "$r"
  done
  echo
  for t in nginx playstat; do
    echo "$t heartbeats answered per measured second: $(grep -o '"per_second": *\[[^]]*\]' "$OUT/$t-heartbeat.json" | sed 's/.*\[//; s/\]//')"
  done
  echo
} >> "$OUT/summary.md"; fi
echo
cat "$OUT/summary.md"

labels=()
for b in $BATCHES; do labels+=("b$b"); done
if want heartbeat; then labels+=(heartbeat); fi
for b in $TLS_BATCHES; do labels+=("tls-b$b"); done
# "b1" -> "batch 1", "tls-b1" -> "TLS batch 1"
label_text() { local l=${1/#tls-/TLS }; echo "${l/%b[0-9]*/batch ${l##*b}}"; }
for l in "${labels[@]}"; do
  echo "playstat threads, $(label_text "$l") (cores): $(awk '$3 > 0.01 { printf "%s %s=%s  ", $1, $2, $3 }' "$OUT/playstat-$l.threads")"
  w=$(writer_line "$l")
  if [ -n "$w" ]; then echo "playstat writer, $(label_text "$l"): $w"; fi
done

status=0
# durability LABEL DATA_DIR: the events acknowledged in playstat's run LABEL against those stored.
durability() {
  local acked stored verdict
  acked=$(jnum "$OUT/playstat-$1.json" events_acked_total)
  stored=$("$PLAYSTAT" events --data "$2" --game "${GAME_ID[$1]}" | wc -l)
  if [ "$acked" = "$stored" ]; then verdict=ok; else verdict=MISMATCH; status=1; fi
  echo "durability, $(label_text "$1"): $acked events acknowledged (2xx, warmup and drain included), $stored stored: $verdict" \
    | tee -a "$OUT/summary.md"
}
for b in $BATCHES; do durability "b$b" "$DATA"; done
for b in $TLS_BATCHES; do durability "tls-b$b" "$DATA_TLS"; done
if want heartbeat; then
  # Every request answered 2xx, every start accepted; then, per `playstat sessions`, one session
  # per connection, all active, each with heartbeats across the measured run (its last
  # session_ts at least DURATION seconds after its start).
  j="$OUT/playstat-heartbeat.json"
  bad=$(( $(jnum "$j" non_2xx) + $(jnum "$j" errors_total) + $(jnum "$j" starts_failed) ))
  "$PLAYSTAT" sessions --data "$DATA" --game "$HB_ID" > "$OUT/playstat-heartbeat.sessions"
  total=$(wc -l < "$OUT/playstat-heartbeat.sessions")
  active=$(grep -c '"state": *"active"' "$OUT/playstat-heartbeat.sessions" || true)
  spanning=$(grep -o '"playtime_s": *[0-9]*' "$OUT/playstat-heartbeat.sessions" \
    | awk -v d="$DURATION" '{ sub(/.*: */, ""); if ($0 + 0 >= d) n++ } END { print n + 0 }')
  if [ "$bad" = 0 ] && [ "$total" = "$HB_CONNS" ] && [ "$active" = "$HB_CONNS" ] \
     && [ "$spanning" = "$HB_CONNS" ] && [ "$(jnum "$j" sessions_started)" = "$HB_CONNS" ]; then
    verdict=ok
  else
    verdict=FAILED; status=1
  fi
  echo "heartbeat sessions: $(jnum "$j" sessions_started) started, $(jnum "$j" starts_failed) starts failed, $(jnum "$j" non_2xx) non-2xx, $(jnum "$j" errors_total) errors; playstat sessions: $total sessions, $active active, $spanning with heartbeats over >= ${DURATION} s (want $HB_CONNS each): $verdict" \
    | tee -a "$OUT/summary.md"
  acked=$(jnum "$j" heartbeats_acked_total)
  if command -v sqlite3 >/dev/null; then
    # Read-only look at the store: one msession_nonces row per accepted request (kind 1 = heartbeat).
    stored=$(sqlite3 -readonly "$DATA/playstat.db" \
      "SELECT count(*) FROM msession_nonces WHERE game_id = $HB_ID AND kind = 1" 2>/dev/null || echo '?')
    if [ "$acked" = "$stored" ]; then verdict=ok; else verdict=MISMATCH; status=1; fi
    echo "durability, heartbeats: $acked acknowledged (2xx, warmup and drain included), $stored stored: $verdict" \
      | tee -a "$OUT/summary.md"
  else
    echo "durability, heartbeats: $acked acknowledged; not counted in the store (no sqlite3 shell)" \
      | tee -a "$OUT/summary.md"
  fi
fi
# A clean stop must still exit 0 with everything committed.
kill -TERM "$PLAYSTAT_PID"
if wait "$PLAYSTAT_PID"; then rc=0; else rc=$?; status=1; fi
PLAYSTAT_PID=
echo "playstat stopped on SIGTERM with exit status $rc" | tee -a "$OUT/summary.md"
if [ -n "$PLAYSTAT_TLS_PID" ]; then
  kill -TERM "$PLAYSTAT_TLS_PID"
  if wait "$PLAYSTAT_TLS_PID"; then rc=0; else rc=$?; status=1; fi
  PLAYSTAT_TLS_PID=
  echo "playstat (TLS) stopped on SIGTERM with exit status $rc" | tee -a "$OUT/summary.md"
fi
echo "bench: results in ${OUT#"$ROOT"/}/"
exit "$status"
