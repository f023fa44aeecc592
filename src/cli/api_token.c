/*
 * api_token.c: `playstat api-token create --data DIR [--name NAME]` prints a new bearer token
 * for the read API (insights). The token is shown once; the store keeps only its SHA-256.
 */
#include <getopt.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/encoding.h"
#include "common/errors.h"
#include "common/random.h"

static const char usage[] =
    "usage: playstat api-token create --data DIR [--name NAME]\n"
    "\n"
    "Prints a new API token for GET /api/v1/... (send it as Authorization: Bearer <token>).\n"
    "It is shown only now: playstat keeps just its SHA-256.\n";

int ps_cmd_api_token(int argc, char **argv) {
  static const struct option options[] = {{"data", required_argument, NULL, 'd'},
                                          {"name", required_argument, NULL, 'n'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  const char *data = getenv("PLAYSTAT_DATA"), *name = "api";
  if (argc < 2 || strcmp(argv[1], "create") != 0) {
    fputs(usage, argc >= 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
    return argc >= 2 && strcmp(argv[1], "--help") == 0 ? 0 : 2;
  }
  argc--;
  argv++;
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
      case 'd': data = optarg; break;
      case 'n': name = optarg; break;
      case 'h': fputs(usage, stdout); return 0;
      default: fputs(usage, stderr); return 2;
    }
  }
  if (optind < argc) {
    fputs(usage, stderr);
    return 2;
  }
  char token[4 + 64 + 1] = "pst_", hex[2 * SHA256_DIGEST_LENGTH + 1];
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (ps_random_hex(token + 4, 32) != PS_OK) {
    fprintf(stderr, "playstat: the random generator failed\n");
    return 1;
  }
  SHA256((const unsigned char *)token, strlen(token), digest);
  ps_hex_encode(digest, sizeof digest, hex);
  ps_store *store = NULL;
  int rc = ps_cli_open_store(data, NULL, &store);
  if (rc) return rc;
  rc = store->ops->api_token_create(store, hex, name);
  store->ops->close(store);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot store the token: %s\n", ps_strerror(rc));
    return 1;
  }
  puts(token);
  return 0;
}
