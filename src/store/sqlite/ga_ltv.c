/*
 * ga_ltv.c: see ga_ltv.h. One statement joins the game's business events to the rollups'
 * users (ga_users: the day of each user's first `user` event and that event's dimension
 * values, which the "new" bitmaps of new_users and retention mirror), so a cohort here is the
 * users new_users counts on its day, with the same filters:
 *
 *   events (business, with an amount: the rollups' revenue, agg_key = currency, agg_value =
 *   amount; day within [from, to + days]) CROSS JOIN ga_users by (game_id, user_id), kept when
 *   the user's first day is in [from, to), each filtered dimension of its first event equals
 *   the value (first_build: its build), and the event's day is 0..days after the first day.
 *
 * Only events up to the rollups' mark count: the cohorts (ga_users, the bitmaps) hold exactly
 * those, so an answer never has purchases of users it does not count yet. The events are read
 * from this file's index alone, events_business_by_day (game, day, user, currency, amount of
 * the business events with an amount: a partial index, so only business events pay for it at
 * ingest), and each user by the primary key of ga_users. Without it (through
 * events_by_agg_key and a table lookup per event for the amount) the read took 4 times as
 * long (docs/PERFORMANCE.md). Raw events that retention dropped no longer add to it (the
 * rollups' revenue keeps them; LTV needs each purchase's user).
 */
#include "store/sqlite/ga_ltv.h"

#include <sqlite3.h>
#include <string.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/ltv.h"
#include "store/sqlite/ga_rollup.h"

#define DAY_MS 86400000LL

const char ps_sqlite_ltv_schema[] =
    "CREATE INDEX IF NOT EXISTS events_business_by_day ON events(game_id, day, user_id,"
    "  agg_key, agg_value) WHERE category = 'business' AND agg_key IS NOT NULL;";

/* The statement over q's filters: ?1 game, ?2 ?3 the cohort days, ?4 days, ?5.. the values.
 * PS_OK, PS_EINVAL (a filter the cohort cannot take) or PS_ENOMEM. */
static int write_sql(const ps_metric_query *q, ps_buf *sql) {
  int rc = ps_buf_append_str(
      sql,
      "SELECT u.first_day, e.day - u.first_day, e.agg_key, sum(e.agg_value)"
      " FROM events e CROSS JOIN ga_users u"
      " WHERE e.game_id = ?1 AND e.category = 'business' AND e.agg_key IS NOT NULL"
      " AND e.day >= ?2 AND e.day < ?3 + ?4"
      " AND e.id <= ifnull((SELECT last_event_id FROM ga_mark WHERE game_id = ?1), 0)"
      " AND u.game_id = e.game_id AND u.user_id = e.user_id"
      " AND u.first_day >= ?2 AND u.first_day < ?3"
      " AND e.day >= u.first_day AND e.day <= u.first_day + ?4");
  for (size_t i = 0; rc == PS_OK && i < q->nfilters; i++) {
    const char *name = q->filters[i].dimension;
    int dim = ps_ga_dim_index(strcmp(name, "first_build") ? name : "build");
    if (dim < 0 || !q->filters[i].value) return PS_EINVAL; /* new: every cohort user is new */
    rc = ps_buf_printf(sql, " AND u.dim%d = ?%zu", dim, 5 + i);
  }
  return rc == PS_OK ? ps_buf_append_str(sql, " GROUP BY 1, 2, 3") : rc;
}

typedef struct ltv_read {
  ps_metric_result *out;
  int days;
} ltv_read;

static int ltv_row(sqlite3_stmt *st, void *ctx) {
  ltv_read *r = ctx;
  const char *currency = (const char *)sqlite3_column_text(st, 2);
  return ps_ltv_result_add(r->out, r->days, currency ? currency : "", sqlite3_column_int64(st, 0),
                           sqlite3_column_int64(st, 1), sqlite3_column_double(st, 3));
}

int ps_sqlite_ga_ltv(sqlite_store *s, const ps_metric_query *q, ps_metric_result *out) {
  int64_t from_day = q->from_ms / DAY_MS, to_day = (q->to_ms + DAY_MS - 1) / DAY_MS;
  int rc = q->group_by ? PS_EINVAL : ps_ltv_result_init(out, from_day, to_day, q->days);
  ps_buf sql = {0};
  if (rc == PS_OK) rc = write_sql(q, &sql);
  if (rc != PS_OK) {
    ps_buf_free(&sql);
    ps_metric_result_free(out);
    return rc;
  }
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK) {
    ps_error_log("sqlite: ltv: %s", sqlite3_errmsg(db));
    rc = PS_EIO;
  }
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, q->game_id);
    sqlite3_bind_int64(st, 2, from_day);
    sqlite3_bind_int64(st, 3, to_day);
    sqlite3_bind_int64(st, 4, q->days);
    for (size_t i = 0; i < q->nfilters; i++)
      sqlite3_bind_text(st, (int)(5 + i), q->filters[i].value, -1, SQLITE_STATIC);
    ltv_read read = {out, q->days};
    rc = ps_sqlite_each_row(st, ltv_row, &read);
  }
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  ps_buf_free(&sql);
  if (rc == PS_OK) ps_ltv_result_finish(out);
  else ps_metric_result_free(out);
  return rc;
}
