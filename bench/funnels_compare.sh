#!/usr/bin/env bash
# bench/funnels_compare.sh: whether two builds answer the same per-user funnels, byte for byte.
#
#   bench/funnels_compare.sh PLAYSTAT_A DATA_A PLAYSTAT_B DATA_B [GAME]
#
# Serves DATA_A with PLAYSTAT_A and DATA_B with PLAYSTAT_B (e.g. a store and its copy upgraded
# by a newer build) and sends both the funnels below (kinds, statuses, prefixes, a repeated
# step, windows, every event-dimension filter, an empty filter value, a range cut inside days)
# over the 90 days before now: the steps of bench/event_insights' store. Prints "same" or
# "DIFF" (and both answers' beginnings) per funnel; exits 1 when any differs.
set -uo pipefail
A=$1 DA=$2 B=$3 DB=$4 GAME=${5:-1}
LOG=$(mktemp "${TMPDIR:-/tmp}/playstat-funnels-compare.XXXXXX")
TA=$("$A" api-token create --data "$DA" --name compare); TB=$("$B" api-token create --data "$DB" --name compare)
"$A" serve --data "$DA" --listen 127.0.0.1:18511 2> "$LOG.a" & PA=$!
"$B" serve --data "$DB" --listen 127.0.0.1:18512 2> "$LOG.b" & PB=$!
trap 'kill $PA $PB 2>/dev/null; wait 2>/dev/null; rm -f "$LOG" "$LOG.a" "$LOG.b"' EXIT
for _ in $(seq 1200); do
  grep -qs "listening on" "$LOG.a" && grep -qs "listening on" "$LOG.b" && break
  sleep 0.5
done
NOW=$(date +%s)
R="from=$((NOW - 90 * 86400))&to=$NOW"
Rodd="from=$((NOW - 20 * 86400 + 12345))&to=$((NOW - 3 * 86400 - 777))"
Q=("$R&steps=progression:World1:Level1,design:UI:Open:Shop,business:Gems:gems_100&window=3600"
   "$R&steps=design:Combat*,design:Combat:Death,progression:World2&window=600"
   "$R&steps=business:*,resource:Sink,design:UI"
   "$R&steps=progression:Start:World1,progression:Fail:World1:Level2,World2:Level2&measure=fails&window=7200"
   "$R&steps=World1:Level1,World1:Level2,World2:Level1,World2:Level2&measure=starts&window=86400"
   "$Rodd&steps=design:Combat:Kill:Sword,resource:Source:Gold,business:Gems&window=1800"
   "$R&steps=design:Combat:Kill,design:Combat:Kill,design:Combat:Kill&window=60&platform=android"
   "$R&steps=design:UI,progression:World1&build=1.1&window=3600"
   "$R&steps=design:UI,progression:World1&custom_01=b"
   "$R&steps=design:UI,progression:World1&os_version=ios%2017.1&window=100"
   "$R&steps=design:UI,progression:World1&country=DE"
   "$R&steps=design:UI,progression:World1&platform=&window=100"
   "$Rodd&steps=resource:Sink:Gems:Boost:MegaBoost,business:Gems:gems_100,design:Combat:Death&platform=windows")
fail=0
for q in "${Q[@]}"; do
  a=$(curl -s -H "Authorization: Bearer $TA" "http://127.0.0.1:18511/api/v1/games/$GAME/metrics/funnel?$q&source=events")
  b=$(curl -s -H "Authorization: Bearer $TB" "http://127.0.0.1:18512/api/v1/games/$GAME/metrics/funnel?$q&source=events")
  if [ "$a" = "$b" ]; then echo "same  ${#a} bytes: $q | $(grep -o '"total":[0-9]*' <<< "$a" | head -4 | tr '\n' ' ')"; else echo "DIFF: $q"; echo "$a" | head -c 300; echo; echo "$b" | head -c 300; echo; fail=1; fi
done
exit $fail
