/*
 * ga_ltv.c: see ga_ltv.h. The answer is read from the LTV rollup (ga_ltv_rollup.h), whose
 * cohorts are the users of ga_users by their first day and the dimension values of their
 * first `user` event, the users new_users counts on that day with the same filters:
 *
 *   no filter         the rows of dim 0 over the cohort days, one seek
 *   one filter        the rows of (dimension, value), one seek
 *   several filters   the combination rows (PS_GA_COMBO_DIM) of each combo that matches every
 *                     filter (ga_combos.h), one seek each; so does a filter with an empty
 *                     value, which no combination matches (the rollup keeps no value that is
 *                     empty: such a cohort is empty here)
 *
 * so a read touches, per cohort day, a row per day since install and currency (per matching
 * combination with several filters), whatever the number of purchases. Only events up to the
 * rollups' mark count: a pass writes the rollup with its mark, in one transaction, and the read
 * is one read transaction. Purchases whose raw rows retention dropped still count (the rollup
 * keeps them); a forgotten user's do not (ga_user_forget takes them out).
 * Before the rollup (schema 12) this read joined the business events (their partial index
 * events_business_by_day, which ps_sqlite_ltv_schema still makes: the upgrade to 13 reads it)
 * with ga_users: 0.5-1.3 s at 10 M events (docs/PERFORMANCE.md).
 */
#include "store/sqlite/ga_ltv.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/ltv.h"
#include "store/sqlite/ga_combos.h"
#include "store/sqlite/ga_rollup.h"

#define DAY_MS 86400000LL

const char ps_sqlite_ltv_schema[] =
    "CREATE INDEX IF NOT EXISTS events_business_by_day ON events(game_id, day, user_id,"
    "  agg_key, agg_value) WHERE category = 'business' AND agg_key IS NOT NULL;";

/* What a read adds its rows to. */
typedef struct ltv_read {
  ps_metric_result *out;
  int days;
} ltv_read;

/* A row (first_day, k, currency, amount) into the answer. */
static int add_row(sqlite3_stmt *st, void *ctx) {
  ltv_read *r = ctx;
  const char *currency = (const char *)sqlite3_column_text(st, 2);
  return ps_ltv_result_add(r->out, r->days, currency ? currency : "", sqlite3_column_int64(st, 0),
                           sqlite3_column_int64(st, 1), sqlite3_column_double(st, 3));
}

/* The rows of the cohort days of (dim, value) for each value (n of them), one seek each. */
static int read_values(sqlite3 *db, const ps_metric_query *q, int dim, const char *const *values,
                       size_t n, int64_t from_day, int64_t to_day, ltv_read *r) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT first_day, k, currency, amount FROM ga_ltv_cohorts"
                         " WHERE game_id = ?1 AND dim = ?2 AND value = ?3 AND first_day >= ?4"
                         " AND first_day < ?5 AND k <= ?6",
                         -1, &st, NULL) != SQLITE_OK) {
    ps_error_log("sqlite: ltv: %s", sqlite3_errmsg(db));
    return PS_EIO;
  }
  int rc = PS_OK;
  sqlite3_bind_int64(st, 1, q->game_id);
  sqlite3_bind_int(st, 2, dim);
  sqlite3_bind_int64(st, 4, from_day);
  sqlite3_bind_int64(st, 5, to_day);
  sqlite3_bind_int(st, 6, q->days);
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    sqlite3_bind_text(st, 3, values[i], -1, SQLITE_STATIC);
    rc = ps_sqlite_each_row(st, add_row, r);
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

/* The combination rows of the combos that match every filter (dims[i], values[i]: q's). */
static int read_combos(sqlite3 *db, const ps_metric_query *q, const int *dims,
                       const char *const *values, int64_t from_day, int64_t to_day,
                       ltv_read *r) {
  ps_ga_combo_match combos = {0};
  /* In the read transaction: the combos of its snapshot (those its rows name) or later. */
  int rc = ps_ga_combos_matching_on(db, q->game_id, dims, values, q->nfilters, 0, &combos);
  char (*ids)[24] = NULL;
  const char **names = NULL;
  size_t n = 0;
  if (rc == PS_OK && combos.nids) {
    ids = malloc((size_t)combos.nids * sizeof *ids);
    names = malloc((size_t)combos.nids * sizeof *names);
    if (!ids || !names) rc = PS_ENOMEM;
  }
  for (int64_t id = 0; rc == PS_OK && id < combos.nids; id++)
    if (combos.group[id] >= 0) {
      snprintf(ids[n], sizeof ids[n], "%lld", (long long)id);
      names[n] = ids[n];
      n++;
    }
  if (rc == PS_OK) rc = read_values(db, q, PS_GA_COMBO_DIM, names, n, from_day, to_day, r);
  free(ids);
  free((void *)names);
  ps_ga_combo_match_free(&combos);
  return rc;
}

int ps_sqlite_ga_ltv(sqlite_store *s, const ps_metric_query *q, ps_metric_result *out) {
  int64_t from_day = q->from_ms / DAY_MS, to_day = (q->to_ms + DAY_MS - 1) / DAY_MS;
  memset(out, 0, sizeof *out);
  int rc = q->group_by ? PS_EINVAL : ps_ltv_result_init(out, from_day, to_day, q->days);
  /* each filter's dimension of the cohort's first event (first_build: its build) */
  int dims[PS_METRIC_MAX_FILTERS];
  const char *values[PS_METRIC_MAX_FILTERS];
  for (size_t i = 0; rc == PS_OK && i < q->nfilters; i++) {
    const char *name = q->filters[i].dimension;
    dims[i] = ps_ga_dim_index(strcmp(name, "first_build") ? name : "build");
    values[i] = q->filters[i].value;
    if (dims[i] < 0 || !values[i]) rc = PS_EINVAL; /* new: every cohort user is new */
  }
  if (rc != PS_OK) {
    ps_metric_result_free(out);
    return rc;
  }
  ltv_read read = {out, q->days};
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  rc = ps_sqlite_exec(db, "BEGIN");
  if (rc == PS_OK && q->nfilters == 0)
    rc = read_values(db, q, 0, (const char *[]){""}, 1, from_day, to_day, &read);
  else if (rc == PS_OK && q->nfilters == 1 && values[0][0])
    rc = read_values(db, q, dims[0], values, 1, from_day, to_day, &read);
  else if (rc == PS_OK)
    rc = read_combos(db, q, dims, values, from_day, to_day, &read);
  if (!sqlite3_get_autocommit(db)) ps_sqlite_exec(db, "COMMIT");
  ps_sqlite_reader_release(s, db);
  if (rc == PS_OK) ps_ltv_result_finish(out);
  else ps_metric_result_free(out);
  return rc;
}
