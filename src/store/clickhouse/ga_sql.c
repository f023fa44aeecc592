/* ga_sql.c: see ga_sql.h. The scope of an analytics-event metric query and the clauses every
 * query of ga_metrics.c and ga_families.c is built from. */
#include "store/clickhouse/ga_sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

/* The event dimensions (insights/catalog.c) are the events table's columns of the same name. */
static const char *const dimension_columns[] = {"platform",  "build",     "os_version", "custom_01",
                                                "custom_02", "custom_03", "country"};

static const char *column_of(const char *dimension) {
  for (size_t i = 0; i < sizeof dimension_columns / sizeof *dimension_columns; i++)
    if (strcmp(dimension_columns[i], dimension) == 0) return dimension_columns[i];
  return NULL;
}

int ps_ch_ga_scope_of(ch_store *s, const ps_metric_query *q, ps_ch_ga_scope *out) {
  memset(out, 0, sizeof *out);
  out->store = s;
  ps_ch_table(s, "events", out->table, sizeof out->table);
  out->game_id = q->game_id;
  /* as the SQLite backend (sqlite/events.c) rounds them: the days touched by [from, to) */
  out->from_day = q->from_ms / PS_CH_GA_DAY_MS;
  out->to_day = (q->to_ms + PS_CH_GA_DAY_MS - 1) / PS_CH_GA_DAY_MS;
  out->today = q->now_ms / PS_CH_GA_DAY_MS ? q->now_ms / PS_CH_GA_DAY_MS : out->to_day;
  if (out->to_day <= out->from_day || (q->nfilters && q->group_by)) return PS_EINVAL;
  for (size_t i = 0; i < q->nfilters; i++) {
    const char *name = q->filters[i].dimension, *value = q->filters[i].value;
    if (!value) return PS_EINVAL;
    if (!strcmp(name, "first_build")) {
      out->first_build = value;
    } else if (!strcmp(name, "new")) {
      out->new_day = !strcmp(value, "new") ? PS_CH_GA_NEW_DAY : PS_CH_GA_RETURNING_DAY;
    } else if ((out->columns[out->nconds] = column_of(name))) {
      out->values[out->nconds++] = value;
    } else {
      return PS_EINVAL;
    }
  }
  if (q->nfilters == 1 && out->nconds == 1) {
    out->mode = PS_CH_GA_FILTERED;
    out->column = out->columns[0];
    out->value = out->values[0];
  } else if (q->nfilters) {
    out->mode = PS_CH_GA_SEGMENT;
  } else if (q->group_by && !strcmp(q->group_by, "first_build")) {
    out->group_first_build = 1;
  } else if (q->group_by) {
    if (!(out->column = column_of(q->group_by))) return PS_EINVAL;
    out->mode = PS_CH_GA_GROUPED;
  }
  return PS_OK;
}

void ps_ch_sql_put(ps_ch_sql *sql, const char *fmt, ...) {
  if (sql->rc != PS_OK) return;
  va_list ap;
  va_start(ap, fmt);
  va_list again;
  va_copy(again, ap);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || ps_buf_reserve(&sql->text, (size_t)n + 1) != PS_OK) {
    sql->rc = PS_ENOMEM;
  } else {
    vsnprintf(sql->text.data + sql->text.len, (size_t)n + 1, fmt, again);
    sql->text.len += (size_t)n;
  }
  va_end(again);
}

void ps_ch_sql_literal(ps_ch_sql *sql, const char *text) {
  if (sql->rc == PS_OK) sql->rc = ps_ch_sql_string(&sql->text, text, strlen(text));
}

void ps_ch_sql_free(ps_ch_sql *sql) {
  ps_buf_free(&sql->text);
  sql->rc = PS_OK;
}

/* The last day a Date holds (2106-02-07): rows.c stores later days' events on it. */

/* toDate('YYYY-MM-DD') of a day number, clamped as rows.c clamps the date column. A string,
 * not toDate(number): current releases read a large number as a unix time. */
static void put_date(ps_ch_sql *sql, int64_t day) {
  char text[11];
  ps_ch_date_text(day, text);
  ps_ch_sql_put(sql, "toDate('%s')", text);
}

/* Appends "substring(column, 1, 64) = value" (the rollups' cut; a value is never ''). */
static void put_equal(ps_ch_sql *sql, const char *column, const char *value) {
  ps_ch_sql_put(sql, "(substring(%s, 1, %d) = ", column, PS_CH_GA_VALUE_BYTES);
  ps_ch_sql_literal(sql, value);
  ps_ch_sql_put(sql, " AND %s != '')", column);
}

/* SEGMENT: the row carries every filtered value (and the first build, when with_build). */
static void put_carries_all(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int with_build) {
  ps_ch_sql_put(sql, "(1");
  for (size_t i = 0; i < sc->nconds; i++) {
    ps_ch_sql_put(sql, " AND ");
    put_equal(sql, sc->columns[i], sc->values[i]);
  }
  if (with_build && sc->first_build) {
    ps_ch_sql_put(sql, " AND ");
    put_equal(sql, "build", sc->first_build);
  }
  ps_ch_sql_put(sql, ")");
}

void ps_ch_ga_dimension(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  if (sc->mode == PS_CH_GA_SEGMENT) {
    ps_ch_sql_put(sql, "toString(toUInt8");
    put_carries_all(sql, sc, 1);
    ps_ch_sql_put(sql, ")");
    return;
  }
  ps_ch_sql_put(sql, "substring(%s, 1, %d)", sc->column, PS_CH_GA_VALUE_BYTES);
}

void ps_ch_ga_value_condition(ps_ch_sql *sql, const ps_ch_ga_scope *sc, const char *expr) {
  if (sc->mode == PS_CH_GA_WHOLE) {
    ps_ch_sql_put(sql, "1");
    return;
  }
  if (sc->mode == PS_CH_GA_SEGMENT) {
    ps_ch_sql_put(sql, "(%s = '1' AND %d)", expr, sc->new_day != PS_CH_GA_RETURNING_DAY);
    return;
  }
  ps_ch_sql_put(sql, "(%s != ''", expr);
  if (sc->mode == PS_CH_GA_FILTERED) {
    ps_ch_sql_put(sql, " AND %s = ", expr);
    ps_ch_sql_literal(sql, sc->value);
  }
  ps_ch_sql_put(sql, ")");
}

/* The WHERE of ps_ch_ga_from over table; folds: add "folds = 1" (the events table's). */
static void from_table(ps_ch_sql *sql, const ps_ch_ga_scope *sc, const char *table, int folds,
                       int64_t from_day, int64_t to_day, int sliced) {
  ps_ch_sql_put(sql, " FROM %s WHERE game_id = %lld AND date >= ", table, (long long)sc->game_id);
  put_date(sql, from_day);
  if (to_day <= PS_CH_LAST_DAY) { /* later days are stored on the last date: no bound then */
    ps_ch_sql_put(sql, " AND date < ");
    put_date(sql, to_day);
  }
  ps_ch_sql_put(sql, "%s AND day >= %lld AND day < %lld", folds ? " AND folds = 1" : "",
                (long long)from_day, (long long)to_day);
  if (sliced && sc->mode == PS_CH_GA_SEGMENT) {
    ps_ch_sql_put(sql, " AND ");
    put_carries_all(sql, sc, 0); /* events carrying every value: the sums' segment */
  } else if (sliced && sc->mode != PS_CH_GA_WHOLE) {
    char expr[64];
    snprintf(expr, sizeof expr, "substring(%s, 1, %d)", sc->column, PS_CH_GA_VALUE_BYTES);
    ps_ch_sql_put(sql, " AND ");
    ps_ch_ga_value_condition(sql, sc, expr);
  }
}

void ps_ch_ga_from(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int64_t from_day, int64_t to_day,
                   int sliced) {
  from_table(sql, sc, sc->table, 1, from_day, to_day, sliced);
}

void ps_ch_ga_from_user_days(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int64_t from_day,
                             int64_t to_day, int sliced) {
  if (sliced && sc->mode == PS_CH_GA_SEGMENT) {
    ps_ch_ga_from_segment(sql, sc, from_day, to_day, 0);
    return;
  }
  char table[256];
  ps_ch_table(sc->store, "user_days", table, sizeof table);
  from_table(sql, sc, table, 0, from_day, to_day, sliced);
}

void ps_ch_ga_from_user_firsts(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int64_t from_day,
                               int64_t to_day) {
  char table[256];
  ps_ch_table(sc->store, "user_firsts", table, sizeof table);
  from_table(sql, sc, table, 0, from_day, to_day, 0);
}

void ps_ch_ga_dedup_open(ps_ch_sql *sql) { ps_ch_sql_put(sql, " FROM (SELECT day, category"); }

void ps_ch_ga_dedup_close(ps_ch_sql *sql) {
  ps_ch_sql_put(sql, " GROUP BY day, category, dedup_key)");
}

int ps_ch_ga_run(const ps_ch_ga_scope *sc, const ps_ch_sql *sql, ps_buf *answer) {
  if (sql->rc != PS_OK) return sql->rc;
  if (!sql->text.data) return PS_EINVAL;
  return ps_ch_query(sc->store, sql->text.data, answer);
}

int ps_ch_ga_result_days(const ps_ch_ga_scope *sc, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  out->from_ms = sc->from_day * PS_CH_GA_DAY_MS;
  out->interval_ms = PS_CH_GA_DAY_MS;
  out->nbuckets = (size_t)(sc->to_day - sc->from_day);
  out->whole.values = calloc(out->nbuckets, sizeof *out->whole.values);
  return out->whole.values ? PS_OK : PS_ENOMEM;
}

/* ---- segments ---- */

/* The first `user` event of each user, over every day (first days and builds need all). */
static void put_firsts(ps_ch_sql *sql, const ps_ch_ga_scope *sc, const char *what) {
  char table[256];
  ps_ch_table(sc->store, "user_firsts", table, sizeof table);
  ps_ch_sql_put(sql, "SELECT user_id, %s", what);
  from_table(sql, sc, table, 0, 0, PS_CH_LAST_DAY + 1, 0);
  ps_ch_sql_put(sql, " GROUP BY user_id");
}

void ps_ch_ga_from_segment(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int64_t from_day,
                           int64_t to_day, int paying) {
  char table[256];
  ps_ch_table(sc->store, paying ? "events" : "user_days", table, sizeof table);
  ps_ch_sql_put(sql, " FROM (SELECT user_id, day");
  from_table(sql, sc, table, paying, from_day, to_day, 0);
  if (paying) ps_ch_sql_put(sql, " AND category = 'business'");
  if (sc->new_day != PS_CH_GA_ANY_DAY) {
    ps_ch_sql_put(sql, " AND (user_id, day) %sIN (",
                  sc->new_day == PS_CH_GA_RETURNING_DAY ? "NOT " : "");
    put_firsts(sql, sc, "min(day)");
    ps_ch_sql_put(sql, ")");
  }
  if (sc->first_build) {
    char first_build[128];
    snprintf(first_build, sizeof first_build,
             "argMin(substring(build, 1, %d), (day, -toInt64(keep))) AS fb", PS_CH_GA_VALUE_BYTES);
    ps_ch_sql_put(sql, " AND user_id IN (SELECT user_id FROM (");
    put_firsts(sql, sc, first_build);
    ps_ch_sql_put(sql, ") WHERE fb = ");
    ps_ch_sql_literal(sql, sc->first_build);
    ps_ch_sql_put(sql, ")");
  }
  ps_ch_sql_put(sql, " GROUP BY user_id, day HAVING 1");
  for (size_t i = 0; i < sc->nconds; i++) {
    ps_ch_sql_put(sql, " AND max");
    put_equal(sql, sc->columns[i], sc->values[i]);
    ps_ch_sql_put(sql, " = 1");
  }
  ps_ch_sql_put(sql, ") WHERE 1");
}
