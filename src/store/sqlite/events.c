/*
 * events.c: the SQLite event store: its handle and ops table. It appends on the writer
 * connection, one transaction per call (the ingest writer's group commit: one fsync for every
 * request waiting), and answers from the tables its upkeep keeps:
 *
 *   analytics events   event_log.c (the events, the truth), ga_rollup.c folding them into
 *                      ga_tables.c's day bitmaps and aggregates, ga_query.c / ga_family.c
 *                      answering from those
 *   metrics sessions   playtime_sessions.c (one interval per session), rollup.c (per-minute
 *                      peaks of the settled past), session_query.c answering
 *   multiplayer        so_sessions.c (summaries merged order-independently, events, tickets),
 *                      match_metrics.c answering
 *
 * maintain() is that upkeep: every call catches the event rollups of every game up (they lag
 * ingest by about a second), and every PLAYTIME_ROLLUP_PERIOD_MS it advances the per-minute
 * rollups to the settled horizon (rollup.h).
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/funnel.h"
#include "store/sqlite/ga_funnel.h"
#include "store/sqlite/ga_ltv.h"
#include "store/sqlite/ga_query.h"
#include "store/sqlite/ga_rollup.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/lifecycle.h"
#include "store/sqlite/match_metrics.h"
#include "store/sqlite/rollup.h"
#include "store/sqlite/session_metrics.h"
#include "store/sqlite/session_query.h"
#include "store/sqlite/session_set.h"

#define PLAYTIME_ROLLUP_PERIOD_MS 10000
#define DAY_MS 86400000LL

/* ---- append ---- */

/* A small set of game ids met in one transaction (games to list in event_games, games whose
 * rejected events to trim). */
typedef struct game_set {
  int64_t ids[64];
  size_t n;
} game_set;

/* Adds game_id: 1 when it is in the set (now or before), 0 when the set is full. */
static int remember(game_set *g, int64_t game_id) {
  for (size_t i = 0; i < g->n; i++)
    if (g->ids[i] == game_id) return 1;
  if (g->n == sizeof g->ids / sizeof *g->ids) return 0;
  g->ids[g->n++] = game_id;
  return 1;
}

/* Kept prepared on the writer: every transaction lists its games (a prepare per commit was a
 * measurable part of a small one). */
static int list_game(sqlite_store *s, int64_t game_id) {
  if (!s->list_game &&
      ps_sqlite_prepare(s->writer, "INSERT OR IGNORE INTO event_games(game_id) VALUES(?)",
                        &s->list_game) != PS_OK)
    return PS_EIO;
  sqlite3_bind_int64(s->list_game, 1, game_id);
  return ps_sqlite_step_and_reset(s->list_game);
}

/* Appends every record on the writer, inside the transaction the caller holds. The games met
 * are listed in event_games and their rejected events trimmed once each, at the end (at once
 * when more games than the sets hold come in one transaction). */
static int append_records(sqlite_store *s, ps_record_span *spans, size_t nspans) {
  game_set games = {.n = 0}, rejected = {.n = 0};
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < nspans; i++) {
    for (size_t j = 0; rc == PS_OK && j < spans[i].count; j++) {
      ps_record *r = &spans[i].records[j];
      switch (r->kind) {
        case PS_RECORD_EVENT:
        case PS_RECORD_REJECTED: rc = ps_sqlite_event_log_append(s, r); break;
        case PS_RECORD_MSESSION: rc = ps_sqlite_playtime_append(s, r); break;
        case PS_RECORD_SO_EVENT: rc = ps_sqlite_sessions_write(s, r, &r->duplicate); break;
      }
      if (rc == PS_OK && r->kind == PS_RECORD_REJECTED && !remember(&rejected, r->game_id))
        rc = ps_sqlite_rejected_trim(s, r->game_id);
      if (rc == PS_OK && r->kind != PS_RECORD_SO_EVENT && !remember(&games, r->game_id))
        rc = list_game(s, r->game_id);
    }
  }
  for (size_t k = 0; rc == PS_OK && k < rejected.n; k++) rc = ps_sqlite_rejected_trim(s, rejected.ids[k]);
  for (size_t k = 0; rc == PS_OK && k < games.n; k++) rc = list_game(s, games.ids[k]);
  return rc;
}

/* One transaction on the writer; with_state: the records' protocol state first, in it. */
static int in_one_transaction(sqlite_store *s, ps_record_span *spans, size_t nspans,
                              int with_state) {
  if (ps_sqlite_exec(s->writer, "BEGIN IMMEDIATE") != PS_OK) return PS_EIO;
  int rc = with_state
               ? ps_sqlite_state_apply_on(s->writer, &s->apply, spans, nspans, PS_RECORD_ALL_KINDS)
               : PS_OK;
  if (rc == PS_OK) rc = append_records(s, spans, nspans);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->writer, "COMMIT");
  if (rc == PS_OK) return PS_OK;
  ps_error_log("sqlite: append failed: %s", sqlite3_errmsg(s->writer));
  ps_sqlite_exec(s->writer, "ROLLBACK");
  return PS_EIO;
}

/* The writer commits with synchronous=NORMAL (wal_sync.c): a durable append is the
 * transaction and then the log's flush. */
static int sqlite_append(ps_event_store *base, ps_record_span *spans, size_t nspans) {
  sqlite_store *s = (sqlite_store *)base;
  int rc = in_one_transaction(s, spans, nspans, 0);
  ps_stores one = {.events = base};
  return rc == PS_OK ? ps_sqlite_sync(&one) : rc;
}

int ps_sqlite_commit_pending(ps_stores *stores, ps_record_span *spans, size_t nspans) {
  return in_one_transaction((sqlite_store *)stores->events, spans, nspans, 1);
}

/* ---- answers ---- */

static int events_metric(sqlite_store *s, const ps_metric_query *q, ps_metric_result *out) {
  if (ps_funnel_wanted(q)) return ps_sqlite_ga_funnel(s, q, out); /* store/funnel.h */
  if (!strcmp(q->metric, "ltv")) return ps_sqlite_ga_ltv(s, q, out); /* store/ltv.h */
  ps_ga_query g = {.metric = q->metric, .from_day = q->from_ms / DAY_MS,
                   .to_day = (q->to_ms + DAY_MS - 1) / DAY_MS, .today = q->now_ms / DAY_MS,
                   .measure = q->measure, .by = q->by, .prefix = q->prefix, .steps = q->steps};
  /* The filters as a segment (ga_query.h; one dimension alone reads its own rows there). */
  for (size_t i = 0; i < q->nfilters; i++) {
    const char *name = q->filters[i].dimension, *value = q->filters[i].value;
    int dim = ps_ga_dim_index(name);
    if (dim > 0) {
      g.seg_dims[g.nseg] = dim;
      g.seg_values[g.nseg++] = value;
    } else if (!strcmp(name, "first_build")) {
      g.first_build = value;
    } else if (!strcmp(name, "new")) {
      g.new_day = !strcmp(value, "new") ? PS_GA_NEW_DAY : PS_GA_RETURNING_DAY;
    } else {
      return PS_EINVAL;
    }
  }
  if (q->group_by && !strcmp(q->group_by, "first_build")) g.group_dim = PS_GA_GROUP_FIRST_BUILD;
  else if (q->group_by && (g.group_dim = ps_ga_dim_index(q->group_by)) < 0) return PS_EINVAL;
  return ps_ga_query_run(s, q->game_id, &g, out);
}

static int playtime_metric(sqlite_store *s, const ps_metric_query *q, ps_metric_result *out) {
  for (size_t i = 0; i < q->nfilters; i++)
    if (strcmp(q->filters[i].dimension, "platform") && strcmp(q->filters[i].dimension, "portal"))
      return PS_EINVAL;
  if (q->group_by && strcmp(q->group_by, "platform") && strcmp(q->group_by, "portal"))
    return PS_EINVAL;
  ps_session_query p = {.metric = q->metric, .from_ms = q->from_ms, .to_ms = q->to_ms,
                        .interval_ms = q->interval_ms,
                        .platform = ps_metric_query_filter(q, "platform"),
                        .portal = ps_metric_query_filter(q, "portal"),
                        .group_by = q->group_by != NULL,
                        .group_by_portal = q->group_by && strcmp(q->group_by, "portal") == 0};
  return ps_session_query_run(s, q->game_id, &p, q->now_ms, s->msession_timeout_ms, out);
}

static int sqlite_metric(ps_event_store *base, const ps_metric_query *q, ps_metric_result *out) {
  sqlite_store *s = (sqlite_store *)base;
  memset(out, 0, sizeof *out);
  switch (q->source) {
    case PS_SOURCE_EVENTS: return events_metric(s, q, out);
    case PS_SOURCE_PLAYTIME: return playtime_metric(s, q, out);
    case PS_SOURCE_MATCHMAKING:
      if (q->nfilters) return PS_EINVAL;
      return ps_match_query_run(s, q->project_id, q->metric, q->from_ms, q->to_ms,
                                q->interval_ms, q->group_by, out);
  }
  return PS_EINVAL;
}

static int sqlite_live(ps_event_store *base, int64_t game_id, int64_t now_ms, ps_live *out) {
  sqlite_store *s = (sqlite_store *)base;
  ps_session_set set;
  ps_metric_result ccu = {0}, ugc = {0};
  /* Running sessions reach now (half-open), so the last millisecond is the live one. */
  int rc = ps_session_set_load(s, game_id, now_ms - 1, now_ms, now_ms, s->msession_timeout_ms,
                               NULL, NULL, &set);
  if (rc == PS_OK)
    rc = ps_session_metric_compute("ccu", set.items, set.n, now_ms - 1, now_ms, 1, &ccu);
  if (rc == PS_OK)
    rc = ps_session_metric_compute("concurrent_ugc", set.items, set.n, now_ms - 1, now_ms, 1, &ugc);
  if (rc == PS_OK) {
    out->ccu = (int64_t)ccu.whole.total;
    out->concurrent_ugc = (int64_t)ugc.whole.total;
  }
  ps_metric_result_free(&ccu);
  ps_metric_result_free(&ugc);
  ps_session_set_free(&set);
  return rc;
}

typedef struct scan_sessions {
  ps_scan_visitor visit;
  void *ctx;
} scan_sessions;

static int scan_session(const ps_playtime_session *m, void *arg) {
  const scan_sessions *q = arg;
  ps_scan_item item = {.session = m};
  return q->visit(&item, q->ctx);
}

static int sqlite_scan(ps_event_store *base, const ps_scan_query *q, ps_scan_visitor visit,
                       void *ctx) {
  sqlite_store *s = (sqlite_store *)base;
  if (q->kind == PS_SCAN_MSESSIONS) {
    scan_sessions sessions = {visit, ctx};
    return ps_sqlite_msessions_scan(s, q, scan_session, &sessions);
  }
  if (q->kind == PS_SCAN_SO_EVENTS) return ps_sqlite_so_events_scan(s, q, visit, ctx);
  return ps_sqlite_event_log_scan(s, q, visit, ctx);
}

/* ---- the data lifecycle (lifecycle.h) ---- */

static int sqlite_forget_player(ps_event_store *base, int64_t game_id, const char *user_id,
                                ps_forget_report *out) {
  return ps_sqlite_forget_player((sqlite_store *)base, game_id, user_id, out);
}

static int sqlite_drop_raw_before(ps_event_store *base, ps_raw_kind kind, int64_t before_ms,
                                  int64_t *dropped) {
  sqlite_store *s = (sqlite_store *)base;
  return kind == PS_RAW_EVENTS ? ps_sqlite_events_drop_before(s, before_ms, dropped)
                               : ps_sqlite_playtime_drop_before(s, before_ms, dropped);
}

/* ---- upkeep ---- */

static int sqlite_maintain(ps_event_store *base, int64_t now_ms) {
  sqlite_store *s = (sqlite_store *)base;
  int64_t *games = NULL;
  size_t n = 0;
  int rc = ps_sqlite_forget_resume(s);
  if (rc != PS_OK) ps_warn("player deletions: %s (resumed later)", ps_strerror(rc));
  if ((rc = ps_sqlite_event_games(s, &games, &n)) != PS_OK) return rc;
  int playtime = now_ms - s->last_playtime_rollup_ms >= PLAYTIME_ROLLUP_PERIOD_MS;
  int64_t horizon = ps_rollup_horizon(now_ms, s->msession_window_ms, s->msession_timeout_ms);
  for (size_t i = 0; i < n; i++) {
    int one = ps_ga_rollup_catch_up(s, games[i]);
    if (one != PS_OK)
      ps_warn("event rollups: game %lld: %s (tried again later)", (long long)games[i],
              ps_strerror(one));
    if (playtime) {
      int two = ps_rollup_advance(s, games[i], horizon, now_ms, s->msession_timeout_ms);
      if (two != PS_OK)
        ps_warn("playtime rollups: game %lld: %s (tried again later)", (long long)games[i],
                ps_strerror(two));
      one = one != PS_OK ? one : two;
    }
    rc = rc != PS_OK ? rc : one;
  }
  if (playtime) s->last_playtime_rollup_ms = now_ms;
  free(games);
  return rc;
}

/* ---- the handle ---- */

static void sqlite_close(ps_event_store *base) {
  sqlite_store *s = (sqlite_store *)base;
  if (!s) return;
  sqlite3_finalize(s->insert_event);
  sqlite3_finalize(s->insert_rejected);
  sqlite3_finalize(s->trim_rejected);
  sqlite3_finalize(s->list_game);
  sqlite3_finalize(s->ga_user_get);
  sqlite3_finalize(s->msession_start);
  sqlite3_finalize(s->msession_advance);
  ps_sqlite_checkpointer_stop(s);
  ps_sqlite_apply_statements_free(&s->apply);
  ps_sqlite_sessions_close(s);
  ps_sqlite_readers_close(s);
  ps_sqlite_wal_sync_close(s);
  sqlite3_close(s->writer);
  sqlite3_close(s->shared);
  pthread_mutex_destroy(&s->shared_lock);
  pthread_mutex_destroy(&s->rollup_lock);
  pthread_mutex_destroy(&s->forget_lock);
  free(s);
}

extern const ps_event_store_ops ps_sqlite_event_ops;

static int sqlite_open(const char *dir, const ps_store_options *options, ps_event_store **out) {
  char path[4096];
  int rc = ps_sqlite_path(dir, path, sizeof path);
  if (rc != PS_OK) return rc;
  sqlite_store *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->base.ops = &ps_sqlite_event_ops;
  pthread_mutex_init(&s->shared_lock, NULL);
  pthread_mutex_init(&s->rollup_lock, NULL);
  pthread_mutex_init(&s->forget_lock, NULL);
  ps_store_options o = options ? *options : (ps_store_options){0};
  s->rejected_keep = o.rejected_keep_per_game > 0 ? o.rejected_keep_per_game
                                                  : PS_STORE_DEFAULT_REJECTED_KEEP;
  s->msession_timeout_ms = o.msession_timeout_ms > 0 ? o.msession_timeout_ms
                                                     : PS_STORE_DEFAULT_MSESSION_TIMEOUT_MS;
  s->msession_window_ms = o.msession_window_ms > 0 ? o.msession_window_ms
                                                   : PS_STORE_DEFAULT_MSESSION_WINDOW_MS;
  s->wal_fd = -1;
  if ((rc = ps_sqlite_wal_sync_init(s, path)) != PS_OK ||
      (rc = ps_sqlite_connect(path, &s->writer)) != PS_OK ||
      (rc = ps_sqlite_exec(s->writer, "PRAGMA synchronous=NORMAL")) != PS_OK ||
      (rc = ps_sqlite_connect(path, &s->shared)) != PS_OK ||
      (rc = ps_sqlite_readers_open(s, path)) != PS_OK ||
      (rc = ps_sqlite_checkpointer_start(s, path)) != PS_OK)
    goto out;
  if ((rc = ps_sqlite_event_log_prepare(s)) != PS_OK ||
      (rc = ps_sqlite_playtime_prepare(s)) != PS_OK || (rc = ps_sqlite_sessions_open(s)) != PS_OK)
    goto out;
  *out = &s->base;
  s = NULL;
out:
  sqlite_close(s ? &s->base : NULL);
  return rc;
}

int ps_sqlite_stores_open(const char *tool, const char *url, ps_stores *out, sqlite_store **events) {
  const char *why = NULL;
  int rc = ps_stores_open(url, NULL, NULL, out, &why);
  if (rc != PS_OK) {
    fprintf(stderr, "%s: cannot open the store %s: %s\n", tool, url, why ? why : ps_strerror(rc));
    return rc;
  }
  if (out->events->ops != &ps_sqlite_event_ops) {
    fprintf(stderr, "%s: %s is not a SQLite store\n", tool, url);
    ps_stores_close(out);
    return PS_EINVAL;
  }
  *events = (sqlite_store *)out->events;
  return PS_OK;
}

const ps_event_store_ops ps_sqlite_event_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .append = sqlite_append,
    .metric = sqlite_metric,
    .live = sqlite_live,
    .so_session_get = ps_sqlite_so_session_get,
    .so_session_list = ps_sqlite_so_session_list,
    .so_expire = ps_sqlite_so_expire,
    .scan = sqlite_scan,
    .latest = ps_sqlite_latest_events,
    .forget_player = sqlite_forget_player,
    .drop_raw_before = sqlite_drop_raw_before,
    .maintain = sqlite_maintain,
};
