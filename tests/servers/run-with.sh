#!/usr/bin/env bash
# run-with.sh: runs a command beside real servers it starts on loopback in a temporary folder,
# and stops them afterwards (also when the command fails or is interrupted).
#
#   tests/servers/run-with.sh [--clickhouse N] [--postgres] [--s3] -- COMMAND [ARG...]
#
#   --clickhouse N  N clickhouse-server processes (Debian's package), each one shard of the
#                   cluster "playstat_test" (remote_servers in every config). The command sees
#                   PLAYSTAT_TEST_CH_HTTP="127.0.0.1:P1,127.0.0.1:P2..." (their HTTP ports) and
#                   PLAYSTAT_TEST_CH_CLUSTER=playstat_test.
#   --postgres      one PostgreSQL server (Debian's postgresql, run as user postgres). The
#                   command sees PLAYSTAT_TEST_PG_URL=postgresql://postgres@127.0.0.1:P/postgres.
#   --s3            one S3-compatible server: s3rver (npm) behind tests/servers/s3rver-sigv4.js,
#                   which checks AWS Signature V4 as S3 does (s3rver alone accepts any V4
#                   signature), with the bucket "playstat-test". The command sees
#                   PLAYSTAT_TEST_S3_ENDPOINT=http://127.0.0.1:P, PLAYSTAT_TEST_S3_BUCKET,
#                   PLAYSTAT_TEST_S3_DIR (s3rver's data folder: BUCKET/KEY._S3rver_object),
#                   AWS_ACCESS_KEY_ID=S3RVER, AWS_SECRET_ACCESS_KEY=S3RVER, AWS_REGION=us-east-1.
#   Always: PLAYSTAT_TEST_SERVERS_DIR (the temporary folder, removed afterwards).
#
# Exits with the command's status; 77 (skip) is never used: a server that does not start fails.
set -euo pipefail

clickhouse=0
postgres=0
s3=0
while [ $# -gt 0 ]; do
  case "$1" in
    --clickhouse) clickhouse="$2"; shift 2 ;;
    --postgres) postgres=1; shift ;;
    --s3) s3=1; shift ;;
    --) shift; break ;;
    *) echo "run-with.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -gt 0 ] || { echo "run-with.sh: no command" >&2; exit 2; }

dir=$(mktemp -d /tmp/playstat-servers-XXXXXX)
chmod 755 "$dir"
pids=()
pg_data=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$pg_data" ]; then
    runuser -u postgres -- /usr/lib/postgresql/*/bin/pg_ctl -D "$pg_data" -m immediate stop \
      >/dev/null 2>&1 || true
  fi
  for pid in "${pids[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nobody listens on (races are possible but rare; a clash fails the start loudly).
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  echo "run-with.sh: no free port" >&2
  exit 1
}

# wait_up URL SECONDS PID: 0 once URL answers, 1 when it did not within SECONDS or PID exited.
wait_up() {
  for _ in $(seq $(($2 * 10))); do
    if curl -fsS "$1" >/dev/null 2>&1; then return 0; fi
    kill -0 "$3" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# start_clickhouse N: N shards on free ports (their HTTP addresses in http_list). Returns 1,
# with every server of this attempt stopped, when one does not come up: a port picked free may
# be taken by another test's server before this one binds it; the caller tries new ports.
start_clickhouse() {
  local n=$1 i d p attempt_pids=() http_ports=() tcp_ports=() shards=""
  for i in $(seq "$n"); do http_ports+=("$(free_port)"); tcp_ports+=("$(free_port)"); done
  for i in $(seq 0 $((n - 1))); do
    shards+="<shard><replica><host>127.0.0.1</host><port>${tcp_ports[$i]}</port></replica></shard>"
  done
  http_list=""
  for i in $(seq 0 $((n - 1))); do
    d="$dir/clickhouse$i"
    rm -rf "$d"
    mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/format_schemas"
    cat >"$d/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><log>$d/server.log</log><errorlog>$d/error.log</errorlog></logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>${http_ports[$i]}</http_port>
  <tcp_port>${tcp_ports[$i]}</tcp_port>
  <interserver_http_port>$(free_port)</interserver_http_port>
  <path>$d/data/</path>
  <tmp_path>$d/tmp/</tmp_path>
  <user_files_path>$d/user_files/</user_files_path>
  <format_schema_path>$d/format_schemas/</format_schema_path>
  <users_config>$d/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>134217728</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <remote_servers><playstat_test>$shards</playstat_test></remote_servers>
</yandex>
EOF
    cat >"$d/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time>
  </interval></default></quotas>
</yandex>
EOF
    clickhouse-server --config-file="$d/config.xml" >"$d/stdout.log" 2>&1 &
    attempt_pids+=($!)
    http_list+="${http_list:+,}127.0.0.1:${http_ports[$i]}"
  done
  for i in $(seq 0 $((n - 1))); do
    if ! wait_up "http://127.0.0.1:${http_ports[$i]}/ping" 60 "${attempt_pids[$i]}"; then
      echo "run-with.sh: ClickHouse shard $i (HTTP port ${http_ports[$i]}) did not come up; its errors:" >&2
      tail -5 "$dir/clickhouse$i/error.log" >&2 2>/dev/null || true
      for p in "${attempt_pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
      wait "${attempt_pids[@]}" 2>/dev/null || true
      return 1
    fi
  done
  pids+=("${attempt_pids[@]}")
}

if [ "$clickhouse" -gt 0 ]; then
  command -v clickhouse-server >/dev/null || { echo "run-with.sh: clickhouse-server is not installed (make deps)" >&2; exit 1; }
  started=0
  for attempt in 1 2 3; do
    if start_clickhouse "$clickhouse"; then started=1; break; fi
    echo "run-with.sh: starting ClickHouse again on other ports (attempt $((attempt + 1)) of 3)" >&2
  done
  [ "$started" = 1 ] || { echo "run-with.sh: ClickHouse did not start" >&2; exit 1; }
  export PLAYSTAT_TEST_CH_HTTP="$http_list" PLAYSTAT_TEST_CH_CLUSTER=playstat_test
fi

if [ "$postgres" = 1 ]; then
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  [ -x "$bin/initdb" ] || { echo "run-with.sh: PostgreSQL is not installed (make deps)" >&2; exit 1; }
  port=$(free_port)
  pg_data="$dir/postgres"
  mkdir -p "$pg_data"
  chown postgres "$pg_data"
  runuser -u postgres -- "$bin/initdb" -D "$pg_data" -A trust -U postgres >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  # A port picked free may be taken before PostgreSQL binds it: try others (as for ClickHouse).
  for attempt in 1 2 3; do
    if runuser -u postgres -- "$bin/pg_ctl" -D "$pg_data" -w -l "$pg_data/server.log" \
      -o "-p $port -k $pg_data -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null; then
      break
    fi
    [ "$attempt" = 3 ] && { cat "$pg_data/server.log" >&2; exit 1; }
    echo "run-with.sh: starting PostgreSQL again on another port (attempt $((attempt + 1)) of 3)" >&2
    port=$(free_port)
  done
  export PLAYSTAT_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
fi

if [ "$s3" = 1 ]; then
  here=$(cd "$(dirname "$0")" && pwd)
  command -v node >/dev/null || { echo "run-with.sh: node is not installed (make deps)" >&2; exit 1; }
  s3_dir="$dir/s3"
  started=0
  # A port picked free may be taken before the server binds it: try others (as above).
  for attempt in 1 2 3; do
    port=$(free_port)
    rm -rf "$s3_dir"
    mkdir -p "$s3_dir/data"
    node "$here/s3rver-sigv4.js" "$s3_dir/data" "$port" playstat-test >"$s3_dir/server.log" 2>&1 &
    s3_pid=$!
    if wait_up "http://127.0.0.1:$port/__ready" 30 "$s3_pid"; then
      pids+=("$s3_pid")
      started=1
      break
    fi
    echo "run-with.sh: the S3 server (port $port) did not come up; its log:" >&2
    tail -5 "$s3_dir/server.log" >&2 || true
    kill -9 "$s3_pid" 2>/dev/null || true
    wait "$s3_pid" 2>/dev/null || true
  done
  [ "$started" = 1 ] || { echo "run-with.sh: the S3 server did not start" >&2; exit 1; }
  export PLAYSTAT_TEST_S3_ENDPOINT="http://127.0.0.1:$port" PLAYSTAT_TEST_S3_BUCKET=playstat-test
  export PLAYSTAT_TEST_S3_DIR="$s3_dir/data"
  export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
  unset AWS_SESSION_TOKEN AWS_ENDPOINT_URL
fi

export PLAYSTAT_TEST_SERVERS_DIR="$dir"
set +e
"$@"
status=$?
set -e
exit "$status"
