/*
 * ga_funnel.c: see ga_funnel.h. A funnel is counted step after step (store/funnel.c decides how
 * far each user gets), in one read transaction, from one of two sources:
 *
 * The funnels' rollup (ga_funnel_times.h, since schema 11), for the events up to the rollups'
 * mark: per step, the segments of the step's key ranges and the query's days, decoded into
 * the count by user number; a filter keeps the events whose combo matches (ga_combos.h). The
 * events after the mark (what the next pass has not folded yet, usually under a second's) are
 * read raw by row id, once, numbered as the rollup numbers their users (ga_users.idx; a user
 * it has not met yet gets a number after the last), and fed to each step they match.
 * The answer is the raw events' answer: every event time is in the rollup, the mark splits the
 * events exactly, and a number is one user.
 *
 * The raw events, as before the rollup (its indexes, below), when the rollup cannot answer
 * exactly or soon: a filter value that is empty or of 64 bytes or more (combos keep 64 bytes
 * and read "" as absent), or more than TAIL_MAX events after the mark (a store far behind its
 * rollups). For each step one statement reads the game's events of the step's category whose
 * key lies in the step's range and whose day is in the query's, with every filter.
 *
 * What the raw read reads: only the events that may match a step, through two indexes of this
 * file's schema (version 10), never the table:
 *   events_by_agg_key      (game_id, category, agg_key, day) of the events with a digest key:
 *                          a step's events are one range of it (design and resource: the
 *                          event id; progression: "Status|id"), day checked in the index;
 *   events_by_business_id  (game_id, the event_id in the body, day) of business events: their
 *                          digest key is the currency, so the item (itemType:itemId) is
 *                          indexed by expression, parsed from the body once, at insert.
 * Then one table lookup per event read (user, time, filter dimensions). A step's ranges are
 * exactly the keys it covers (funnel.h). What the indexes and the rollup cost ingest, and what
 * each read costs, is in docs/PERFORMANCE.md.
 */
#include "store/sqlite/ga_funnel.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/keymap.h"
#include "store/funnel.h"
#include "store/sqlite/ga_combos.h"
#include "store/sqlite/ga_funnel_times.h"
#include "store/sqlite/ga_rollup.h"

#define DAY_MS 86400000LL

#define BUSINESS_ID PS_SQLITE_BUSINESS_ID

const char ps_sqlite_funnel_schema[] =
    "CREATE INDEX IF NOT EXISTS events_by_agg_key ON events(game_id, category, agg_key, day,"
    "  user_id, client_ts, received_ms) WHERE agg_key IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS events_by_business_id ON events(game_id, " BUSINESS_ID ", day,"
    "  user_id, client_ts, received_ms) WHERE category = 'business';";

#define EVENT_TIME PS_SQLITE_EVENT_TIME

/* The statement of step st over q's filters: the union of one SELECT per range of the step.
 * Parameters: ?1 game, ?2 ?3 the days, ?4.. the filters' values, then lo and hi of each range.
 * PS_OK, PS_EINVAL (a filter on no column) or PS_ENOMEM. */
static int write_step_sql(const ps_funnel_step *st, const ps_metric_query *q, ps_buf *sql) {
  ps_buf filters = {0};
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < q->nfilters; i++) {
    /* the event dimensions are columns of the same name (event_log.c) */
    if (ps_ga_dim_index(q->filters[i].dimension) < 0 || !q->filters[i].value) rc = PS_EINVAL;
    else rc = ps_buf_printf(&filters, " AND %s = ?%zu", q->filters[i].dimension, 4 + i);
  }
  const char *key = st->kind == PS_FUNNEL_BUSINESS ? BUSINESS_ID : "agg_key";
  for (size_t r = 0; rc == PS_OK && r < st->nranges; r++) {
    size_t lo = 4 + q->nfilters + 2 * r;
    rc = ps_buf_printf(sql,
                       "%sSELECT user_id, " EVENT_TIME " FROM events WHERE game_id = ?1"
                       " AND category = '%s' AND %s >= ?%zu AND %s < ?%zu"
                       " AND day >= ?2 AND day < ?3%s",
                       r ? " UNION ALL " : "", ps_funnel_category(st->kind), key, lo, key,
                       lo + 1, filters.data ? filters.data : "");
  }
  ps_buf_free(&filters);
  return rc;
}

typedef struct step_read {
  ps_funnel_count *count;
  size_t step;
} step_read;

static int step_row(sqlite3_stmt *st, void *ctx) {
  step_read *r = ctx;
  return ps_funnel_count_step_event(r->count, r->step, (const char *)sqlite3_column_text(st, 0),
                                    sqlite3_column_int64(st, 1));
}

/* Feeds the events of step k of f to count, from the raw events. */
static int read_raw_step(sqlite3 *db, const ps_funnel *f, size_t k, const ps_metric_query *q,
                     int64_t from_day, int64_t to_day, ps_funnel_count *count) {
  const ps_funnel_step *step = &f->steps[k];
  ps_buf sql = {0};
  sqlite3_stmt *st = NULL;
  int rc = write_step_sql(step, q, &sql);
  if (rc == PS_OK && sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK) {
    ps_error_log("sqlite: funnel: %s", sqlite3_errmsg(db));
    rc = PS_EIO;
  }
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, q->game_id);
    sqlite3_bind_int64(st, 2, from_day);
    sqlite3_bind_int64(st, 3, to_day);
    for (size_t i = 0; i < q->nfilters; i++)
      sqlite3_bind_text(st, (int)(4 + i), q->filters[i].value, -1, SQLITE_STATIC);
    for (size_t r = 0; r < step->nranges; r++) {
      int lo = (int)(4 + q->nfilters + 2 * r);
      sqlite3_bind_text(st, lo, step->ranges[r].lo, -1, SQLITE_STATIC);
      sqlite3_bind_text(st, lo + 1, step->ranges[r].hi, -1, SQLITE_STATIC);
    }
    step_read read = {count, k};
    rc = ps_sqlite_each_row(st, step_row, &read);
  }
  sqlite3_finalize(st);
  ps_buf_free(&sql);
  return rc;
}

/* ---- from the funnels' rollup ---- */

/* Events after the rollups' mark beyond which the rollup is not read: the raw events' indexes
 * answer sooner than a walk over that many rows (a store far behind its rollups, one just
 * upgraded before its first pass). */
#define TAIL_MAX 200000

/* Whether the rollup answers q's filters exactly (ga_funnel_times.h: combos keep a value cut
 * to 64 bytes and read an empty one as absent). */
static int rollup_answers(const ps_metric_query *q) {
  for (size_t i = 0; i < q->nfilters; i++) {
    const char *v = q->filters[i].value;
    if (ps_ga_dim_index(q->filters[i].dimension) < 0 || !v || !*v || strlen(v) >= 64) return 0;
  }
  return 1;
}

/* An event after the mark that matches a step. */
typedef struct tail_event {
  uint32_t user;
  int64_t t_s;
  unsigned steps;
} tail_event;

typedef struct tail_user {
  ps_keymap_entry link; /* name: the id, after the entry */
  uint32_t number;
} tail_user;

typedef struct tail {
  tail_event *v;
  size_t n, cap;
  ps_keymap users;
  sqlite3_stmt *idx_of;
  int64_t game_id;
  uint32_t next_number; /* for users the rollups have not numbered yet */
} tail;

static void free_tail_user(ps_keymap_entry *e) { free(ps_keymap_owner(e, tail_user, link)); }

/* The number of user_id as the rollup numbers it (ga_users.idx), or a new one. */
static int tail_number(tail *t, const char *user_id, uint32_t *number) {
  ps_keymap_entry *found = ps_keymap_find(&t->users, 0, user_id);
  if (found) return *number = ps_keymap_owner(found, tail_user, link)->number, PS_OK;
  size_t len = strlen(user_id) + 1;
  tail_user *u = malloc(sizeof *u + len);
  if (!u) return PS_ENOMEM;
  memcpy(u + 1, user_id, len);
  u->link.scope = 0;
  u->link.name = (char *)(u + 1);
  sqlite3_bind_int64(t->idx_of, 1, t->game_id);
  sqlite3_bind_text(t->idx_of, 2, user_id, -1, SQLITE_STATIC);
  int step = sqlite3_step(t->idx_of);
  if (step == SQLITE_ROW) u->number = (uint32_t)sqlite3_column_int64(t->idx_of, 0);
  else u->number = t->next_number++;
  sqlite3_reset(t->idx_of);
  if (step != SQLITE_ROW && step != SQLITE_DONE) {
    free(u);
    return PS_EIO;
  }
  ps_keymap_insert(&t->users, &u->link);
  *number = u->number;
  return PS_OK;
}

/* Reads the events of q's game after mark on its days, with its filters, that match a step. */
static int read_tail(sqlite3 *db, const ps_funnel *f, const ps_metric_query *q, int64_t mark,
                     int64_t from_day, int64_t to_day, tail *t) {
  ps_buf sql = {0};
  int64_t next = 0;
  int rc = ps_sqlite_query_int64(db, "SELECT max(idx) + 1 FROM ga_users WHERE game_id = ?1",
                                 q->game_id, &next);
  if (rc == PS_ENOTFOUND) rc = PS_OK, next = 0;
  t->next_number = (uint32_t)next;
  t->game_id = q->game_id;
  if (rc == PS_OK && ps_keymap_init(&t->users, 256)) rc = PS_ENOMEM;
  if (rc == PS_OK)
    rc = ps_buf_printf(&sql,
                       "SELECT user_id, " EVENT_TIME ", category, CASE WHEN category = 'business'"
                       " THEN " BUSINESS_ID " ELSE agg_key END FROM events WHERE id > ?1"
                       " AND +game_id = ?2 AND +day >= ?3 AND +day < ?4 AND +category IN"
                       " ('design', 'progression', 'resource', 'business')");
  for (size_t i = 0; rc == PS_OK && i < q->nfilters; i++)
    rc = ps_buf_printf(&sql, " AND +%s = ?%zu", q->filters[i].dimension, 5 + i);
  sqlite3_stmt *st = NULL;
  if (rc == PS_OK && (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK ||
                      sqlite3_prepare_v2(db, "SELECT idx FROM ga_users WHERE game_id = ?1"
                                             " AND user_id = ?2", -1, &t->idx_of, NULL) != SQLITE_OK)) {
    ps_error_log("sqlite: funnel: %s", sqlite3_errmsg(db));
    rc = PS_EIO;
  }
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, mark);
    sqlite3_bind_int64(st, 2, q->game_id);
    sqlite3_bind_int64(st, 3, from_day);
    sqlite3_bind_int64(st, 4, to_day);
    for (size_t i = 0; i < q->nfilters; i++)
      sqlite3_bind_text(st, (int)(5 + i), q->filters[i].value, -1, SQLITE_STATIC);
    int step;
    while (rc == PS_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
      const char *user = (const char *)sqlite3_column_text(st, 0);
      unsigned steps = sqlite3_column_type(st, 3) == SQLITE_TEXT
                           ? ps_funnel_match(f, (const char *)sqlite3_column_text(st, 2),
                                             (const char *)sqlite3_column_text(st, 3))
                           : 0;
      if (!user || !steps) continue;
      if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 256;
        tail_event *grown = realloc(t->v, cap * sizeof *grown);
        if (!grown) {
          rc = PS_ENOMEM;
          break;
        }
        t->v = grown;
        t->cap = cap;
      }
      tail_event *e = &t->v[t->n];
      e->t_s = sqlite3_column_int64(st, 1);
      e->steps = steps;
      rc = tail_number(t, user, &e->user);
      if (rc == PS_OK) t->n++;
    }
    if (rc == PS_OK && step != SQLITE_DONE) rc = PS_EIO;
  }
  sqlite3_finalize(st);
  ps_buf_free(&sql);
  return rc;
}

static void tail_free(tail *t) {
  if (t->users.buckets) ps_keymap_destroy(&t->users, free_tail_user);
  sqlite3_finalize(t->idx_of);
  free(t->v);
}

/* Counts f from the rollup of the events up to the mark and the raw events after it; *fell_back
 * when the mark is too far behind (nothing counted then). */
static int count_from_rollup(sqlite3 *db, const ps_funnel *f, const ps_metric_query *q,
                             int64_t from_day, int64_t to_day, ps_funnel_count *count,
                             int *fell_back) {
  int64_t mark = 0, last_id = 0;
  *fell_back = 0;
  int rc = ps_sqlite_query_int64(db, "SELECT last_event_id FROM ga_mark WHERE game_id = ?1",
                                 q->game_id, &mark);
  if (rc == PS_ENOTFOUND) rc = PS_OK, mark = 0;
  if (rc == PS_OK) rc = ps_sqlite_query_int64(db, "SELECT max(id) FROM events", 0, &last_id);
  if (rc == PS_ENOTFOUND) rc = PS_OK, last_id = 0;
  if (rc == PS_OK && last_id - mark > TAIL_MAX) return *fell_back = 1, PS_OK;
  ps_ga_combo_match combos = {0};
  int dims[PS_METRIC_MAX_FILTERS];
  const char *values[PS_METRIC_MAX_FILTERS];
  for (size_t i = 0; i < q->nfilters; i++) {
    dims[i] = ps_ga_dim_index(q->filters[i].dimension);
    values[i] = q->filters[i].value;
  }
  /* After the mark's read: the combos of this snapshot (those the rollup's rows name) or later. */
  if (rc == PS_OK && q->nfilters)
    rc = ps_ga_combos_matching_on(db, q->game_id, dims, values, q->nfilters, 0, &combos);
  tail t = {0};
  if (rc == PS_OK) rc = read_tail(db, f, q, mark, from_day, to_day, &t);
  /* A filter nobody matches: no combo (group NULL, nids 0), so no event of the rollup. */
  static const int32_t none[1] = {-1};
  for (size_t k = 0; rc == PS_OK && k < f->nsteps && ps_funnel_count_anyone_at(count, k); k++) {
    rc = ps_funnel_times_read_step(db, q->game_id, f, k, from_day, to_day,
                                   q->nfilters ? (combos.group ? combos.group : none) : NULL,
                                   combos.nids, count);
    for (size_t i = 0; rc == PS_OK && i < t.n; i++)
      if (t.v[i].steps >> k & 1u)
        rc = ps_funnel_count_numbered_event(count, k, t.v[i].user, t.v[i].t_s);
    ps_funnel_count_step_end(count, k);
  }
  tail_free(&t);
  ps_ga_combo_match_free(&combos);
  return rc;
}

int ps_sqlite_ga_funnel(sqlite_store *s, const ps_metric_query *q, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  ps_funnel f;
  const char *problem;
  if (q->group_by || ps_funnel_parse(q, &f, &problem) != PS_OK) return PS_EINVAL;
  int64_t from_day = q->from_ms / DAY_MS, to_day = (q->to_ms + DAY_MS - 1) / DAY_MS;
  if (to_day <= from_day) return PS_EINVAL;
  for (size_t i = 0; i < q->nfilters; i++)
    if (ps_ga_dim_index(q->filters[i].dimension) < 0 || !q->filters[i].value) return PS_EINVAL;
  ps_funnel_count *count = ps_funnel_count_create(&f, q->from_ms / 1000, q->to_ms / 1000, from_day,
                                                  (size_t)(to_day - from_day));
  if (!count) return PS_ENOMEM;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  int rc = PS_OK, raw = !rollup_answers(q);
  /* One read transaction: every step sees the same events (and the rollup its mark's). */
  if (ps_sqlite_exec(db, "BEGIN") != PS_OK) rc = PS_EIO;
  if (rc == PS_OK && !raw) rc = count_from_rollup(db, &f, q, from_day, to_day, count, &raw);
  for (size_t k = 0; rc == PS_OK && raw && k < f.nsteps && ps_funnel_count_anyone_at(count, k); k++) {
    rc = read_raw_step(db, &f, k, q, from_day, to_day, count);
    ps_funnel_count_step_end(count, k);
  }
  if (!sqlite3_get_autocommit(db)) ps_sqlite_exec(db, "COMMIT");
  ps_sqlite_reader_release(s, db);
  if (rc == PS_OK) rc = ps_funnel_count_result(count, out);
  ps_funnel_count_destroy(count);
  return rc;
}
