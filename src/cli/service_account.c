/*
 * service_account.c: `playstat service-account create | list | delete`, the credentials of the
 * session observability API (auth/service_auth.h).
 *
 * create draws the key id (UUID v4) and the secret (32 bytes of the CSPRNG, 64 hex digits)
 * and prints both once; the store keeps only the secret's SHA-256, so a lost secret is
 * replaced by a new account, never recovered. The project must be a game's project_id.
 * list never prints secrets or their hashes. Works while the server runs: the server reads
 * accounts from the store on every request, so a new account works and a deleted one stops
 * working at once.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/service_auth.h"
#include "cli/cli.h"
#include "common/errors.h"
#include "common/random.h"

static const char usage[] =
    "usage: playstat service-account create --data DIR --project PROJECT_ID --role viewer|writer\n"
    "                                       [--name NAME]\n"
    "       playstat service-account list   --data DIR [--project PROJECT_ID]\n"
    "       playstat service-account delete --data DIR --key-id KEY_ID\n"
    "\n"
    "Service accounts sign in to the session observability API with HTTP Basic\n"
    "(Authorization: Basic base64(key_id:secret)). A viewer reads the project's sessions, a\n"
    "writer posts its session events (the matchmaker); neither role includes the other.\n"
    "PROJECT_ID is a game's project_id (playstat game list).\n"
    "\n"
    "create prints {\"key_id\", \"secret\", \"project_id\", \"role\", \"name\"}. The secret\n"
    "is shown only now: playstat keeps just its SHA-256.\n"
    "list prints one JSON object per account and line, without secrets.\n"
    "delete revokes an account at once.\n"
    "\n"
    PS_CLI_STORE_USAGE;

typedef struct options {
  const char *data, *project, *role, *name, *key_id;
} options;

static json_t *account_to_json(const ps_service_account *a) {
  return json_pack("{s:s, s:s, s:s, s:s, s:I}", "key_id", a->key_id, "project_id",
                   a->project_id, "role", a->role, "name", a->name, "created_ts",
                   (json_int_t)(a->created_ms / 1000));
}

/* 0 when a game has project_id as its project_id; else the exit status after saying why. */
static int check_project(ps_state_store *store, const char *project_id) {
  ps_game *games = NULL;
  size_t n = 0;
  if (ps_cli_list_games(store, &games, &n)) return 1;
  size_t i = 0;
  while (i < n && strcmp(games[i].project_id, project_id) != 0) i++;
  free(games);
  if (i < n) return 0;
  fprintf(stderr,
          "playstat: no game has project_id '%s' (playstat game list shows each game's "
          "project_id)\n",
          project_id);
  return 2;
}

static int create(ps_state_store *store, const options *o) {
  ps_service_account a = {0};
  char secret[2 * 32 + 1];
  int rc = check_project(store, o->project);
  if (rc) return rc;
  snprintf(a.project_id, sizeof a.project_id, "%s", o->project);
  snprintf(a.role, sizeof a.role, "%s", o->role);
  snprintf(a.name, sizeof a.name, "%s", o->name ? o->name : "");
  for (int attempt = 0; attempt < 3; attempt++) {
    if ((rc = ps_random_uuid_v4(a.key_id)) != PS_OK || (rc = ps_random_hex(secret, 32)) != PS_OK)
      break;
    ps_service_secret_hash(secret, strlen(secret), a.secret_sha256);
    if ((rc = store->ops->service_account_create(store, &a)) != PS_EEXIST) break;
  }
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot create the service account: %s\n", ps_strerror(rc));
    OPENSSL_cleanse(secret, sizeof secret);
    return 1;
  }
  rc = ps_cli_print_json(json_pack("{s:s, s:s, s:s, s:s, s:s}", "key_id", a.key_id, "secret",
                                   secret, "project_id", a.project_id, "role", a.role, "name",
                                   a.name));
  OPENSSL_cleanse(secret, sizeof secret);
  return rc;
}

static int list(ps_state_store *store, const options *o) {
  ps_service_account *accounts = NULL;
  size_t n = 0;
  int rc = store->ops->service_account_list(store, o->project, &accounts, &n);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot list service accounts: %s\n", ps_strerror(rc));
    return 1;
  }
  for (size_t i = 0; rc == 0 && i < n; i++) rc = ps_cli_print_json(account_to_json(&accounts[i]));
  free(accounts);
  return rc;
}

static int delete(ps_state_store *store, const options *o) {
  int rc = store->ops->service_account_delete(store, o->key_id);
  if (rc == PS_OK) return 0;
  fprintf(stderr, "playstat: %s\n",
          rc == PS_ENOTFOUND ? "no service account has that key id" : ps_strerror(rc));
  return 1;
}

/* The usage errors of an action's options; 0 when they are complete. */
static int check_options(const char *action, const options *o) {
  if (strcmp(action, "create") == 0) {
    if (!o->project || !o->role) {
      fprintf(stderr, "playstat: service-account create needs --project and --role\n");
      return 2;
    }
    if (!ps_service_role_valid(o->role)) {
      fprintf(stderr, "playstat: --role must be viewer or writer, got '%s'\n", o->role);
      return 2;
    }
    if (o->name && strlen(o->name) >= sizeof ((ps_service_account *)0)->name) {
      fprintf(stderr, "playstat: --name must be at most %zu bytes\n",
              sizeof ((ps_service_account *)0)->name - 1);
      return 2;
    }
  } else if (strcmp(action, "delete") == 0 && !o->key_id) {
    fprintf(stderr, "playstat: service-account delete needs --key-id\n");
    return 2;
  }
  return 0;
}

int ps_cmd_service_account(int argc, char **argv) {
  static const char *const actions[] = {"create", "list", "delete", NULL};
  options o = {.data = getenv("PLAYSTAT_DATA")};
  const char *store_url = NULL, *state_url = NULL;
  const ps_cli_option opts[] = {{"data", &o.data},     {"store", &store_url}, {"state", &state_url},     {"project", &o.project},
                                {"role", &o.role},     {"name", &o.name},
                                {"key-id", &o.key_id}, {NULL, NULL}};
  int action = 0;
  int rc = ps_cli_parse(argc, argv, actions, &action, opts, usage);
  if (rc >= 0) return rc;
  if ((rc = check_options(actions[action], &o))) return rc;
  ps_stores stores;
  if ((rc = ps_cli_open_stores(store_url, state_url, o.data, NULL, &stores))) return rc;
  ps_state_store *store = stores.state;
  rc = action == 0 ? create(store, &o) : action == 1 ? list(store, &o) : delete(store, &o);
  ps_stores_close(&stores);
  if (fflush(stdout) != 0 && rc == 0) rc = 1;
  return rc;
}
