/*
 * playtime_metrics.c: the metrics of metrics sessions (PS_SOURCE_PLAYTIME: ccu,
 * concurrent_ugc, total_players, sessions, avg_playtime, avg_ugc_per_session,
 * session_length_histogram, top_mods; filters and group_by platform / portal) and live(), each
 * computed by SQL that runs in ClickHouse over msession_requests (internal.h).
 *
 * Guarantees: the answers are those of the SQLite store (its session_metrics.h definitions over
 * session_set.h's intervals, which its rollups reproduce exactly), figure for figure:
 * - A session is the GROUP BY (game_id, session_id) of its requests, counted only with its
 *   start (the SQLite store drops requests of an unknown session): player, platform, portal and
 *   mods from the start, started = the start's ts, last = max ts, last_received = max
 *   received_ms. It ends at its end's ts; else, with no request for more than the session
 *   timeout, at its last ts (over); else it is running and reaches max(last, now) (not over).
 * - The sessions of a question are those SQLite loads: started before `to`, and last >= from or
 *   running (no end, a request within the timeout). Groups are one per platform / portal value
 *   of those sessions (cut to 15 bytes, as SQLite keeps them), in byte order.
 * - Peaks (ccu, concurrent_ugc): per bucket, the most distinct players / mod ids active at one
 *   instant of [start, end) intervals (half-open, zero-length ones ignored): the count at the
 *   bucket's first instant and at every later change within it; total = the largest bucket.
 * - Means and playtime are exact integer sums (ms, mod counts) divided once here, exactly as
 *   session_metrics.c divides; top_mods: most played first, then key, at most 10 groups.
 * - Requests shipped twice count once: read with FINAL (and every aggregate used, min, max,
 *   any, countIf > 0 and uniqExact, is unchanged by a duplicate row anyway).
 * - The primary key is used: game_id = G, and the sessions are found from the requests dated
 *   on or after the day of min(from, now - timeout - window) (a request's session_ts lies
 *   within the window of its arrival: options.h), then read whole by session_id.
 *
 * ClickHouse features avoided (the SQL runs on Debian's 18.16.1 and current releases):
 * - window functions (lagInFrame, running counts: 21.x), WITH FILL (19.14), non-equi and ASOF
 *   joins (19.x): concurrency is a sweep written with arrays (groupArray, arraySort with a key
 *   lambda, arrayCumSum, arrayFilter) and ARRAY JOIN;
 * - WITH <subquery> AS name (CTEs: 18.16 takes only WITH <expression>), and GROUP BY ... WITH
 *   ROLLUP (its subtotal rows carry default keys that 18.16, without GROUPING(), cannot tell
 *   from real ones): a row is counted in its bucket and in the total (bucket -1) by arrayJoin,
 *   and in the whole and in its group by arrayJoin of (g, key) pairs;
 * - range(start, end) and arrayFill / arrayMax (not in 18.16: range takes one argument):
 *   arrayMap over range(n) instead;
 * - quantile*, uniq / uniqCombined (approximate): uniqExact only;
 * - LowCardinality, Nullable and Map types, and runningDifference / neighbor (results depend on
 *   blocks; deprecated in current releases);
 * - a plain IN over a Distributed table (refused as double-distributed): GLOBAL IN.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/metric_ids.h"
#include "store/clickhouse/internal.h"

#define MINUTE_MS 60000
#define TOP_MODS 10
#define LENGTH_BUCKETS 5


/* session_length_histogram's groups, in their order, and their upper bounds in seconds. */
static const char *const length_keys[LENGTH_BUCKETS] = {"0-5m", "5-30m", "30-60m", "1-2h", "2h+"};


/* The mean of an exact sum as session_metrics.c computes it (unit 1000: ms to seconds). */
static double mean_of(int64_t sum, int64_t count, double unit) {
  return count ? (double)sum / unit / (double)count : 0;
}

/* ---- the question ---- */

typedef struct question {
  int metric;
  int64_t game_id, from_ms, to_ms, interval_ms, now_ms;
  size_t nbuckets;
  const char *platform, *portal; /* filters, NULL: any */
  const char *group_column;      /* "platform" / "portal" with group_by, else NULL */
} question;

static int question_of(const ps_metric_query *q, question *out) {
  memset(out, 0, sizeof *out);
  out->metric = ps_playtime_metric_of(q->metric);
  for (size_t i = 0; i < q->nfilters; i++)
    if (strcmp(q->filters[i].dimension, "platform") && strcmp(q->filters[i].dimension, "portal"))
      return PS_EINVAL;
  if (q->group_by && strcmp(q->group_by, "platform") && strcmp(q->group_by, "portal"))
    return PS_EINVAL;
  int own_groups = out->metric == M_LENGTH_HISTOGRAM || out->metric == M_TOP_MODS;
  /* The SQLite store's bounds (session_query.c). */
  if (out->metric < 0 || q->interval_ms < MINUTE_MS || q->interval_ms % MINUTE_MS ||
      q->from_ms % q->interval_ms || q->to_ms <= q->from_ms || (q->group_by && own_groups))
    return PS_EINVAL;
  out->game_id = q->game_id;
  out->from_ms = q->from_ms;
  out->to_ms = q->to_ms;
  out->interval_ms = q->interval_ms;
  out->now_ms = q->now_ms;
  out->nbuckets = (size_t)((q->to_ms - q->from_ms + q->interval_ms - 1) / q->interval_ms);
  out->platform = ps_metric_query_filter(q, "platform");
  out->portal = ps_metric_query_filter(q, "portal");
  out->group_column = q->group_by;
  return PS_OK;
}

/* ---- the sessions of a question, as SQL ---- */

/* Appends a subquery with one row per session of game_id that SQLite's session set holds for
 * [from, to) at now (see the top of the file), platform / portal filters applied:
 *   player, platform, portal (cut to 15 bytes), mods Array(Int64) (mod_ids as SQLite parses
 *   them: a piece per comma, a trailing empty piece dropped), start_ms, end_ms, over,
 *   g and k: (0, '') for the whole and, when grouped, also (1, the group's value). */
static int append_sessions(ch_store *s, const question *q, int64_t from_ms, int64_t to_ms,
                           ps_buf *sql) {
  char table[160];
  ps_ch_table(s, "msession_requests", table, sizeof table);
  int64_t now = q->now_ms, timeout = s->msession_timeout_ms;
  char gk[96] = "(0, '')";
  if (q->group_column)
    snprintf(gk, sizeof gk, "arrayJoin([(0, ''), (1, substring(%s, 1, 15))])",
             strcmp(q->group_column, "portal") == 0 ? "s_portal" : "s_platform");
  int64_t since = from_ms < now - timeout - s->msession_window_ms
                      ? from_ms
                      : now - timeout - s->msession_window_ms;
  int rc = ps_buf_printf(
      sql,
      "(SELECT s_player AS player, substring(s_platform, 1, 15) AS platform,"
      " substring(s_portal, 1, 15) AS portal,"
      " arrayMap(x -> toInt64OrZero(x), if(pieces[-1] = '',"
      "   arraySlice(pieces, 1, length(pieces) - 1), pieces)) AS mods,"
      " started AS start_ms,"
      " if(has_end, ended, if(%" PRId64 " - last_received > %" PRId64 ", last,"
      "   greatest(last, toInt64(%" PRId64 ")))) AS end_ms,"
      " has_end OR %" PRId64 " - last_received > %" PRId64 " AS over,"
      " %s AS gk, tupleElement(gk, 1) AS g, tupleElement(gk, 2) AS k"
      " FROM (SELECT anyIf(player, kind = 0) AS s_player, anyIf(platform, kind = 0) AS s_platform,"
      " anyIf(portal, kind = 0) AS s_portal,"
      " splitByChar(',', anyIf(mod_ids, kind = 0)) AS pieces,"
      " minIf(ts_ms, kind = 0) AS started, max(ts_ms) AS last, countIf(kind = 2) > 0 AS has_end,"
      " maxIf(ts_ms, kind = 2) AS ended, max(received_ms) AS last_received"
      " FROM %s FINAL WHERE game_id = %" PRId64 " AND session_id GLOBAL IN (SELECT session_id"
      " FROM %s WHERE game_id = %" PRId64 " AND date >= ",
      now, timeout, now, now, timeout, gk, table, q->game_id, table, q->game_id);
  if (rc == PS_OK) rc = ps_ch_sql_day(sql, since);
  if (rc == PS_OK)
    rc = ps_buf_printf(sql,
                       ") GROUP BY session_id HAVING countIf(kind = 0) > 0 AND started < %" PRId64
                       " AND (last >= %" PRId64 " OR (NOT has_end AND last_received >= %" PRId64
                       "))",
                       to_ms, from_ms, now - timeout);
  const char *filter_columns[] = {"s_platform", "s_portal"};
  const char *filter_values[] = {q->platform, q->portal};
  for (int i = 0; rc == PS_OK && i < 2; i++) {
    if (!filter_values[i]) continue;
    rc = ps_buf_printf(sql, " AND %s = ", filter_columns[i]);
    if (rc == PS_OK) rc = ps_ch_sql_string(sql, filter_values[i], strlen(filter_values[i]));
  }
  if (rc == PS_OK) rc = ps_buf_append_str(sql, "))");
  return rc;
}

/* ---- the SQL of each metric: rows (g, k, bucket, figures...), bucket -1 the total ---- */

/* "intDiv(t - from, interval)": the bucket of instant expression t. */
static int append_bucket_of(ps_buf *sql, const question *q, const char *t) {
  return ps_buf_printf(sql, "intDiv(%s - %" PRId64 ", %" PRId64 ")", t, q->from_ms, q->interval_ms);
}

/* sessions, avg_ugc_per_session: by start instant (count, mods); avg_playtime,
 * session_length_histogram: over sessions by end instant (count, ms, 5 length counts). */
static int instant_sql(ch_store *s, const question *q, ps_buf *sql) {
  int by_end = q->metric == M_AVG_PLAYTIME || q->metric == M_LENGTH_HISTOGRAM;
  const char *t = by_end ? "end_ms" : "start_ms";
  int rc = ps_buf_printf(sql,
                         "SELECT g, k, b, count(), sum(%s),"
                         " countIf(len_s < 300), countIf(len_s >= 300 AND len_s < 1800),"
                         " countIf(len_s >= 1800 AND len_s < 3600),"
                         " countIf(len_s >= 3600 AND len_s < 7200), countIf(len_s >= 7200)"
                         " FROM (SELECT g, k, mods, start_ms, end_ms,"
                         " intDiv(end_ms - start_ms, 1000) AS len_s, arrayJoin([",
                         by_end ? "end_ms - start_ms" : "length(mods)");
  if (rc == PS_OK) rc = append_bucket_of(sql, q, t);
  if (rc == PS_OK) rc = ps_buf_append_str(sql, ", -1]) AS b FROM ");
  if (rc == PS_OK) rc = append_sessions(s, q, q->from_ms, q->to_ms, sql);
  if (rc == PS_OK)
    rc = ps_buf_printf(sql, " WHERE %s%s >= %" PRId64 " AND %s < %" PRId64 ") GROUP BY g, k, b",
                       by_end ? "over AND " : "", t, q->from_ms, t, q->to_ms);
  return rc;
}

/* The buckets [b0, b1] that [s, e) overlaps, clipped to the range, as SQL over lo / hi (the
 * clipped instants): "arrayMap(i -> b0 + i, range(b1 - b0 + 1))". */
static int append_overlapped(ps_buf *sql, const question *q) {
  int rc = ps_buf_append_str(sql, "arrayMap(i -> toInt64(i) + ");
  if (rc == PS_OK) rc = append_bucket_of(sql, q, "lo");
  if (rc == PS_OK) rc = ps_buf_append_str(sql, ", range(toUInt64(");
  if (rc == PS_OK) rc = append_bucket_of(sql, q, "(hi - 1)");
  if (rc == PS_OK) rc = ps_buf_append_str(sql, " - ");
  if (rc == PS_OK) rc = append_bucket_of(sql, q, "lo");
  if (rc == PS_OK) rc = ps_buf_append_str(sql, " + 1)))");
  return rc;
}

/* total_players: distinct players per bucket overlapped (a zero-length session is present at
 * its start instant). */
static int players_sql(ch_store *s, const question *q, ps_buf *sql) {
  int rc = ps_buf_append_str(sql, "SELECT g, k, b, uniqExact(player) FROM (SELECT g, k, player,"
                                  " arrayJoin(arrayConcat(");
  if (rc == PS_OK) rc = append_overlapped(sql, q);
  if (rc == PS_OK)
    rc = ps_buf_printf(sql,
                       ", [-1])) AS b FROM (SELECT g, k, player,"
                       " greatest(start_ms, %" PRId64 ") AS lo,"
                       " least(if(end_ms = start_ms, start_ms + 1, end_ms), %" PRId64 ") AS hi"
                       " FROM ",
                       q->from_ms, q->to_ms);
  if (rc == PS_OK) rc = append_sessions(s, q, q->from_ms, q->to_ms, sql);
  if (rc == PS_OK) rc = ps_buf_append_str(sql, " WHERE hi > lo)) GROUP BY g, k, b");
  return rc;
}

/* top_mods: one row per mod (key) and one for the whole (key ''), whole first, then most
 * played, then key, at most TOP_MODS mods: key, total ms, [bucket...], [ms...]. A session
 * counts each of its mods (as listed) for its time within each bucket. */
static int top_mods_sql(ch_store *s, const question *q, ps_buf *sql) {
  int rc = ps_buf_append_str(
      sql,
      "SELECT key, sum(ms) AS total, groupArray(b), groupArray(ms) FROM (SELECT key, b, sum(ms * w)"
      " AS ms FROM (SELECT tupleElement(kw, 1) AS key, tupleElement(kw, 2) AS w, b,");
  if (rc == PS_OK)
    rc = ps_buf_printf(sql,
                       " least(%" PRId64 " + (b + 1) * %" PRId64 ", hi)"
                       " - greatest(%" PRId64 " + b * %" PRId64 ", lo) AS ms"
                       " FROM (SELECT arrayJoin(arrayConcat(arrayMap(m -> (toString(m), 1), mods),"
                       " [('', length(mods))])) AS kw, lo, hi, arrayJoin(",
                       q->from_ms, q->interval_ms, q->from_ms, q->interval_ms);
  if (rc == PS_OK) rc = append_overlapped(sql, q);
  if (rc == PS_OK)
    rc = ps_buf_printf(sql,
                       ") AS b FROM (SELECT mods, greatest(start_ms, %" PRId64 ") AS lo,"
                       " least(end_ms, %" PRId64 ") AS hi FROM ",
                       q->from_ms, q->to_ms);
  if (rc == PS_OK) rc = append_sessions(s, q, q->from_ms, q->to_ms, sql);
  if (rc == PS_OK)
    rc = ps_buf_printf(sql,
                       " WHERE hi > lo AND length(mods) > 0))) GROUP BY key, b) GROUP BY key"
                       " ORDER BY key = '' DESC, total DESC, key LIMIT %d",
                       TOP_MODS + 1);
  return rc;
}

/* ccu, concurrent_ugc: the sweep. Per id (player, or mod id) and group, its start (+1) and end
 * (-1) events sorted by time, ends first, and kept where the id's count goes 0 -> 1 or 1 -> 0;
 * per group and instant the net change; then, per group, those changes and every bucket's
 * first instant (after the changes at that instant) in time order, summed up: the count of
 * distinct ids active from each; a bucket's peak is the largest count at its instants. */
static int peak_sql(ch_store *s, const question *q, ps_buf *sql) {
  const char *ids = q->metric == M_CCU ? "[player]" : "arrayMap(m -> toString(m), mods)";
  int rc = ps_buf_printf(
      sql,
      "SELECT g, k, bb, max(level) FROM (SELECT g, k, level, intDiv(intDiv(kk, 2) - %" PRId64
      ", %" PRId64 ") AS b FROM (SELECT g, k, arraySort(keys) AS kks,"
      " arrayCumSum(arraySort((x, y) -> y, ds, keys)) AS levels FROM (SELECT g, k,"
      " arrayConcat(groupArray(t * 2),"
      "   arrayMap(i -> toInt64(%" PRId64 " + toInt64(i) * %" PRId64 ") * 2 + 1, range(%zu))) AS keys,"
      " arrayConcat(groupArray(d), arrayMap(i -> toInt64(0), range(%zu))) AS ds"
      " FROM (SELECT g, k, t, sum(d) AS d FROM (SELECT g, k, tupleElement(tr, 1) AS t,"
      " tupleElement(tr, 2) AS d FROM (SELECT g, k,"
      " arraySort(x -> tupleElement(x, 1) * 2 + (tupleElement(x, 2) > 0), groupArray(ev)) AS evs,"
      " arrayCumSum(arrayMap(x -> tupleElement(x, 2), evs)) AS counts,"
      " arrayFilter((x, c) -> (tupleElement(x, 2) > 0 AND c = 1) OR (tupleElement(x, 2) < 0"
      "   AND c = 0), evs, counts) AS changes"
      " FROM (SELECT g, k, arrayJoin(%s) AS id,"
      " arrayJoin([(start_ms, toInt64(1)), (end_ms, toInt64(-1))]) AS ev FROM ",
      q->from_ms, q->interval_ms, q->from_ms, q->interval_ms, q->nbuckets, q->nbuckets, ids);
  if (rc == PS_OK) rc = append_sessions(s, q, q->from_ms, q->to_ms, sql);
  if (rc == PS_OK)
    rc = ps_buf_printf(sql,
                       " WHERE end_ms > start_ms) GROUP BY g, k, id) ARRAY JOIN changes AS tr)"
                       " GROUP BY g, k, t) GROUP BY g, k)) ARRAY JOIN kks AS kk, levels AS level"
                       " WHERE intDiv(kk, 2) >= %" PRId64 " AND intDiv(kk, 2) < %" PRId64
                       ") ARRAY JOIN [b, -1] AS bb GROUP BY g, k, bb",
                       q->from_ms, q->to_ms);
  return rc;
}

/* ---- answers ---- */

static int run(ch_store *s, const ps_buf *sql, ps_buf *answer) {
  if (!sql->data) return PS_ENOMEM;
  return ps_ch_query(s, sql->data, answer);
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}

/* With group_by: one group (zeroed) per group value of the question's sessions, in key order. */
static int add_groups(ch_store *s, const question *q, ps_metric_result *out) {
  ps_buf sql = {0}, answer = {0};
  int rc = ps_buf_append_str(&sql, "SELECT DISTINCT k FROM ");
  if (rc == PS_OK) rc = append_sessions(s, q, q->from_ms, q->to_ms, &sql);
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, " WHERE g = 1");
  if (rc == PS_OK) rc = run(s, &sql, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &answer);
  while (rc == PS_OK && ps_ch_rows_next(&rows))
    if (!ps_metric_result_group(out, ps_ch_field(&rows, 0))) rc = PS_ENOMEM;
  if (rc == PS_OK && out->ngroups > 1) qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}

/* The series of row (g, k) of an answer: the whole, or the group of key k. */
static ps_metric_series *series_of(ps_metric_result *out, const ps_ch_rows *row) {
  if (ps_ch_field_int(row, 0) == 0) return &out->whole;
  const char *key = ps_ch_field(row, 1);
  for (size_t i = 0; i < out->ngroups; i++)
    if (strcmp(out->groups[i].key, key) == 0) return &out->groups[i];
  return NULL; /* not a group of the question's sessions (cannot happen) */
}

/* Sets bucket b (-1: the total) of series to v. */
static void set_value(const ps_metric_result *out, ps_metric_series *series, int64_t b, double v) {
  if (b < 0)
    series->total = v;
  else if ((size_t)b < out->nbuckets)
    series->values[b] = v;
}

/* Reads rows (g, k, bucket, figures...) into the whole, the groups or the histogram's groups. */
static int read_rows(const question *q, ps_buf *answer, ps_metric_result *out) {
  ps_ch_rows rows;
  ps_ch_rows_init(&rows, answer);
  while (ps_ch_rows_next(&rows)) {
    ps_metric_series *series = series_of(out, &rows);
    if (!series) continue;
    int64_t b = ps_ch_field_int(&rows, 2), count = ps_ch_field_int(&rows, 3);
    int64_t sum = ps_ch_field_int(&rows, 4);
    switch ((ps_playtime_metric)q->metric) {
      case M_SESSIONS: set_value(out, series, b, (double)count); break;
      case M_AVG_UGC: set_value(out, series, b, mean_of(sum, count, 1.0)); break;
      case M_AVG_PLAYTIME: set_value(out, series, b, mean_of(sum, count, 1000.0)); break;
      case M_LENGTH_HISTOGRAM:
        set_value(out, series, b, (double)count);
        for (size_t k = 0; k < LENGTH_BUCKETS && k < out->ngroups; k++)
          set_value(out, &out->groups[k], b, (double)ps_ch_field_int(&rows, 5 + k));
        break;
      default: set_value(out, series, b, (double)count); break; /* one figure: peaks, players */
    }
  }
  return PS_OK;
}

/* Parses "[1,2,3]" into at most cap integers; returns how many. */
static size_t int_list(const char *text, int64_t *v, size_t cap) {
  size_t n = 0;
  for (const char *p = text; *p && *p != ']' && n < cap;) {
    if (*p == '[' || *p == ',') {
      p++;
      continue;
    }
    char *end;
    v[n++] = strtoll(p, &end, 10);
    if (end == p) break;
    p = end;
  }
  return n;
}

/* top_mods: rows (key, total ms, [bucket...], [ms...]) in the answer's order. */
static int read_top_mods(ps_buf *answer, ps_metric_result *out) {
  int64_t *pairs = malloc(2 * (out->nbuckets + 1) * sizeof *pairs);
  if (!pairs) return PS_ENOMEM;
  int64_t *buckets = pairs, *ms = pairs + out->nbuckets + 1;
  int rc = PS_OK;
  ps_ch_rows rows;
  ps_ch_rows_init(&rows, answer);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    const char *key = ps_ch_field(&rows, 0);
    ps_metric_series *series = *key ? ps_metric_result_group(out, key) : &out->whole;
    if (!series) {
      rc = PS_ENOMEM;
      break;
    }
    series->total = (double)ps_ch_field_int(&rows, 1) / 1000.0;
    size_t n = int_list(ps_ch_field(&rows, 2), buckets, out->nbuckets + 1);
    size_t m = int_list(ps_ch_field(&rows, 3), ms, out->nbuckets + 1);
    for (size_t i = 0; i < n && i < m; i++)
      set_value(out, series, buckets[i], (double)ms[i] / 1000.0);
  }
  free(pairs);
  return rc;
}

int ps_ch_playtime_metric(ch_store *s, const ps_metric_query *mq, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  question q;
  int rc = question_of(mq, &q);
  if (rc != PS_OK) return rc;
  out->from_ms = q.from_ms;
  out->interval_ms = q.interval_ms;
  out->nbuckets = q.nbuckets;
  if (!(out->whole.values = calloc(q.nbuckets, sizeof *out->whole.values))) return PS_ENOMEM;
  for (size_t k = 0; q.metric == M_LENGTH_HISTOGRAM && k < LENGTH_BUCKETS; k++)
    if (!ps_metric_result_group(out, length_keys[k])) rc = PS_ENOMEM;
  if (rc == PS_OK && q.group_column) rc = add_groups(s, &q, out);
  ps_buf sql = {0}, answer = {0};
  if (rc == PS_OK) {
    switch ((ps_playtime_metric)q.metric) {
      case M_CCU:
      case M_CONCURRENT_UGC: rc = peak_sql(s, &q, &sql); break;
      case M_TOTAL_PLAYERS: rc = players_sql(s, &q, &sql); break;
      case M_TOP_MODS: rc = top_mods_sql(s, &q, &sql); break;
      default: rc = instant_sql(s, &q, &sql); break;
    }
  }
  if (rc == PS_OK) rc = run(s, &sql, &answer);
  if (rc == PS_OK)
    rc = q.metric == M_TOP_MODS ? read_top_mods(&answer, out) : read_rows(&q, &answer, out);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}

/* Live: the sessions active at the instant now - 1 (a running session reaches now, and
 * intervals are half-open), as SQLite's live() computes it over [now - 1, now). */
int ps_ch_playtime_live(ch_store *s, int64_t game_id, int64_t now_ms, ps_live *out) {
  question q = {.metric = M_CCU, .game_id = game_id, .from_ms = now_ms - 1, .to_ms = now_ms,
                .interval_ms = 1, .now_ms = now_ms, .nbuckets = 1};
  ps_buf sql = {0}, answer = {0};
  int rc = ps_buf_append_str(&sql, "SELECT uniqExact(player), uniqExactArray(mods) FROM ");
  if (rc == PS_OK) rc = append_sessions(s, &q, q.from_ms, q.to_ms, &sql);
  if (rc == PS_OK)
    rc = ps_buf_printf(&sql, " WHERE end_ms > start_ms AND start_ms <= %" PRId64
                             " AND end_ms > %" PRId64,
                       now_ms - 1, now_ms - 1);
  if (rc == PS_OK) rc = run(s, &sql, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) {
    ps_ch_rows_init(&rows, &answer);
    int got = ps_ch_rows_next(&rows);
    out->ccu = got ? ps_ch_field_int(&rows, 0) : 0;
    out->concurrent_ugc = got ? ps_ch_field_int(&rows, 1) : 0;
  }
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}
