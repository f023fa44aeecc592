/*
 * player.c: `playstat player delete --game ID --user USER_ID` deletes everything of one
 * player (lifecycle/forget.h), as DELETE /api/v1/games/{id}/players/{user_id} does, and
 * prints what was removed as one JSON line. Idempotent: a second run prints zeros.
 */
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "common/errors.h"
#include "lifecycle/forget.h"

static const char usage[] =
    "usage: playstat player delete (--data DIR | --store URL [--state URL]) --game ID\n"
    "                              --user USER_ID\n"
    "\n"
    "Deletes every analytics event, rejected event and metrics session of the player\n"
    "USER_ID (a GameAnalytics user_id, or a metrics-session player id) of the game, and the\n"
    "player's part of every figure, so that every metric answers as if the player had never\n"
    "played. Prints {\"game_id\", \"removed\": {\"events\", \"rejected_events\",\n"
    "\"metrics_sessions\"}}. Objects already exported keep the player: rewrite them with\n"
    "playstat export --again. Running it again is harmless (it finishes a deletion a crash\n"
    "cut short, and prints zeros otherwise).\n"
    "\n"
    PS_CLI_STORE_USAGE;

int ps_cmd_player(int argc, char **argv) {
  static const char *const actions[] = {"delete", NULL};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL;
  const char *game = NULL, *user = NULL;
  const ps_cli_option opts[] = {{"data", &data},   {"store", &store_url}, {"state", &state_url},
                                {"game", &game},   {"user", &user},       {NULL, NULL}};
  int action = 0;
  int rc = ps_cli_parse(argc, argv, actions, &action, opts, usage);
  if (rc >= 0) return rc;
  if (!game || !user) {
    fputs(usage, stderr);
    return 2;
  }
  ps_stores stores;
  ps_game g;
  if ((rc = ps_cli_open_game(store_url, state_url, data, game, &stores, &g)) != 0) return rc;
  ps_forget_report r;
  const char *why = NULL;
  rc = ps_forget_player(&stores, g.id, user, &r, &why);
  ps_stores_close(&stores);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: %s (%s)\n", why, ps_strerror(rc));
    return rc == PS_EINVAL ? 2 : 1;
  }
  printf("{\"game_id\":%lld,\"removed\":{\"events\":%lld,\"rejected_events\":%lld,"
         "\"metrics_sessions\":%lld}}\n",
         (long long)g.id, (long long)r.events, (long long)r.rejected, (long long)r.msessions);
  return 0;
}
