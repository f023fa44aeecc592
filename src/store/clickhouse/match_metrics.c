/*
 * match_metrics.c: the matchmaking metrics (PS_SOURCE_MATCHMAKING: matches_created,
 * allocation_failure_rate, time_to_allocation_p50 / _p95, players_per_match; group_by region,
 * pool or queue; no filter) in ClickHouse SQL, over the session summaries of so_sessions.h.
 *
 * Guarantees: the answers of the SQLite store (its match_metrics.h), figure for figure:
 * - the sessions are the project's (every environment) created in [from, to), each in the
 *   bucket of its created_ms; buckets without a session are 0;
 * - matches_created: sessions with a match.created; allocation_failure_rate: failed / those
 *   with an outcome (a completion at or after the latest request); time_to_allocation_pNN:
 *   over sessions allocated after a request, the nearest-rank percentile of the seconds
 *   between: the value of rank ceil(NN / 100 * n) (1 at least) of the sorted waits, in SQL with
 *   arraySort and arrayElement; players_per_match: the mean players of matched sessions;
 * - sums and counts are exact integers, divided here as the SQLite store divides them;
 * - groups: region (the latest allocation's region), pool (pool name, else id), queue (queue
 *   name, else id); "unknown" without one; in key order.
 * - The primary key is used: project_id = P, and the sessions are those with an event dated
 *   within the range's days (the event that dates a session is one of them).
 *
 * ClickHouse features avoided (the SQL runs on Debian's 18.16.1 and current releases):
 * - quantile / quantileExact / quantiles (their rank rules are not nearest-rank, and the
 *   approximate ones sample): arraySort(groupArrayIf(...)) and arrayElement at the rank;
 * - GROUP BY ... WITH ROLLUP / WITH TOTALS (subtotal rows with default keys that 18.16, without
 *   GROUPING(), cannot tell from real ones; TOTALS is one row over all groups): a session is
 *   counted in its bucket and in the total (bucket -1) by arrayJoin, and in the whole and its
 *   group by arrayJoin of (g, key) pairs;
 * - window functions, WITH FILL, WITH <subquery> CTEs, Nullable columns.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/metric_ids.h"
#include "store/clickhouse/internal.h"
#include "store/clickhouse/so_sessions.h"



/* The SQL of a session's group key under group_by, NULL when group_by is unknown. */
static const char *group_key_sql(const char *group_by) {
  if (strcmp(group_by, "region") == 0) return "if(region_id = '', 'unknown', region_id)";
  if (strcmp(group_by, "pool") == 0)
    return "if(pool_name != '', pool_name, if(pool_id != '', pool_id, 'unknown'))";
  if (strcmp(group_by, "queue") == 0)
    return "if(queue_name != '', queue_name, if(queue_id != '', queue_id, 'unknown'))";
  return NULL;
}

/* Rows (g, k, bucket, matched, failed, outcomes, players of matched, the percentile's wait in
 * ms, waits): bucket -1 is the total, g 0 the whole and 1 the group k. */
static int metric_sql(ch_store *s, const ps_metric_query *q, int metric, const char *key_sql,
                      ps_buf *sql) {
  double p = metric == WAIT_P95 ? 95 : 50;
  char gk[256] = "(0, '')";
  if (key_sql) snprintf(gk, sizeof gk, "arrayJoin([(0, ''), (1, %s)])", key_sql);
  int rc = ps_buf_printf(
      sql,
      "SELECT g, k, b, countIf(has_mc), countIf(outcome = 2), countIf(outcome > 0),"
      " sumIf(players, has_mc), arraySort(groupArrayIf(wait_ms, wait_ms >= 0)) AS waits,"
      " if(empty(waits), 0, arrayElement(waits, toUInt64(greatest(ceil(%g / 100 * length(waits)),"
      " 1))))"
      " FROM (SELECT match_created_ms >= 0 AS has_mc,"
      " if(completed_ms >= 0 AND completed_ms >= requested_ms,"
      "   if(completion = 'failed', 2, 1), 0) AS outcome,"
      " if(outcome = 1 AND requested_ms >= 0, completed_ms - requested_ms, -1) AS wait_ms,"
      " players, %s AS gk, tupleElement(gk, 1) AS g, tupleElement(gk, 2) AS k,"
      " arrayJoin([intDiv(created_ms - %" PRId64 ", %" PRId64 "), -1]) AS b FROM ",
      p, gk, q->from_ms, q->interval_ms);
  /* the project's sessions with an event within the range's days */
  ps_buf where = {0};
  char table[160];
  ps_ch_table(s, "so_events", table, sizeof table);
  if (rc == PS_OK) rc = ps_buf_append_str(&where, "project_id = ");
  if (rc == PS_OK) rc = ps_ch_sql_string(&where, q->project_id, strlen(q->project_id));
  if (rc == PS_OK)
    rc = ps_buf_printf(&where, " AND (environment_id, session_id) GLOBAL IN (SELECT"
                               " environment_id, session_id FROM %s WHERE project_id = ",
                       table);
  if (rc == PS_OK) rc = ps_ch_sql_string(&where, q->project_id, strlen(q->project_id));
  if (rc == PS_OK) rc = ps_buf_append_str(&where, " AND date >= ");
  if (rc == PS_OK) rc = ps_ch_sql_day(&where, q->from_ms);
  if (rc == PS_OK) rc = ps_buf_append_str(&where, " AND date <= ");
  if (rc == PS_OK) rc = ps_ch_sql_day(&where, q->to_ms - 1);
  if (rc == PS_OK)
    rc = ps_buf_printf(&where, " AND ts_ms >= %" PRId64 " AND ts_ms < %" PRId64 ")", q->from_ms,
                       q->to_ms);
  if (rc == PS_OK) rc = ps_ch_so_summaries_sql(s, where.data, sql);
  if (rc == PS_OK)
    rc = ps_buf_printf(sql,
                       " WHERE created_ms >= %" PRId64 " AND created_ms < %" PRId64
                       ") GROUP BY g, k, b",
                       q->from_ms, q->to_ms);
  ps_buf_free(&where);
  return rc;
}

/* The figure of one answer row, as the SQLite store computes it from the same counts. */
static double value_of(int metric, const ps_ch_rows *row) {
  int64_t matched = ps_ch_field_int(row, 3), failed = ps_ch_field_int(row, 4);
  int64_t outcomes = ps_ch_field_int(row, 5), players = ps_ch_field_int(row, 6);
  switch ((ps_match_metric)metric) {
    case MATCHES: return (double)matched;
    case FAILURE_RATE: return outcomes ? (double)failed / (double)outcomes : 0;
    case PLAYERS: return matched ? (double)players / (double)matched : 0;
    default: return (double)ps_ch_field_int(row, 8) / 1000.0;
  }
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}

int ps_ch_match_metric(ch_store *s, const ps_metric_query *q, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  int metric = ps_match_metric_of(q->metric);
  const char *key_sql = q->group_by ? group_key_sql(q->group_by) : NULL;
  if (metric < 0 || q->nfilters || q->interval_ms <= 0 || q->to_ms <= q->from_ms ||
      (q->group_by && !key_sql) || !q->project_id)
    return PS_EINVAL;
  out->from_ms = q->from_ms;
  out->interval_ms = q->interval_ms;
  out->nbuckets = (size_t)((q->to_ms - q->from_ms + q->interval_ms - 1) / q->interval_ms);
  if (!(out->whole.values = calloc(out->nbuckets, sizeof *out->whole.values))) return PS_ENOMEM;
  ps_buf sql = {0}, answer = {0};
  int rc = metric_sql(s, q, metric, key_sql, &sql);
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &answer);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    ps_metric_series *series = ps_ch_field_int(&rows, 0) == 0
                                   ? &out->whole
                                   : ps_metric_result_group(out, ps_ch_field(&rows, 1));
    if (!series) {
      rc = PS_ENOMEM;
      break;
    }
    int64_t b = ps_ch_field_int(&rows, 2);
    double v = value_of(metric, &rows);
    if (b < 0)
      series->total = v;
    else if ((size_t)b < out->nbuckets)
      series->values[b] = v;
  }
  if (rc == PS_OK && out->ngroups > 1)
    qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}
