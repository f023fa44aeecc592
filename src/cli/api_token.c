/*
 * api_token.c: `playstat api-token create (--data DIR | --store URL) [--name NAME]` prints a new bearer token
 * for the read API (insights). The token is shown once; the store keeps only its SHA-256.
 */
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "common/random.h"

static const char usage[] =
    "usage: playstat api-token create (--data DIR | --store URL) [--name NAME]\n"
    "\n"
    "Prints a new API token for GET /api/v1/... (send it as Authorization: Bearer <token>).\n"
    "It is shown only now: playstat keeps just its SHA-256.\n"
    "\n"
    PS_CLI_STORE_USAGE;

int ps_cmd_api_token(int argc, char **argv) {
  static const char *const actions[] = {"create", NULL};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL, *name = "api";
  const ps_cli_option opts[] = {{"data", &data}, {"store", &store_url}, {"state", &state_url}, {"name", &name}, {NULL, NULL}};
  int action = 0;
  int rc = ps_cli_parse(argc, argv, actions, &action, opts, usage);
  if (rc >= 0) return rc;
  char token[4 + 64 + 1] = "pst_", hex[2 * SHA256_DIGEST_LENGTH + 1];
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (ps_random_hex(token + 4, 32) != PS_OK) {
    fprintf(stderr, "playstat: the random generator failed\n");
    return 1;
  }
  SHA256((const unsigned char *)token, strlen(token), digest);
  ps_hex_encode(digest, sizeof digest, hex);
  ps_stores stores;
  if ((rc = ps_cli_open_stores(store_url, state_url, data, NULL, &stores))) return rc;
  rc = stores.state->ops->api_token_create(stores.state, hex, name);
  ps_stores_close(&stores);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot store the token: %s\n", ps_strerror(rc));
    return 1;
  }
  puts(token);
  return 0;
}
