#!/bin/sh
# scripts/first-run.sh PLAYSTAT DATA URL: what `make run` prints for a newcomer about the first
# game of the data directory DATA (served at URL):
#   - how to sign in to the dashboard: an API token, the one sign-in of every page (the
#     multiplayer sessions browser reads with it too), kept in DATA/dashboard.txt;
#   - a ready-to-paste `playstat simulate` command that fills the game with simulated players
#     (analytics events, live metrics sessions, matchmaker events) with a writer service
#     account, kept in DATA/simulate.sh (`sh DATA/simulate.sh` runs it).
#
# Secrets are shown only once by playstat, so each file is written the first time (mode 600;
# the directory already holds the game's keys) and printed again on later runs.
set -eu
bin=$1 data=$2 url=$3
umask 077
games=$("$bin" game list --data "$data")
# The first value of a member of one line of compact JSON (numbers, ids and hex keys only).
member() { printf '%s\n' "$2" | grep -o "\"$1\":[^,}]*" | head -n 1 | cut -d: -f2- | tr -d '"'; }
project=$(member project_id "$games")

dashboard=$data/dashboard.txt
if [ ! -s "$dashboard" ]; then
  token=$("$bin" api-token create --data "$data" --name dashboard)
  cat > "$dashboard" <<TEXT
# written by make run: the dashboard's sign-in for this data directory
dashboard:   $url/
API token:   $token
TEXT
fi

simulate=$data/simulate.sh
if [ ! -s "$simulate" ]; then
  writer=$("$bin" service-account create --data "$data" --project "$project" --role writer --name simulate)
  cat > "$simulate" <<COMMAND
# written by make run: the first game's keys and a writer service account's secret
$bin simulate --url $url \\
  --game-key $(member game_key "$games") --secret-key $(member secret_key "$games") \\
  --metrics-key $(member metrics_key "$games") --token-secret $(member token_secret "$games") --game-id $(member id "$games") \\
  --service-key-id $(member key_id "$writer") --service-secret $(member secret "$writer") --project $project \\
  --players 1000 --days 30 --speedup 60
COMMAND
fi

echo "open the dashboard and sign in with (kept in $dashboard):"
grep -v '^#' "$dashboard"
echo
echo "fill it with simulated players: in another terminal, run (kept in $simulate)"
grep -v '^#' "$simulate"
