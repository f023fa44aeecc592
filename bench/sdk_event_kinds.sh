#!/usr/bin/env bash
# bench/sdk_event_kinds.sh: instructions per event call for each kind of libplaystat event
# (design, resource, business, progression), counted by callgrind inside the public call
# alone (--toggle-collect: the library's thread and the bench's own loop are not counted),
# with bench/sdk_event_kinds (see it for what each kind sends). One line per kind:
#   KIND  instructions per call  (total Ir / calls, warm-up included)
# A kind far above design takes a slower path (docs/sdk.md, "Cost of an event call").
# Knobs: BENCH_SDK_CALLS=10000 BUILD=build. Needs valgrind.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
CALLS=${BENCH_SDK_CALLS:-10000}
WARMUP=200 # bench/sdk_event_kinds.c's
command -v valgrind >/dev/null || { echo "sdk_event_kinds: valgrind is not installed" >&2; exit 3; }
TMP=$(mktemp -d /tmp/playstat-bench-kinds-XXXXXX)
trap 'rm -rf "$TMP"' EXIT

printf '%-17s %s\n' kind "instructions per call"
for kind in design resource business progression progression-fail; do
  fn=playstat_${kind%-fail}
  valgrind --tool=callgrind --toggle-collect="$fn" --callgrind-out-file="$TMP/$kind.out" \
    "$BUILD/bench/sdk_event_kinds" "$TMP/$kind.db" "$kind" "$CALLS" >"$TMP/$kind.json" 2>"$TMP/$kind.log" \
    || { cat "$TMP/$kind.log" >&2; exit 1; }
  ir=$(sed -n 's/^summary: *//p' "$TMP/$kind.out" | awk '{print $1}')
  printf '%-17s %d\n' "$kind" $(( ir / (CALLS + WARMUP) ))
done
