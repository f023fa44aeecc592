/*
 * ga_funnel.c: see ga_funnel.h. One statement reads, for each step, the game's events of the
 * step's category whose key lies in the step's range and whose day is in the query's, with
 * every filter; the union comes ordered by user and time, and store/funnel.c decides which
 * step each event matches and how far each user gets.
 *
 * What it reads: only the events that may match a step, through two indexes of this file's
 * schema (version 10), never the table:
 *   events_by_agg_key      (game_id, category, agg_key, day) of the events with a digest key:
 *                          a step's events are one range of it (design and resource: the
 *                          event id; progression: "Status|id"), day checked in the index;
 *   events_by_business_id  (game_id, the event_id in the body, day) of business events: their
 *                          digest key is the currency, so the item (itemType:itemId) is
 *                          indexed by expression, parsed from the body once, at insert.
 * Then one table lookup per event read (user, time, filter dimensions) and a sort of those
 * rows. A step's range is [key, key + "\xF5"): every UTF-8 string that starts with key (no
 * UTF-8 byte is 0xF5 or above), a superset of what the step covers; funnel.c filters exactly.
 * What the indexes cost ingest is in docs/PERFORMANCE.md.
 */
#include "store/sqlite/ga_funnel.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/funnel.h"
#include "store/sqlite/ga_rollup.h"

#define DAY_MS 86400000LL

/* The item of a business event, as the index and the query must both write it (the planner
 * uses an expression index only for the same expression). json_valid: a body that is not JSON
 * (none from the collector) indexes as NULL instead of failing its insert. */
#define BUSINESS_ID "(CASE WHEN json_valid(body) THEN json_extract(body, '$.event_id') END)"

const char ps_sqlite_funnel_schema[] =
    "CREATE INDEX IF NOT EXISTS events_by_agg_key ON events(game_id, category, agg_key, day,"
    "  user_id, client_ts, received_ms) WHERE agg_key IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS events_by_business_id ON events(game_id, " BUSINESS_ID ", day,"
    "  user_id, client_ts, received_ms) WHERE category = 'business';";

/* Event time: client_ts when the event has one, else its arrival (store/funnel.h). */
#define EVENT_TIME "ifnull(client_ts, received_ms / 1000)"

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

/* Feeds the events of step k of f to count. */
static int read_step(sqlite3 *db, const ps_funnel *f, size_t k, const ps_metric_query *q,
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

int ps_sqlite_ga_funnel(sqlite_store *s, const ps_metric_query *q, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  ps_funnel f;
  const char *problem;
  if (q->group_by || ps_funnel_parse(q, &f, &problem) != PS_OK) return PS_EINVAL;
  int64_t from_day = q->from_ms / DAY_MS, to_day = (q->to_ms + DAY_MS - 1) / DAY_MS;
  if (to_day <= from_day) return PS_EINVAL;
  ps_funnel_count *count = ps_funnel_count_create(&f, q->from_ms / 1000, q->to_ms / 1000, from_day,
                                                  (size_t)(to_day - from_day));
  if (!count) return PS_ENOMEM;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  int rc = PS_OK;
  /* One read transaction: every step sees the same events. */
  if (ps_sqlite_exec(db, "BEGIN") != PS_OK) rc = PS_EIO;
  for (size_t k = 0; rc == PS_OK && k < f.nsteps && ps_funnel_count_anyone_at(count, k); k++) {
    rc = read_step(db, &f, k, q, from_day, to_day, count);
    ps_funnel_count_step_end(count, k);
  }
  if (!sqlite3_get_autocommit(db)) ps_sqlite_exec(db, "COMMIT");
  ps_sqlite_reader_release(s, db);
  if (rc == PS_OK) rc = ps_funnel_count_result(count, out);
  ps_funnel_count_destroy(count);
  return rc;
}
