#!/usr/bin/env bash
# bench/http_alternatives/run.sh: libmicrohttpd 0.9.75 against libh2o-evloop (h2o 2.2.5) for
# playstat's request pattern, side by side with nginx answering 204 (the ceiling), all driven by
# build/bench/loadgen (64 keep-alive connections, batch 1, one request in flight each).
#
# Targets (each its own port in 19780-19789):
#   nginx        bench/nginx.conf.in (2 workers, return 204), state in a temp dir     :19780
#   mhd-writer   mhd_min.c: suspend, shared writer thread, simulated group commit,
#                MHD_resume_connection per request                                   :19781
#   h2o-writer   h2o_min.c: the same, one h2o_multithread message per loop thread per batch :19782
#   mhd-direct   mhd_min.c answering 200 {} as soon as the body is read               :19783
#   h2o-direct   h2o_min.c answering 200 {} at once                                   :19784
#   mhd-writer0  mhd-writer with COMMIT_US=0: the writer batches as fast as it can, so the
#                deferred path is CPU-bound, not bound by the commit's latency            :19785
#   h2o-writer0  h2o-writer with COMMIT_US=0                                               :19786
# Phase 1: ROUNDS rounds (alternating the targets) of DURATION s measured after 1 s warmup:
#   req/s from loadgen, server CPU in cores from /proc/PID/stat (all threads; nginx: its workers)
#   over the measured window.
# Phase 2: per target, strace -c -f on the server during a STRACE_S s loadgen run: syscalls per
#   request = calls counted / requests answered in that run (strace slows the server, the ratio
#   stays meaningful). Needs ptrace permission (root or ptrace_scope 0).
# Env: TARGETS (a subset, space-separated), BUILD (default build), THREADS (server threads, default 2), ROUNDS (2), DURATION (4),
#   STRACE (1; 0 skips phase 2), STRACE_S (3), COMMIT_US (500: the simulated fdatasync).
# Output: a table on stdout; raw files in $OUT (default /tmp/http_alternatives.XXXX).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LOADGEN=$BUILD/bench/loadgen
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-4}
STRACE=${STRACE:-1}
STRACE_S=${STRACE_S:-3}
export COMMIT_US=${COMMIT_US:-500}
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$LOADGEN" ] || { echo "run.sh: $LOADGEN missing: build the tree first" >&2; exit 1; }
TMP=$(mktemp -d /tmp/http_alternatives.XXXX)
OUT=${OUT:-$TMP/out}
mkdir -p "$OUT" "$TMP/nginx"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

# --- build --------------------------------------------------------------------------------
CFLAGS="-O2 -g -Wall -Wextra"
gcc $CFLAGS -o "$TMP/mhd_min" "$HERE/mhd_min.c" $(pkg-config --cflags --libs libmicrohttpd) -lpthread
# h2o's headers default to libuv unless told otherwise (without it: "uv.h: No such file"): the
# evloop library needs H2O_USE_LIBUV=0 (structure layouts differ). -lssl -lcrypto -lz are not
# needed with Debian's shared libh2o-evloop, but a static one would need them.
gcc $CFLAGS -DH2O_USE_LIBUV=0 -o "$TMP/h2o_min" "$HERE/h2o_min.c" \
  $(pkg-config --cflags --libs libh2o-evloop) -lssl -lcrypto -lz -lpthread

# --- start --------------------------------------------------------------------------------
port_up() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 100); do port_up "$1" && return 0; sleep 0.1; done; echo "run.sh: nothing on :$1" >&2; exit 1; }

sed -e "s|@DIR@|$TMP/nginx|g" -e "s|@PORT@|19780|g" "$ROOT/bench/nginx.conf.in" > "$TMP/nginx/nginx.conf"
"$NGINX" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" -e "$TMP/nginx/error.log" > "$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!; PIDS+=("$NGINX_PID")
"$TMP/mhd_min" 19781 "$THREADS" writer 2>"$OUT/mhd-writer.log" & PID_mhd_writer=$!; PIDS+=($!)
"$TMP/h2o_min" 19782 "$THREADS" writer 2>"$OUT/h2o-writer.log" & PID_h2o_writer=$!; PIDS+=($!)
"$TMP/mhd_min" 19783 "$THREADS" direct 2>"$OUT/mhd-direct.log" & PID_mhd_direct=$!; PIDS+=($!)
"$TMP/h2o_min" 19784 "$THREADS" direct 2>"$OUT/h2o-direct.log" & PID_h2o_direct=$!; PIDS+=($!)
COMMIT_US=0 "$TMP/mhd_min" 19785 "$THREADS" writer 2>"$OUT/mhd-writer0.log" & PID_mhd_writer0=$!; PIDS+=($!)
COMMIT_US=0 "$TMP/h2o_min" 19786 "$THREADS" writer 2>"$OUT/h2o-writer0.log" & PID_h2o_writer0=$!; PIDS+=($!)
for p in 19780 19781 19782 19783 19784 19785 19786; do wait_port $p; done
NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')

TARGETS=${TARGETS:-"nginx mhd-writer h2o-writer mhd-writer0 h2o-writer0 mhd-direct h2o-direct"}
port_of() { case $1 in nginx) echo 19780;; mhd-writer) echo 19781;; h2o-writer) echo 19782;; mhd-direct) echo 19783;; h2o-direct) echo 19784;; mhd-writer0) echo 19785;; h2o-writer0) echo 19786;; esac; }
pids_of() { case $1 in nginx) echo "$NGINX_WORKERS";; mhd-writer) echo $PID_mhd_writer;; h2o-writer) echo $PID_h2o_writer;; mhd-direct) echo $PID_mhd_direct;; h2o-direct) echo $PID_h2o_direct;; mhd-writer0) echo $PID_mhd_writer0;; h2o-writer0) echo $PID_h2o_writer0;; esac; }

ticks() {  # user+system clock ticks of the given processes (all threads)
  local t=0 p s f
  for p in "$@"; do s=$(cat "/proc/$p/stat"); read -ra f <<< "${s##*) }"; t=$((t + f[11] + f[12])); done
  echo "$t"
}
now_ns() { date +%s%N; }
jnum() { grep -o "\"$2\": *[0-9.]*" "$1" | head -n1 | sed 's/.*: *//'; }
busy() {  # percent of all CPUs busy over 0.5 s (other load on the shared machine)
  { head -n1 /proc/stat; sleep 0.5; head -n1 /proc/stat; } | awk '{t=0; for(i=2;i<=NF;i++) t+=$i}
    NR==1{t1=t; i1=$5} NR==2{printf "%d", 100-100*($5-i1)/(t-t1)}'
}
HZ=$(getconf CLK_TCK)
URL_PATH=/v2/0123456789abcdef0123456789abcdef/events   # the minimal servers ignore auth

# --- phase 1: throughput and CPU ----------------------------------------------------------
echo "machine busy before the runs: $(busy)% of $(nproc) CPUs"
for r in $(seq "$ROUNDS"); do
  for t in $TARGETS; do
    # shellcheck disable=SC2046
    set -- $(pids_of "$t")
    "$LOADGEN" --url "http://127.0.0.1:$(port_of "$t")$URL_PATH" --secret benchsecret \
      --connections 64 --batch 1 --warmup 1 --duration "$DURATION" --json > "$OUT/$t-r$r.json" &
    lg=$!
    sleep 1.1; t0=$(ticks "$@"); n0=$(now_ns)
    sleep "$(awk -v d="$DURATION" 'BEGIN{print d-0.2}')"; t1=$(ticks "$@"); n1=$(now_ns)
    wait "$lg"
    cores=$(awk -v a="$t0" -v b="$t1" -v n0="$n0" -v n1="$n1" -v hz="$HZ" 'BEGIN{printf "%.2f", (b-a)/hz/((n1-n0)/1e9)}')
    echo "$cores" > "$OUT/$t-r$r.cores"
    printf '  round %s %-11s %9s req/s  server %s cores  non-2xx %s errors %s\n' "$r" "$t" \
      "$(jnum "$OUT/$t-r$r.json" requests_per_s)" "$cores" "$(jnum "$OUT/$t-r$r.json" non_2xx)" \
      "$(jnum "$OUT/$t-r$r.json" errors_total)"
  done
done

# --- phase 2: syscalls per request ---------------------------------------------------------
if [ "$STRACE" = 1 ]; then
  for t in $TARGETS; do
    pargs=(); for p in $(pids_of "$t"); do pargs+=(-p "$p"); done
    strace -c -f -o "$OUT/$t.strace" "${pargs[@]}" & st=$!
    sleep 1
    "$LOADGEN" --url "http://127.0.0.1:$(port_of "$t")$URL_PATH" --secret benchsecret \
      --connections 64 --batch 1 --warmup 0 --duration "$STRACE_S" --json > "$OUT/$t-strace.json" || true
    kill -INT "$st"; wait "$st" 2>/dev/null || true
    sleep 0.5
  done
fi

# --- table --------------------------------------------------------------------------------
range() { sort -n | awk 'NR==1{lo=$1} {hi=$1} END{ if (lo==hi) printf "%s", lo; else printf "%s-%s", lo, hi }'; }
echo
echo "| target | req/s (range of $ROUNDS runs) | server CPU cores | req/s per server core | syscalls/req (strace) | top syscalls per req |"
echo "|---|---|---|---|---|---|"
for t in $TARGETS; do
  rps=$(for r in $(seq "$ROUNDS"); do jnum "$OUT/$t-r$r.json" requests_per_s | cut -d. -f1; done | range)
  cores=$(for r in $(seq "$ROUNDS"); do cat "$OUT/$t-r$r.cores"; done | range)
  per=$(for r in $(seq "$ROUNDS"); do awk -v q="$(jnum "$OUT/$t-r$r.json" requests_per_s)" -v c="$(cat "$OUT/$t-r$r.cores")" 'BEGIN{printf "%d\n", (c > 0) ? q / c : 0}'; done | range)
  sc=- top=-
  if [ -f "$OUT/$t.strace" ]; then
    req=$(jnum "$OUT/$t-strace.json" requests_total)
    sc=$(awk -v n="$req" '$NF=="total"{printf "%.2f", $4/n}' "$OUT/$t.strace")
    top=$(awk -v n="$req" '/^ *[0-9]/ && $NF!="total" { c = $4; printf "%s %.2f\n", $NF, c/n }' "$OUT/$t.strace" \
      | sort -k2 -nr | head -6 | awk '{printf "%s%s %s", (NR>1?", ":""), $1, $2}')
  fi
  echo "| $t | $rps | $cores | $per | $sc | $top |"
done
echo
echo "raw: $OUT"
