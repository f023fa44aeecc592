/* schedule.c: see schedule.h. */
#include "export/schedule.h"

#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/periodic.h"
#include "export/export.h"

/* How far each game is known to be exported: periods before done_ms are in the log. */
typedef struct game_cursor {
  int64_t game_id, done_ms;
} game_cursor;

struct ps_export_schedule {
  ps_stores stores;
  ps_export_schedule_options options;
  ps_export_target *target;
  game_cursor *cursors;
  size_t ncursors;
  ps_periodic *thread;
  _Atomic int stopping;
};

static game_cursor *cursor_of(ps_export_schedule *s, const ps_game *g) {
  for (size_t i = 0; i < s->ncursors; i++)
    if (s->cursors[i].game_id == g->id) return &s->cursors[i];
  game_cursor *grown = realloc(s->cursors, (s->ncursors + 1) * sizeof *grown);
  if (!grown) return NULL;
  s->cursors = grown;
  grown[s->ncursors] = (game_cursor){g->id, g->created_ms};
  return &grown[s->ncursors++];
}

static void logged(const ps_export_object *o, int skipped, void *ctx) {
  (void)ctx;
  if (!skipped)
    ps_info("export: wrote %s (%lld rows, %lld bytes)", o->key, (long long)o->rows,
            (long long)o->bytes);
}

static void run(void *arg) {
  ps_export_schedule *s = arg;
  int64_t p = s->options.period_ms;
  int64_t closed = ps_export_closed_before(ps_now_ms(), p, s->options.delay_ms);
  ps_game *games = NULL;
  size_t n = 0;
  ps_state_store *state = s->stores.state;
  int rc = state->ops->game_list(state, &games, &n);
  if (rc != PS_OK) {
    ps_warn("export: cannot list the games: %s (tried again later)", ps_strerror(rc));
    return;
  }
  for (size_t i = 0; i < n; i++) {
    game_cursor *c = cursor_of(s, &games[i]);
    if (!c) break;
    if (c->done_ms >= closed) continue;
    ps_export_job job = {.stores = &s->stores, .target = s->target, .game = &games[i],
                         .kinds = PS_EXPORT_ALL_KINDS, .formats = s->options.formats,
                         .period_ms = p, .stop = &s->stopping};
    char why[512] = "";
    rc = ps_export_range(&job, c->done_ms, closed, 0, logged, NULL, why, sizeof why);
    if (rc == PS_OK) c->done_ms = closed;
    else if (rc == PS_ESHUTDOWN) break;
    else ps_warn("export: game %lld: %s (tried again later)", (long long)games[i].id, why);
  }
  free(games);
}

int ps_export_schedule_start(ps_stores stores, const ps_export_schedule_options *options,
                             ps_export_schedule **out, char *why, size_t why_cap) {
  ps_export_schedule *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->stores = stores;
  s->options = *options;
  int rc = ps_target_open(options->url, &s->target, why, why_cap);
  if (rc == PS_OK) {
    int64_t check = options->check_ms > 0 ? options->check_ms : 60 * 1000;
    rc = ps_periodic_start(check, run, s, &s->thread);
  }
  if (rc != PS_OK) {
    ps_target_close(s->target);
    free(s);
    return rc;
  }
  *out = s;
  return PS_OK;
}

void ps_export_schedule_stop(ps_export_schedule *s) {
  if (!s) return;
  s->stopping = 1;
  ps_periodic_stop(s->thread);
  ps_target_close(s->target);
  free(s->cursors);
  free(s);
}
