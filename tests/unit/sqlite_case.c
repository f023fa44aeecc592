/* sqlite_case.c: see sqlite_case.h. */
#include "sqlite_case.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/errors.h"

void sqlite_case_open(const char *dir, ps_stores *s) {
  char url[128];
  snprintf(url, sizeof url, "sqlite:%s", dir);
  ps_store_options o = {0};
  const char *why = NULL;
  int rc = ps_stores_open(url, NULL, &o, s, &why);
  if (rc != PS_OK) fail_msg("ps_stores_open: %s (%s)", ps_strerror(rc), why ? why : "");
}

void sqlite_case_begin(char dir[SQLITE_CASE_DIR], ps_stores *s, ps_game *g, const char *tag,
                       const char *name, int n) {
  snprintf(dir, SQLITE_CASE_DIR, "/tmp/playstat-%s-XXXXXX", tag);
  assert_non_null(mkdtemp(dir));
  sqlite_case_open(dir, s);
  memset(g, 0, sizeof *g);
  snprintf(g->name, sizeof g->name, "%s", name);
  snprintf(g->project_id, sizeof g->project_id, "0c0e5a3e-0000-4000-8000-%012d", 2 * n);
  snprintf(g->game_key, sizeof g->game_key, "%032d", n);
  snprintf(g->secret_key, sizeof g->secret_key, "%040d", n);
  snprintf(g->metrics_key, sizeof g->metrics_key, "0c0e5a3e-0000-4000-8000-%012d", 2 * n + 1);
  snprintf(g->token_secret, sizeof g->token_secret, "%064d", n);
  assert_int_equal(s->state->ops->game_create(s->state, g), PS_OK);
}

void sqlite_case_end(const char *dir, ps_stores *s) {
  ps_stores_close(s);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}
