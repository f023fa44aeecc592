/*
 * game.c: `playstat game create --data DIR --name NAME` and `playstat game list --data DIR`.
 * Keys come from the CSPRNG (random.h). Works while the server runs (the store allows it).
 * The printed JSON holds the game's secrets: it is meant for the operator's terminal only.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/errors.h"
#include "common/random.h"

static const char usage[] =
    "usage: playstat game create --data DIR --name NAME\n"
    "       playstat game list   --data DIR\n"
    "\n"
    "create prints one JSON object with the new game's id and keys:\n"
    "  game_key, secret_key  for the analytics API (GameAnalytics v2 compatible)\n"
    "  metrics_key           for metrics-session hashes\n"
    "  token_secret          to sign players' bearer tokens\n"
    "list prints a JSON array of every game.\n"
    "\n"
    PS_CLI_STORE_USAGE;

static json_t *game_to_json(const ps_game *g) {
  return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)g->id, "name",
                   g->name, "project_id", g->project_id, "game_key", g->game_key, "secret_key",
                   g->secret_key, "metrics_key", g->metrics_key, "token_secret",
                   g->token_secret);
}

static int generate_keys(ps_game *g) {
  if (ps_random_uuid_v4(g->project_id) || ps_random_hex(g->game_key, 16) ||
      ps_random_hex(g->secret_key, 20) || ps_random_uuid_v4(g->metrics_key) ||
      ps_random_hex(g->token_secret, 32))
    return PS_EIO;
  return PS_OK;
}

static int create(ps_state_store *store, const char *name) {
  ps_game g = {0};
  size_t len = strlen(name);
  if (len == 0 || len >= sizeof g.name) {
    fprintf(stderr, "playstat: --name must be 1 to %zu bytes\n", sizeof g.name - 1);
    return 2;
  }
  memcpy(g.name, name, len + 1);
  int rc;
  for (int attempt = 0; attempt < 3; attempt++) {
    if ((rc = generate_keys(&g)) != PS_OK) break;
    if ((rc = store->ops->game_create(store, &g)) != PS_EEXIST) break;
  }
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot create the game: %s\n", ps_strerror(rc));
    return 1;
  }
  return ps_cli_print_json(game_to_json(&g));
}

static int list(ps_state_store *store) {
  ps_game *games = NULL;
  size_t n = 0;
  if (ps_cli_list_games(store, &games, &n)) return 1;
  json_t *array = json_array();
  for (size_t i = 0; array && i < n; i++) {
    if (json_array_append_new(array, game_to_json(&games[i])) != 0) {
      json_decref(array);
      array = NULL;
    }
  }
  free(games);
  return ps_cli_print_json(array);
}

int ps_cmd_game(int argc, char **argv) {
  static const char *const actions[] = {"create", "list", NULL};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL, *name = NULL;
  const ps_cli_option opts[] = {{"data", &data}, {"store", &store_url}, {"state", &state_url}, {"name", &name}, {NULL, NULL}};
  int action = 0;
  int rc = ps_cli_parse(argc, argv, actions, &action, opts, usage);
  if (rc >= 0) return rc;
  const int creating = action == 0;
  if (creating && !name) {
    fprintf(stderr, "playstat: game create needs --name NAME\n");
    return 2;
  }
  ps_stores stores;
  if ((rc = ps_cli_open_stores(store_url, state_url, data, NULL, &stores))) return rc;
  rc = creating ? create(stores.state, name) : list(stores.state);
  ps_stores_close(&stores);
  return rc;
}
