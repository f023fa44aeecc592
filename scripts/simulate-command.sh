#!/bin/sh
# scripts/simulate-command.sh PLAYSTAT DATA URL: prints, for `make run`, a ready-to-paste
# `playstat simulate` command that fills the first game of the data directory DATA (served at
# URL) with simulated players: analytics events, live metrics sessions and matchmaker events.
#
# The first time, it creates a writer service account for the game's project (a secret is
# shown only once) and keeps the command in DATA/simulate.sh (mode 600; the directory already
# holds the game's keys); later runs print the kept command. `sh DATA/simulate.sh` runs it.
set -eu
bin=$1 data=$2 url=$3
file=$data/simulate.sh
if [ ! -s "$file" ]; then
  games=$("$bin" game list --data "$data")
  # The first value of a member of one line of compact JSON (numbers, ids and hex keys only).
  member() { printf '%s\n' "$2" | grep -o "\"$1\":[^,}]*" | head -n 1 | cut -d: -f2- | tr -d '"'; }
  project=$(member project_id "$games")
  account=$("$bin" service-account create --data "$data" --project "$project" --role writer --name simulate)
  umask 077
  cat > "$file" <<COMMAND
# written by make run: the first game's keys and a writer service account's secret
$bin simulate --url $url \\
  --game-key $(member game_key "$games") --secret-key $(member secret_key "$games") \\
  --metrics-key $(member metrics_key "$games") --token-secret $(member token_secret "$games") --game-id $(member id "$games") \\
  --service-key-id $(member key_id "$account") --service-secret $(member secret "$account") --project $project \\
  --players 1000 --days 30 --speedup 60
COMMAND
fi
grep -v '^#' "$file"
