/* main.c: `playstat <command>`: dispatches to the subcommands of src/cli/. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#define PLAYSTAT_VERSION "0.1.0"

static const char usage[] =
    "playstat " PLAYSTAT_VERSION ": self-hosted game telemetry and analytics\n"
    "\n"
    "usage: playstat <command> [options]    (playstat <command> --help for its options)\n"
    "\n"
    "commands:\n"
    "  serve            run the HTTP server (analytics collector, metrics, health)\n"
    "  game             create, list and set games (keys, reporting currency)\n"
    "  events           print a game's stored or rejected analytics events as NDJSON\n"
    "  token            print a player bearer token (HS256 JWT) for metrics sessions\n"
    "  sessions         print a game's metrics sessions as NDJSON\n"
    "  api-token        create a bearer token for the read API (insights)\n"
    "  service-account  create, list, delete the session observability API's credentials\n"
    "  simulate         send realistic game traffic to a running server (fills the dashboard)\n"
    "  export           write a game's raw data (Parquet, NDJSON.gz) to a folder or S3 bucket\n"
    "  player           delete one player's data (player delete)\n"
    "  rates            load exchange rates (ECB CSV) for revenue in one currency\n"
    "  version          print the version\n"
    "\n"
    "quick start:\n"
    "  playstat game create --data ./var --name \"My Game\"\n"
    "  playstat serve --data ./var --listen 127.0.0.1:8080\n";

int main(int argc, char **argv) {
  if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char *cmd = argv[1];
  if (strcmp(cmd, "serve") == 0) return ps_cmd_serve(argc - 1, argv + 1);
  if (strcmp(cmd, "game") == 0) return ps_cmd_game(argc - 1, argv + 1);
  if (strcmp(cmd, "events") == 0) return ps_cmd_events(argc - 1, argv + 1);
  if (strcmp(cmd, "token") == 0) return ps_cmd_token(argc - 1, argv + 1);
  if (strcmp(cmd, "sessions") == 0) return ps_cmd_sessions(argc - 1, argv + 1);
  if (strcmp(cmd, "api-token") == 0) return ps_cmd_api_token(argc - 1, argv + 1);
  if (strcmp(cmd, "service-account") == 0) return ps_cmd_service_account(argc - 1, argv + 1);
  if (strcmp(cmd, "simulate") == 0) return ps_cmd_simulate(argc - 1, argv + 1);
  if (strcmp(cmd, "export") == 0) return ps_cmd_export(argc - 1, argv + 1);
  if (strcmp(cmd, "player") == 0) return ps_cmd_player(argc - 1, argv + 1);
  if (strcmp(cmd, "rates") == 0) return ps_cmd_rates(argc - 1, argv + 1);
  if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
    puts("playstat " PLAYSTAT_VERSION);
    return 0;
  }
  fprintf(stderr, "playstat: unknown command '%s'\n\n%s", cmd, usage);
  return 2;
}
