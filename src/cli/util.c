/* util.c: helpers shared by the subcommands (see cli.h). */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "common/errors.h"

int ps_cli_open_stores(const char *store_url, const char *state_url, const char *data_dir,
                       const ps_store_options *options, ps_stores *out) {
  /* An explicit --data (or $PLAYSTAT_DATA) comes before $PLAYSTAT_STORE. */
  if (!store_url || !*store_url) store_url = data_dir;
  if (!store_url || !*store_url) store_url = getenv("PLAYSTAT_STORE");
  if (!store_url || !*store_url) {
    fprintf(stderr, "playstat: --data DIR or --store URL is required (where the data is; "
                    "sqlite:DIR is the embedded database in DIR)\n");
    return 2;
  }
  if (!state_url || !*state_url) state_url = getenv("PLAYSTAT_STATE");
  if (state_url && !*state_url) state_url = NULL;
  const char *why = NULL;
  int rc = ps_stores_open(store_url, state_url, options, out, &why);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot open the store %s: %s\n", store_url,
            why ? why : ps_strerror(rc));
    return why ? 2 : 1;
  }
  return 0;
}

int ps_cli_parse_int(const char *option, const char *text, long long min, long long max,
                     long long *out) {
  char *end = NULL;
  errno = 0;
  long long v = strtoll(text, &end, 10);
  if (errno || !*text || *end || v < min || v > max) {
    fprintf(stderr, "playstat: %s wants a whole number from %lld to %lld, got '%s'\n", option,
            min, max, text);
    return 2;
  }
  *out = v;
  return 0;
}

int ps_cli_open_game(const char *store_url, const char *state_url, const char *data_dir,
                     const char *game_text, ps_stores *stores, ps_game *game) {
  long long id;
  if (ps_cli_parse_int("--game", game_text, 1, INT64_MAX, &id)) return 2;
  int rc = ps_cli_open_stores(store_url, state_url, data_dir, NULL, stores);
  if (rc) return rc;
  rc = stores->state->ops->game_find(stores->state, NULL, id, game);
  if (rc == PS_OK) return 0;
  fprintf(stderr, "playstat: %s\n", rc == PS_ENOTFOUND ? "no game has that id" : ps_strerror(rc));
  ps_stores_close(stores);
  return 1;
}

int ps_cli_list_games(ps_state_store *store, ps_game **games, size_t *count) {
  int rc = store->ops->game_list(store, games, count);
  if (rc == PS_OK) return 0;
  fprintf(stderr, "playstat: cannot list games: %s\n", ps_strerror(rc));
  return 1;
}

int ps_cli_print_json(json_t *doc) {
  if (!doc || json_dumpf(doc, stdout, JSON_COMPACT) != 0) {
    json_decref(doc);
    fprintf(stderr, "playstat: out of memory\n");
    return 1;
  }
  json_decref(doc);
  putchar('\n');
  return 0;
}

#define MAX_OPTIONS 15
#define OPTION_VAL 256 /* getopt_long's value for opts[i] is OPTION_VAL + i: no short option */

int ps_cli_parse(int argc, char **argv, const char *const *actions, int *action,
                 const ps_cli_option *opts, const char *usage) {
  struct option longopts[MAX_OPTIONS + 2];
  size_t n = 0;
  for (; opts[n].name && n < MAX_OPTIONS; n++)
    longopts[n] = (struct option){opts[n].name, required_argument, NULL, OPTION_VAL + (int)n};
  longopts[n] = (struct option){"help", no_argument, NULL, 'h'};
  longopts[n + 1] = (struct option){NULL, 0, NULL, 0};
  const char *word = NULL;
  if (actions && argc >= 2 && argv[1][0] != '-') {
    word = argv[1];
    argc--;
    argv++;
  }
  int c;
  optind = 1;
  while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
    if (c == 'h') {
      fputs(usage, stdout);
      return 0;
    }
    if (c < OPTION_VAL || c >= OPTION_VAL + (int)n) goto usage_error;
    *opts[c - OPTION_VAL].value = optarg;
  }
  if (optind < argc) goto usage_error;
  if (actions) {
    int i = 0;
    while (word && actions[i] && strcmp(actions[i], word) != 0) i++;
    if (!word || !actions[i]) goto usage_error;
    *action = i;
  }
  return -1;
usage_error:
  fputs(usage, stderr);
  return 2;
}
