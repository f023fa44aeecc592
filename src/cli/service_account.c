/*
 * service_account.c: `playstat service-account create|list|delete`: the credentials of the
 * session observability API (HTTP Basic key_id:secret).
 *
 *   create --data DIR --project P --role viewer|writer
 *          prints {"key_id", "secret", "project_id", "role"}; the secret is shown only now,
 *          playstat keeps its SHA-256. P must be a game's project_id (`playstat game list`).
 *   list   --data DIR [--project P]     NDJSON {"key_id", "project_id", "role", "created_ms"}
 *   delete --data DIR --key-id K        revokes at once
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
    "usage: playstat service-account create --data DIR --project PROJECT_ID --role viewer|writer\n"
    "       playstat service-account list --data DIR [--project PROJECT_ID]\n"
    "       playstat service-account delete --data DIR --key-id KEY_ID\n"
    "\n"
    "Service accounts authenticate to /session-observability/v1/... with HTTP Basic\n"
    "KEY_ID:SECRET. Role viewer (\"Multiplayer Session Details Viewer\") reads a project's\n"
    "sessions; role writer posts their events (the matchmaker). PROJECT_ID is a game's\n"
    "project_id (playstat game list). The secret is printed once; playstat keeps its SHA-256.\n";

typedef struct args {
  const char *data, *project, *role, *key_id;
} args;

static int parse(int argc, char **argv, args *a) {
  static const struct option options[] = {{"data", required_argument, NULL, 'd'},
                                          {"project", required_argument, NULL, 'p'},
                                          {"role", required_argument, NULL, 'r'},
                                          {"key-id", required_argument, NULL, 'k'},
                                          {"help", no_argument, NULL, 'h'},
                                          {NULL, 0, NULL, 0}};
  a->data = getenv("PLAYSTAT_DATA");
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
    switch (c) {
      case 'd': a->data = optarg; break;
      case 'p': a->project = optarg; break;
      case 'r': a->role = optarg; break;
      case 'k': a->key_id = optarg; break;
      case 'h': fputs(usage, stdout); return -1;
      default: fputs(usage, stderr); return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "playstat: unexpected argument '%s'\n%s", argv[optind], usage);
    return 2;
  }
  return 0;
}

/* Whether some game has project_id. */
static int project_exists(ps_store *store, const char *project_id) {
  ps_game *games = NULL;
  size_t n = 0;
  int found = 0;
  if (store->ops->game_list(store, &games, &n) != PS_OK) return -1;
  for (size_t i = 0; i < n && !found; i++) found = strcmp(games[i].project_id, project_id) == 0;
  free(games);
  return found;
}

static int create(ps_store *store, const args *a) {
  if (!a->project || !a->role) {
    fprintf(stderr, "playstat: create needs --project and --role\n%s", usage);
    return 2;
  }
  if (strcmp(a->role, "viewer") != 0 && strcmp(a->role, "writer") != 0) {
    fprintf(stderr, "playstat: --role must be viewer or writer\n");
    return 2;
  }
  int exists = project_exists(store, a->project);
  if (exists <= 0) {
    fprintf(stderr, exists < 0 ? "playstat: cannot read the games\n"
                               : "playstat: no game has project_id %s (see playstat game list)\n",
            a->project);
    return exists < 0 ? 1 : 2;
  }
  ps_service_account account = {0};
  char secret[64 + 1];
  unsigned char digest[SHA256_DIGEST_LENGTH];
  if (ps_random_uuid_v4(account.key_id) != PS_OK || ps_random_hex(secret, 32) != PS_OK) {
    fprintf(stderr, "playstat: the random generator failed\n");
    return 1;
  }
  SHA256((const unsigned char *)secret, strlen(secret), digest);
  ps_hex_encode(digest, sizeof digest, account.secret_sha256);
  snprintf(account.project_id, sizeof account.project_id, "%s", a->project);
  snprintf(account.role, sizeof account.role, "%s", a->role);
  int rc = store->ops->service_account_create(store, &account);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot store the service account: %s\n", ps_strerror(rc));
    return 1;
  }
  printf("{\"key_id\": \"%s\", \"secret\": \"%s\", \"project_id\": \"%s\", \"role\": \"%s\"}\n",
         account.key_id, secret, account.project_id, account.role);
  return 0;
}

static int list(ps_store *store, const args *a) {
  ps_service_account *accounts = NULL;
  size_t n = 0;
  int rc = store->ops->service_account_list(store, a->project, &accounts, &n);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot list service accounts: %s\n", ps_strerror(rc));
    return 1;
  }
  for (size_t i = 0; i < n; i++)
    printf("{\"key_id\": \"%s\", \"project_id\": \"%s\", \"role\": \"%s\", \"created_ms\": %lld}\n",
           accounts[i].key_id, accounts[i].project_id, accounts[i].role,
           (long long)accounts[i].created_ms);
  free(accounts);
  return 0;
}

static int delete_account(ps_store *store, const args *a) {
  if (!a->key_id) {
    fprintf(stderr, "playstat: delete needs --key-id\n%s", usage);
    return 2;
  }
  int rc = store->ops->service_account_delete(store, a->key_id);
  if (rc == PS_ENOTFOUND) {
    fprintf(stderr, "playstat: no service account has key id %s\n", a->key_id);
    return 1;
  }
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot delete the service account: %s\n", ps_strerror(rc));
    return 1;
  }
  return 0;
}

int ps_cmd_service_account(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*run)(ps_store *store, const args *a);
  } actions[] = {{"create", create}, {"list", list}, {"delete", delete_account}};
  size_t i = 0;
  while (argc >= 2 && i < sizeof actions / sizeof *actions && strcmp(argv[1], actions[i].name) != 0)
    i++;
  if (argc < 2 || i == sizeof actions / sizeof *actions) {
    int help = argc >= 2 && strcmp(argv[1], "--help") == 0;
    fputs(usage, help ? stdout : stderr);
    return help ? 0 : 2;
  }
  args a = {0};
  int rc = parse(argc - 1, argv + 1, &a);
  if (rc) return rc < 0 ? 0 : rc;
  ps_store *store = NULL;
  if ((rc = ps_cli_open_store(a.data, NULL, &store)) != 0) return rc;
  rc = actions[i].run(store, &a);
  store->ops->close(store);
  return rc;
}
