/*
 * ga_funnel.c: per-user funnels (store/funnel.h) in the ClickHouse event store. One statement
 * reads the distinct (user, time, category, key) of the range's events that may match a step,
 * with every filter of the query, ordered by user and time; store/funnel.c decides which step
 * each matches and how far each user gets, as it does for the SQLite backend
 * (sqlite/ga_funnel.c), so both answer alike.
 *
 * Guarantees: the rows are those SQLite reads: folded events (folds = 1) whose day is in the
 * range (ga_sql.h's clause on the primary key), of a step's category, with a key that starts
 * with a step's key (a superset, as SQLite's ranges; funnel.c filters exactly); the key is
 * the digest's agg_key (has_agg = 1), or for business events the body's event_id (the item,
 * as SQLite's index reads it with json_extract); event time is client_ts when the event has
 * one, else its arrival. Dedup without FINAL (ga_sql.h): copies of an event have equal
 * columns, so DISTINCT keeps one (a copy fed twice would change nothing either: a step needs
 * a later second than the previous one); two events of one user with equal time and key also
 * become one, which the funnel cannot tell apart. Functions used exist in ClickHouse 18.16: startsWith, visitParamExtractString
 * (a top-level string member of a flat object, unescaped), intDiv.
 */
#include "store/clickhouse/ga_funnel.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/funnel.h"

static int known_dimension(const char *name) {
  static const char *const columns[] = {"platform",  "build",     "os_version",
                                        "custom_01", "custom_02", "custom_03"};
  for (size_t i = 0; i < sizeof columns / sizeof *columns; i++)
    if (!strcmp(columns[i], name)) return 1;
  return 0;
}

/* The statement of f over sc's days and q's filters. PS_EINVAL for a filter on no column. */
static int put_funnel(ps_ch_sql *sql, const ps_ch_ga_scope *sc, const ps_metric_query *q,
                      const ps_funnel *f) {
  int business = 0;
  for (size_t s = 0; s < f->nsteps; s++) business |= f->steps[s].kind == PS_FUNNEL_BUSINESS;
  /* the body is read only when a step needs a business item */
  ps_ch_sql_put(sql,
                "SELECT DISTINCT user_id, if(has_client_ts = 1, client_ts, intDiv(received_ms,"
                " 1000)) AS t, category, %s AS k",
                business ? "if(category = 'business', visitParamExtractString(body, 'event_id'),"
                           " agg_key)"
                         : "agg_key");
  ps_ch_ga_from(sql, sc, sc->from_day, sc->to_day, 0);
  ps_ch_sql_put(sql, " AND category IN (");
  for (size_t s = 0; s < f->nsteps; s++) {
    ps_ch_sql_put(sql, s ? ", " : "");
    ps_ch_sql_literal(sql, ps_funnel_category(f->steps[s].kind));
  }
  ps_ch_sql_put(sql, ")");
  /* the dimensions are columns of the same name; absent is '' there, NULL in SQLite */
  for (size_t i = 0; i < q->nfilters; i++) {
    if (!known_dimension(q->filters[i].dimension) || !q->filters[i].value) return PS_EINVAL;
    ps_ch_sql_put(sql, " AND %s != '' AND %s = ", q->filters[i].dimension,
                  q->filters[i].dimension);
    ps_ch_sql_literal(sql, q->filters[i].value);
  }
  ps_ch_sql_put(sql, " AND k != '' AND (");
  for (size_t s = 0; s < f->nsteps; s++) {
    const ps_funnel_step *st = &f->steps[s];
    ps_ch_sql_put(sql, "%s(category = ", s ? " OR " : "");
    ps_ch_sql_literal(sql, ps_funnel_category(st->kind));
    ps_ch_sql_put(sql, "%s AND startsWith(k, ", st->kind == PS_FUNNEL_BUSINESS ? "" : " AND has_agg = 1");
    ps_ch_sql_literal(sql, st->key);
    ps_ch_sql_put(sql, "))");
  }
  ps_ch_sql_put(sql, ") ORDER BY user_id, t");
  return PS_OK;
}

int ps_ch_ga_funnel(const ps_ch_ga_scope *sc, const ps_metric_query *q, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  ps_funnel f;
  const char *problem;
  if (q->group_by || ps_funnel_parse(q, &f, &problem) != PS_OK) return PS_EINVAL;
  ps_ch_sql sql = {0};
  ps_buf reply = {0};
  int rc = put_funnel(&sql, sc, q, &f);
  ps_funnel_count *count =
      rc == PS_OK ? ps_funnel_count_create(&f, q->from_ms / 1000, q->to_ms / 1000, sc->from_day,
                                           (size_t)(sc->to_day - sc->from_day))
                  : NULL;
  if (rc == PS_OK && !count) rc = PS_ENOMEM;
  if (rc == PS_OK) rc = ps_ch_ga_run(sc, &sql, &reply);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &reply);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    unsigned steps = ps_funnel_match(&f, ps_ch_field(&rows, 2), ps_ch_field(&rows, 3));
    rc = ps_funnel_count_event(count, ps_ch_field(&rows, 0), ps_ch_field_int(&rows, 1), steps);
  }
  if (rc == PS_OK) rc = ps_funnel_count_result(count, out);
  ps_funnel_count_destroy(count);
  ps_ch_sql_free(&sql);
  ps_buf_free(&reply);
  return rc;
}
