/* util.c: helpers shared by the subcommands (see cli.h). */
#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"
#include "common/errors.h"

int ps_cli_open_store(const char *data_dir, const ps_store_options *options, ps_store **out) {
  if (!data_dir || !*data_dir) {
    fprintf(stderr, "playstat: --data DIR is required (the directory holding the database)\n");
    return 2;
  }
  const ps_store_ops *backend = ps_store_backend("sqlite");
  int rc = backend->open(data_dir, options, out);
  if (rc != PS_OK) {
    fprintf(stderr, "playstat: cannot open the store in %s: %s\n", data_dir, ps_strerror(rc));
    return 1;
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

int ps_cli_open_game(const char *data_dir, const char *game_text, ps_store **store,
                     ps_game *game) {
  long long id;
  if (ps_cli_parse_int("--game", game_text, 1, INT64_MAX, &id)) return 2;
  int rc = ps_cli_open_store(data_dir, NULL, store);
  if (rc) return rc;
  rc = (*store)->ops->game_find_by_id(*store, id, game);
  if (rc == PS_OK) return 0;
  fprintf(stderr, "playstat: %s\n", rc == PS_ENOTFOUND ? "no game has that id" : ps_strerror(rc));
  (*store)->ops->close(*store);
  *store = NULL;
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
