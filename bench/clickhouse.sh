#!/usr/bin/env bash
# bench/clickhouse.sh: ingest into the ClickHouse event store, beside ClickHouse's own insert of
# the same rows, in one run on this machine (`make bench-clickhouse`).
#
#   1. one node: `playstat serve --store clickhouse://...` (state in SQLite) over one
#      clickhouse-server; build/bench/loadgen sends 100-event batches for BENCH_DURATION s.
#      Reported: events acknowledged per second (durable in the spool), and how long after the
#      load stops ClickHouse holds every acknowledged event (the spool's shipping lag), plus the
#      lag sampled every second during the load.
#   2. two nodes over a two-shard cluster (Distributed tables) with the state in PostgreSQL:
#      one loadgen per node at the same time.
#   1b. the node alone: the same load while the ClickHouse server is stopped (SIGSTOP), so the
#      node only spools (its own ceiling on this machine, without ClickHouse's inserts beside
#      it); then ClickHouse continues and the spool drains.
#   1c. a load ClickHouse keeps up with (BENCH_STEADY_CONNECTIONS=2): the lag sampled each second.
#   3. ClickHouse's own insert of the rows the nodes stored (read back as TabSeparated): one
#      INSERT of them all, and INSERTs of 100 rows (8 in parallel), into a fresh table of the
#      same layout.
#
# Servers are started by tests/servers/run-with.sh on loopback in a temporary folder.
# Knobs: BENCH_DURATION=10 BENCH_CONNECTIONS=16 BENCH_BATCH=100 BUILD=build BENCH_OUT=bench/out
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
PLAYSTAT=$BUILD/playstat
LOADGEN=$BUILD/bench/loadgen
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNECTIONS:-16}
BATCH=${BENCH_BATCH:-100}
OUT=${BENCH_OUT:-$ROOT/bench/out}/clickhouse-$(date -u +%Y%m%dT%H%M%SZ)

if [ -z "${PLAYSTAT_TEST_CH_HTTP:-}" ]; then
  exec "$ROOT/tests/servers/run-with.sh" --clickhouse 2 --postgres -- "$0" "$@"
fi
for f in "$PLAYSTAT" "$LOADGEN"; do
  [ -x "$f" ] || { echo "bench: $f is missing: run 'make build' first" >&2; exit 1; }
done
mkdir -p "$OUT"
work=$PLAYSTAT_TEST_SERVERS_DIR/bench
mkdir -p "$work"
first=${PLAYSTAT_TEST_CH_HTTP%%,*}
ch() { curl -fsS "http://$first/" --data-binary "$1"; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT

# start_node NAME STORE STATE: a node on a free port, in $node_port (not a subshell: the
# EXIT trap must know its pid).
start_node() {
  local name=$1 store=$2 state=$3
  node_port=$((30000 + RANDOM % 20000))
  "$PLAYSTAT" serve --store "$store" --state "$state" --listen "127.0.0.1:$node_port" \
    > "$OUT/$name.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$node_port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
}

# lag DB GAME EXPECTED: seconds until ClickHouse holds EXPECTED events of GAME
lag() {
  local t0 n
  t0=$(date +%s.%N)
  for _ in $(seq 600); do
    n=$(ch "SELECT count() FROM $1.events FINAL WHERE game_id = $2")
    [ "$n" -ge "$3" ] && break
    sleep 0.1
  done
  awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'
}

acked() { sed -n 's/.*"events_acked_total": *\([0-9]*\).*/\1/p' "$1"; }
rate() { sed -n 's/.*"events_per_s": *\([0-9.]*\).*/\1/p' "$1"; }

echo "bench: $(nproc) CPUs, ClickHouse $(ch 'SELECT version()'), $DURATION s of ${BATCH}-event batches over $CONNS connections per node; results in ${OUT#"$ROOT"/}"

# ---- 1. one node, one server ----
store1="clickhouse://$first/bench1?spool=$work/spool1"
"$PLAYSTAT" game create --store "$store1" --state "sqlite:$work/state1" --name bench > "$work/game1.json"
gk=$(sed -n 's/.*"game_key":"\([^"]*\)".*/\1/p' "$work/game1.json")
sk=$(sed -n 's/.*"secret_key":"\([^"]*\)".*/\1/p' "$work/game1.json")
gid=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$work/game1.json")
start_node one "$store1" "sqlite:$work/state1"
port=$node_port
( for _ in $(seq $((DURATION + 4))); do
    echo "$(date +%s) $(ch "SELECT count() FROM bench1.events WHERE game_id = $gid")"; sleep 1
  done ) > "$OUT/one-visible.txt" &
sampler=$!
"$LOADGEN" --url "http://127.0.0.1:$port/v2/$gk/events" --secret "$sk" --batch "$BATCH" \
  --connections "$CONNS" --duration "$DURATION" --warmup 0 --json > "$OUT/one.json"
total=$(acked "$OUT/one.json")
one_lag=$(lag bench1 "$gid" "$total")
wait "$sampler" || true
echo "one node:  $(rate "$OUT/one.json") events/s acknowledged; every one of $total in ClickHouse ${one_lag} s after the load stopped"

# ---- 1b. the node alone (ClickHouse stopped meanwhile) ----
chpid=$(pgrep -f "$PLAYSTAT_TEST_SERVERS_DIR/clickhouse0/config.xml" | head -1)
kill -STOP "$chpid"
"$LOADGEN" --url "http://127.0.0.1:$port/v2/$gk/events" --secret "$sk" --batch "$BATCH" \
  --connections "$CONNS" --duration "$DURATION" --warmup 0 --json > "$OUT/alone.json" || true
kill -CONT "$chpid"
alone_total=$(( total + $(acked "$OUT/alone.json") ))
alone_lag=$(lag bench1 "$gid" "$alone_total")
echo "node alone (ClickHouse stopped): $(rate "$OUT/alone.json") events/s acknowledged; the spool drained ${alone_lag} s after ClickHouse went on"

# ---- 1c. a load ClickHouse keeps up with ----
steady_conns=${BENCH_STEADY_CONNECTIONS:-2}
( for _ in $(seq $((DURATION + 2))); do
    n=$(ch "SELECT count() FROM bench1.events WHERE game_id = $gid")
    echo "$(date +%s.%N) $n"; sleep 1
  done ) > "$OUT/steady-visible.txt" &
sampler=$!
"$LOADGEN" --url "http://127.0.0.1:$port/v2/$gk/events" --secret "$sk" --batch "$BATCH" \
  --connections "$steady_conns" --duration "$DURATION" --warmup 0 --progress 1000 --json \
  > "$OUT/steady.json" 2> "$OUT/steady.progress"
steady_total=$(( alone_total + $(acked "$OUT/steady.json") ))
steady_lag=$(lag bench1 "$gid" "$steady_total")
wait "$sampler" || true
echo "steady load ($steady_conns connections): $(rate "$OUT/steady.json") events/s acknowledged; every one in ClickHouse ${steady_lag} s after the load stopped"

# ---- 2. two nodes, two shards, PostgreSQL state ----
store2() { echo "clickhouse://$PLAYSTAT_TEST_CH_HTTP/bench2?cluster=$PLAYSTAT_TEST_CH_CLUSTER&spool=$work/spool2$1"; }
"$PLAYSTAT" game create --store "$(store2 a)" --state "$PLAYSTAT_TEST_PG_URL" --name bench2 > "$work/game2.json"
gk2=$(sed -n 's/.*"game_key":"\([^"]*\)".*/\1/p' "$work/game2.json")
sk2=$(sed -n 's/.*"secret_key":"\([^"]*\)".*/\1/p' "$work/game2.json")
gid2=$(sed -n 's/.*"id":\([0-9]*\).*/\1/p' "$work/game2.json")
start_node two-a "$(store2 a)" "$PLAYSTAT_TEST_PG_URL"
pa=$node_port
start_node two-b "$(store2 b)" "$PLAYSTAT_TEST_PG_URL"
pb=$node_port
"$LOADGEN" --url "http://127.0.0.1:$pa/v2/$gk2/events" --secret "$sk2" --batch "$BATCH" \
  --connections "$CONNS" --duration "$DURATION" --warmup 0 --json > "$OUT/two-a.json" &
la=$!
"$LOADGEN" --url "http://127.0.0.1:$pb/v2/$gk2/events" --secret "$sk2" --batch "$BATCH" \
  --connections "$CONNS" --duration "$DURATION" --warmup 0 --json > "$OUT/two-b.json"
wait "$la"
total2=$(( $(acked "$OUT/two-a.json") + $(acked "$OUT/two-b.json") ))
two_lag=$(lag bench2 "$gid2" "$total2")
both=$(awk -v a="$(rate "$OUT/two-a.json")" -v b="$(rate "$OUT/two-b.json")" 'BEGIN { printf "%.0f", a + b }')
echo "two nodes: $both events/s acknowledged together; every one of $total2 in ClickHouse ${two_lag} s after the load stopped"

# ---- 3. ClickHouse's own insert of the same rows ----
# (at most a million: curl holds a --data-binary file in memory)
ch "SELECT * FROM bench1.events LIMIT 1000000 FORMAT TabSeparated" > "$work/rows.tsv"
rows=$(wc -l < "$work/rows.tsv")
ch "CREATE TABLE bench1.events_ref AS bench1.events"
t0=$(date +%s.%N)
curl -fsS "http://$first/?query=INSERT%20INTO%20bench1.events_ref%20FORMAT%20TabSeparated" --data-binary @"$work/rows.tsv"
big=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$rows" 'BEGIN { printf "%.0f", n / (b - a) }')
ch "CREATE TABLE bench1.events_ref100 AS bench1.events"
head -n 200000 "$work/rows.tsv" > "$work/rows200k.tsv"
mkdir -p "$work/chunks" && (cd "$work/chunks" && split -l 100 "$work/rows200k.tsv")
t0=$(date +%s.%N)
ls "$work/chunks" | xargs -P 8 -I{} curl -fsS "http://$first/?query=INSERT%20INTO%20bench1.events_ref100%20FORMAT%20TabSeparated" --data-binary @"$work/chunks/{}"
small=$(awk -v a="$t0" -v b="$(date +%s.%N)" -v n="$(wc -l < "$work/rows200k.tsv")" 'BEGIN { printf "%.0f", n / (b - a) }')
echo "ClickHouse's own insert of the same rows: $big rows/s in one INSERT of $rows; $small rows/s in INSERTs of 100 (8 at a time)"
{
  echo "one_node_events_per_s $(rate "$OUT/one.json")"
  echo "one_node_lag_s $one_lag"
  echo "node_alone_events_per_s $(rate "$OUT/alone.json")"
  echo "steady_events_per_s $(rate "$OUT/steady.json")"
  echo "steady_lag_s $steady_lag"
  echo "two_nodes_events_per_s $both"
  echo "two_nodes_lag_s $two_lag"
  echo "clickhouse_insert_rows_per_s $big"
  echo "clickhouse_insert100_rows_per_s $small"
} > "$OUT/summary.txt"
