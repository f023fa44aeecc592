/*
 * ga_ltv.c: the raw figures of the metric "ltv" (store/ltv.h) in the ClickHouse event store:
 * per cohort day, day since install and currency, the business amounts of the cohort's users.
 *
 * Guarantees: the same answer as sqlite/ga_ltv.c (which joins ga_users), with this backend's
 * definitions of ga_metrics.c: a user's first day and its first dimension values are those of
 * its first `user` event (user_firsts, ties to the first received, as new_users and retention
 * read them), so a cohort is the users new_users counts on its day, filtered the same way
 * (ps_ch_ga_dimension / ps_ch_ga_value_condition on the first event); amounts are the
 * revenue's (business events with an amount: has_agg, agg_key cut to 128 bytes, agg_value),
 * one row per event however many copies are stored (ps_ch_ga_dedup_open), whatever dimension
 * values they carry.
 *
 * No JOIN (18.16, ga_metrics.c): one GROUP BY user_id over the union of the user's first
 * events (u = 1) and its purchases of the days [from, to + days] (u = 0) gives each user's
 * first day and value and an array of (day, currency, amount); cohort users' arrays are then
 * ARRAY JOINed and summed by (first day, day - first day, currency). Like new_users, it reads
 * every user_firsts row of the game before the range's end (a first day needs all of them).
 */
#include <stdio.h>
#include <string.h>

#include "common/errors.h"
#include "store/clickhouse/ga_sql.h"
#include "store/ltv.h"

static void put_ltv(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int days) {
  ps_ch_sql_put(sql,
                "SELECT toInt64(fd), toInt64(tupleElement(b, 1) - fd) AS k,"
                " tupleElement(b, 2) AS cur, toFloat64(sum(tupleElement(b, 3))) FROM (SELECT"
                " user_id, minIf(dd, u = 1) AS fd, argMinIf(v, (dd, -toInt64(kept)), u = 1) AS fv,"
                " groupArrayIf((dd, c, amount), u = 0) AS buys FROM (SELECT user_id,"
                " toInt64(day) AS dd, toUInt8(1) AS u, ");
  /* the first event's value as new_users keys it (put_first_days in ga_metrics.c) */
  if (sc->mode == PS_CH_GA_WHOLE) ps_ch_sql_put(sql, "''");
  else ps_ch_ga_dimension(sql, sc);
  ps_ch_sql_put(sql, " AS v, keep AS kept, '' AS c, toFloat64(0) AS amount");
  ps_ch_ga_from_user_firsts(sql, sc, 0, sc->to_day);
  ps_ch_sql_put(sql, " UNION ALL SELECT uid AS user_id, toInt64(day) AS dd, toUInt8(0) AS u,"
                     " '' AS v, toUInt64(0) AS kept, cu AS c, am AS amount");
  ps_ch_ga_dedup_open(sql);
  ps_ch_sql_put(sql, ", any(user_id) AS uid, any(substring(agg_key, 1, %d)) AS cu,"
                     " any(toFloat64(agg_value)) AS am", PS_CH_GA_KEY_BYTES);
  ps_ch_ga_from(sql, sc, sc->from_day, sc->to_day + days, 0);
  ps_ch_sql_put(sql, " AND category = 'business' AND has_agg = 1");
  ps_ch_ga_dedup_close(sql);
  ps_ch_sql_put(sql, ") GROUP BY user_id HAVING countIf(u = 1) > 0 AND fd >= %lld AND fd < %lld"
                     " AND ", (long long)sc->from_day, (long long)sc->to_day);
  ps_ch_ga_value_condition(sql, sc, "fv");
  ps_ch_sql_put(sql, ") ARRAY JOIN buys AS b WHERE tupleElement(b, 1) >= fd AND"
                     " tupleElement(b, 1) <= fd + %d GROUP BY fd, k, cur", days);
}

int ps_ch_ga_ltv(const ps_ch_ga_scope *sc, int days, ps_metric_result *out) {
  if (sc->mode == PS_CH_GA_GROUPED || sc->new_day != PS_CH_GA_ANY_DAY) return PS_EINVAL;
  int rc = ps_ltv_result_init(out, sc->from_day, sc->to_day, days);
  if (rc != PS_OK) return rc;
  ps_ch_sql sql = {0};
  ps_buf reply = {0};
  put_ltv(&sql, sc, days);
  rc = ps_ch_ga_run(sc, &sql, &reply);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &reply);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    char currency[PS_CH_GA_KEY_BYTES + 1];
    snprintf(currency, sizeof currency, "%s", ps_ch_field(&rows, 2));
    rc = ps_ltv_result_add(out, days, currency, ps_ch_field_int(&rows, 0),
                           ps_ch_field_int(&rows, 1), ps_ch_field_double(&rows, 3));
  }
  ps_ch_sql_free(&sql);
  ps_buf_free(&reply);
  if (rc == PS_OK) ps_ltv_result_finish(out);
  else ps_metric_result_free(out);
  return rc;
}
