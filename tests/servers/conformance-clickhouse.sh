#!/usr/bin/env bash
# conformance-clickhouse.sh: the store conformance suite (tests/unit/test_store_conformance.c)
# against the ClickHouse event store: one server, and a cluster of two shards behind
# Distributed tables, each with a fresh database per case and the state in SQLite.
# Run by ctest (unit/store_conformance_clickhouse) inside tests/servers/run-with.sh --clickhouse 2.
set -euo pipefail
binary="$1"
first="${PLAYSTAT_TEST_CH_HTTP%%,*}"
export PLAYSTAT_TEST_STORES="clickhouse://$first/t_{case}?spool={tmp}|sqlite:{tmp} clickhouse://$PLAYSTAT_TEST_CH_HTTP/t_{case}?cluster=$PLAYSTAT_TEST_CH_CLUSTER&spool={tmp}|sqlite:{tmp}"
exec "$binary"
