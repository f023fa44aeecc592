/*
 * api_token.c: `playstat api-token create (--data DIR | --store URL) [--name NAME]
 * [--role viewer|admin]` prints a new bearer token for the read API (insights) and, with an
 * admin role, for deleting players and exporting raw data. The token is shown once; the store
 * keeps only its SHA-256 and its role (src/auth/api_token_auth.h says what each role may do).
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/api_token_auth.h"
#include "cli/cli.h"
#include "common/errors.h"
#include "common/random.h"

static const char usage[] =
    "usage: playstat api-token create (--data DIR | --store URL) [--name NAME]\n"
    "                                 [--role viewer|admin]\n"
    "\n"
    "Prints a new API token for /api/v1/... (send it as Authorization: Bearer <token>).\n"
    "It is shown only now: playstat keeps just its SHA-256.\n"
    "\n"
    "Roles (default viewer):\n"
    "  viewer  reads metrics and games (GET /api/v1/...);\n"
    "  admin   what a viewer may, and also deletes players\n"
    "          (DELETE /api/v1/games/{id}/players/{user_id}) and exports raw data.\n"
    "\n"
    PS_CLI_STORE_USAGE;

int ps_cmd_api_token(int argc, char **argv) {
  static const char *const actions[] = {"create", NULL};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL, *name = "api",
             *role = PS_API_ROLE_VIEWER;
  const ps_cli_option opts[] = {{"data", &data},   {"store", &store_url}, {"state", &state_url},
                                {"name", &name},   {"role", &role},       {NULL, NULL}};
  int action = 0;
  int rc = ps_cli_parse(argc, argv, actions, &action, opts, usage);
  if (rc >= 0) return rc;
  if (!ps_api_token_role_valid(role)) {
    fprintf(stderr, "playstat: --role must be viewer or admin, got '%s'\n", role);
    return 2;
  }
  char token[4 + 64 + 1] = "pst_", hash[65];
  if (ps_random_hex(token + 4, 32) != PS_OK) {
    fprintf(stderr, "playstat: the random generator failed\n");
    return 1;
  }
  ps_api_token_hash(token, hash);
  ps_stores stores;
  if ((rc = ps_cli_open_stores(store_url, state_url, data, NULL, &stores))) return rc;
  rc = stores.state->ops->api_token_create(stores.state, hash, name, role);
  ps_stores_close(&stores);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot store the token: %s\n", ps_strerror(rc));
    OPENSSL_cleanse(token, sizeof token);
    return 1;
  }
  puts(token);
  OPENSSL_cleanse(token, sizeof token);
  return 0;
}
