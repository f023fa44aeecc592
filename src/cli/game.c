/*
 * game.c: `playstat game create --data DIR --name NAME [--currency EUR]`, `playstat game list
 * --data DIR` and `playstat game set --data DIR --game ID --currency EUR` (the reporting
 * currency the money metrics convert into: insights/money.h).
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
#include "store/currency.h"

static const char usage[] =
    "usage: playstat game create --data DIR --name NAME [--currency CODE]\n"
    "       playstat game list   --data DIR\n"
    "       playstat game set    --data DIR --game ID --currency CODE\n"
    "\n"
    "create prints one JSON object with the new game's id and keys:\n"
    "  game_key, secret_key  for the analytics API (GameAnalytics v2 compatible)\n"
    "  metrics_key           for metrics-session hashes\n"
    "  token_secret          to sign players' bearer tokens\n"
    "  currency              its reporting currency, or null (EUR is used)\n"
    "list prints a JSON array of every game. set changes a game's reporting currency and\n"
    "prints the game.\n"
    "\n"
    "--currency CODE (ISO 4217: EUR, USD, ...) is the currency revenue, ARPDAU and ARPPU\n"
    "answer in, converted with the exchange rates `playstat rates load` stores; without one\n"
    "they answer in EUR (the rates' base) unless the query asks currency=CODE.\n"
    "\n"
    PS_CLI_STORE_USAGE;

/* currency: the game's reporting currency, "" for none (null). */
static json_t *game_to_json(const ps_game *g, const char *currency) {
  return json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)g->id, "name",
                   g->name, "project_id", g->project_id, "game_key", g->game_key, "secret_key",
                   g->secret_key, "metrics_key", g->metrics_key, "token_secret",
                   g->token_secret, "currency",
                   currency[0] ? json_string(currency) : json_null());
}

/* The reporting currency of game_id into out ("" for none); 0, or 1 after saying why. */
static int currency_of(ps_state_store *store, int64_t game_id, char out[4]) {
  int rc = store->ops->game_currency_get(store, game_id, out);
  if (rc == PS_ENOTFOUND) out[0] = '\0';
  if (rc == PS_OK || rc == PS_ENOTFOUND) return 0;
  fprintf(stderr, "playstat: cannot read the reporting currency: %s\n", ps_strerror(rc));
  return 1;
}

/* 0 when currency (NULL: none given) is a valid code, else 2 after saying why. */
static int check_currency(const char *currency) {
  if (!currency || ps_currency_code_valid(currency)) return 0;
  fprintf(stderr, "playstat: --currency must be an ISO 4217 code (three uppercase letters: "
                  "EUR, USD, ...), got '%s'\n", currency);
  return 2;
}

/* Sets the reporting currency of g and prints g; 0 or 1. */
static int set_currency(ps_state_store *store, const ps_game *g, const char *currency) {
  int rc = store->ops->game_currency_set(store, g->id, currency);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot set the reporting currency: %s\n", ps_strerror(rc));
    return 1;
  }
  return ps_cli_print_json(game_to_json(g, currency));
}

static int generate_keys(ps_game *g) {
  if (ps_random_uuid_v4(g->project_id) || ps_random_hex(g->game_key, 16) ||
      ps_random_hex(g->secret_key, 20) || ps_random_uuid_v4(g->metrics_key) ||
      ps_random_hex(g->token_secret, 32))
    return PS_EIO;
  return PS_OK;
}

static int create(ps_state_store *store, const char *name, const char *currency) {
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
  if (currency) return set_currency(store, &g, currency);
  return ps_cli_print_json(game_to_json(&g, ""));
}

static int list(ps_state_store *store) {
  ps_game *games = NULL;
  size_t n = 0;
  if (ps_cli_list_games(store, &games, &n)) return 1;
  json_t *array = json_array();
  int rc = 0;
  for (size_t i = 0; array && i < n; i++) {
    char currency[4];
    if ((rc = currency_of(store, games[i].id, currency))) break;
    if (json_array_append_new(array, game_to_json(&games[i], currency)) != 0) {
      json_decref(array);
      array = NULL;
    }
  }
  free(games);
  if (rc) {
    json_decref(array);
    return rc;
  }
  return ps_cli_print_json(array);
}

int ps_cmd_game(int argc, char **argv) {
  static const char *const actions[] = {"create", "list", "set", NULL};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL, *name = NULL;
  const char *currency = NULL, *game_text = NULL;
  const ps_cli_option opts[] = {{"data", &data}, {"store", &store_url}, {"state", &state_url}, {"name", &name},
                                {"currency", &currency}, {"game", &game_text}, {NULL, NULL}};
  int action = 0;
  int rc = ps_cli_parse(argc, argv, actions, &action, opts, usage);
  if (rc >= 0) return rc;
  const int creating = action == 0, setting = action == 2;
  if (creating && !name) {
    fprintf(stderr, "playstat: game create needs --name NAME\n");
    return 2;
  }
  if (setting && (!game_text || !currency)) {
    fprintf(stderr, "playstat: game set needs --game ID and --currency CODE\n");
    return 2;
  }
  if ((rc = check_currency(currency))) return rc;
  ps_stores stores;
  if (setting) {
    ps_game game;
    if ((rc = ps_cli_open_game(store_url, state_url, data, game_text, &stores, &game))) return rc;
    rc = set_currency(stores.state, &game, currency);
    ps_stores_close(&stores);
    return rc;
  }
  if ((rc = ps_cli_open_stores(store_url, state_url, data, NULL, &stores))) return rc;
  rc = creating ? create(stores.state, name, currency) : list(stores.state);
  ps_stores_close(&stores);
  return rc;
}
