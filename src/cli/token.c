/*
 * token.c: `playstat token --data DIR --game ID --player P [--ttl S]` prints one player bearer
 * token (an HS256 JWT, see auth/jwt.h) signed with the game's token_secret, on one line.
 * It is for tests and for studios checking their own login server's tokens against ours: the
 * printed token is a credential, so nothing else (and never the secret) is printed.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "cli/cli.h"
#include "common/clock.h"
#include "common/errors.h"

#define TTL_DEFAULT 3600
#define TTL_MAX 31536000 /* one year */

static const char usage[] =
    "usage: playstat token --data DIR --game ID --player P [--ttl S]\n"
    "\n"
    "Prints a bearer token for player P of game ID: an HS256 JWT signed with the game's\n"
    "token_secret (see `playstat game list`), with sub = P, iat = now and exp = now + S.\n"
    "Clients send it as `Authorization: Bearer <token>` to /v1/metrics/sessions/*.\n"
    "A studio's login server issues the same tokens itself: HMAC-SHA256 keyed with the\n"
    "token_secret text (64 hex characters, used as is), header {\"alg\":\"HS256\",\"typ\":\"JWT\"}.\n"
    "\n"
    "  --data DIR   the data directory (default: $PLAYSTAT_DATA)\n"
    "  --game ID    the game's id\n"
    "  --player P   the player id, 1 to 128 bytes of UTF-8\n"
    "  --ttl S      seconds the token stays valid, 1 to 31536000 (default 3600)\n"
    "\n"
    PS_CLI_STORE_USAGE;

int ps_cmd_token(int argc, char **argv) {
  static const struct option options[] = {{"data", required_argument, NULL, 'd'},
                                          {"store", required_argument, NULL, 's'},
                                          {"state", required_argument, NULL, 'S'},
                                          {"game", required_argument, NULL, 'g'},
                                          {"player", required_argument, NULL, 'p'},
                                          {"ttl", required_argument, NULL, 't'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char *data = getenv("PLAYSTAT_DATA"), *store_url = NULL, *state_url = NULL, *game = NULL, *player = NULL;
  const char *ttl_text = NULL;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
      case 'd': data = optarg; break;
      case 's': store_url = optarg; break;
      case 'S': state_url = optarg; break;
      case 'g': game = optarg; break;
      case 'p': player = optarg; break;
      case 't': ttl_text = optarg; break;
      case 'h': fputs(usage, stdout); return 0;
      default: fputs(usage, stderr); return 2;
    }
  }
  if (!game || !player || optind < argc) {
    if (optind < argc)
      fprintf(stderr, "playstat: unexpected argument '%s'\n\n", argv[optind]);
    else
      fprintf(stderr, "playstat: token needs %s\n\n",
              !game && !player ? "--game ID and --player P" : !game ? "--game ID" : "--player P");
    fputs(usage, stderr);
    return 2;
  }
  long long ttl = TTL_DEFAULT;
  if (ttl_text && ps_cli_parse_int("--ttl", ttl_text, 1, TTL_MAX, &ttl)) return 2;
  size_t player_len = strlen(player);
  if (player_len == 0 || player_len > PS_JWT_MAX_SUBJECT) {
    fprintf(stderr, "playstat: --player must be 1 to %d bytes\n", PS_JWT_MAX_SUBJECT);
    return 2;
  }

  ps_stores stores;
  ps_game g;
  int rc = ps_cli_open_game(store_url, state_url, data, game, &stores, &g);
  if (rc) return rc;
  ps_stores_close(&stores);
  if (!g.token_secret[0]) {
    fprintf(stderr, "playstat: that game has no token_secret\n");
    return 1;
  }

  char token[PS_JWT_MAX_LEN + 1];
  int64_t now = ps_now_ms() / 1000;
  rc = ps_jwt_sign_hs256(g.token_secret, player, now, now + ttl, token, sizeof token);
  if (rc == PS_EINVAL) {
    fprintf(stderr, "playstat: --player must be valid UTF-8\n");
    return 2;
  }
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot sign the token: %s\n", ps_strerror(rc));
    return 1;
  }
  puts(token);
  return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}
