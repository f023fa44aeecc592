/*
 * ga_metrics.c: the metrics of analytics events (PS_SOURCE_EVENTS) of the ClickHouse event
 * store, in SQL over the events table (internal.h): dau, wau, mau, new_users, sessions,
 * avg_session_length, sessions_per_user, revenue, paying_users, arpdau, arppu, conversion and
 * retention here; the families (progression, funnel, resources, design, errors, ads) in
 * ga_families.c; the scope and WHERE clause both use in ga_sql.c.
 *
 * Guarantees: every answer equals the SQLite backend's (sqlite/ga_query.c over the rollups of
 * sqlite/ga_rollup.c), which defines them:
 * - an event counts when the rollups fold it (folds = 1), on its digest's day;
 * - active users of a day: distinct user_id with any event that day; paying: with a business
 *   event; sessions: `user` events; length and revenue: session_end and business events that
 *   carry one (has_agg); revenue groups per currency (first 128 bytes), ordered by the first
 *   day they appear, then key (the order the SQLite rollup rows are read in);
 * - a user's first day is the day of its first `user` event (the earliest day; on that day,
 *   the first received), and its dimensions are that event's: new_users and the retention
 *   cohorts filter and group by those, active days by the day's own events;
 * - wau / mau: distinct active users of the 7 / 30 days ending with the bucket's;
 * - a filter or group_by reads the first 64 bytes of the dimension, never an absent one; the
 *   groups of a group_by are the values seen from 29 days before the range to 31 after it
 *   (the days the SQLite backend loads), in key order, and the whole is the query without it;
 *   beside filters, each group is the filters and its value (grouped_segment);
 * - totals and ratios are formed from the per-day figures in C exactly as SQLite forms them.
 * The aggregation runs in ClickHouse: each metric is one statement (a UNION ALL of its parts)
 * answering one row per slice and day, never a row per event.
 *
 * Dedup: no FINAL (a single-threaded read on 18.16): each part takes only what the copies of
 * an event cannot change, as ga_sql.h's "Dedup without FINAL" lists: distinct users, days and
 * values, min / argMin; counts of events as uniqExact(dedup_key) per day and category; sums
 * over one row per event (ps_ch_ga_dedup_open), of the few categories summed. On a Distributed
 * table the same holds: copies of an event share user_id, hence a shard.
 *
 * The SQL runs on ClickHouse 18.16 (Debian's) and on current releases. Avoided, and why:
 *   window functions (lagInFrame, OVER ...)  not in 18.16: a rolling window (wau, mau) is a
 *        sum of +1/-1 steps per user (an active day opens the user's coverage, the window's
 *        end or the user's next active day closes it), summed up to each bucket;
 *   groupBitmap, bitmap*                      not in 18.16 (19.x): exact distinct counts are
 *        uniqExact (never uniq / uniqCombined, which estimate);
 *   WITH FILL, WITH ROLLUP / CUBE             not in 18.16: missing days are zeros in C, the
 *        whole of a group_by is its own part of the statement;
 *   arrayFill, arrayFlatten, arrayFold, range(from, to)  not in 18.16 (range takes one
 *        argument there): buckets are arrayMap(i -> i + from, range(n));
 *   JOIN                                       18.16 wants ANY/ALL and a right side in memory:
 *        retention groups by user instead (first day and active days in one pass);
 *   toDate(number)                             current releases read a large number as a unix
 *        time: dates are written as toDate('YYYY-MM-DD');
 *   `t.1` tuple access, implicit supertypes in arrayConcat / UNION ALL   spelled out instead
 *        (tupleElement, toInt64 / toFloat64 on every column), which both versions accept;
 *   PREWHERE with FINAL                        unreliable in 18.16: plain WHERE.
 * Known limits: a group_by beside filters asks one statement per group (grouped_segment), so
 * it costs the filtered query times the groups; new_users and retention read every
 * user_firsts row of the game before the range's end (a first day needs all of them: a row per user, day and dimension values with a
 * `user` event, kept when retention drops raw events), so their date bound is open below; the first
 * of a user's `user` events on its first day is the one with the largest keep (the first
 * received; within one millisecond the first appended by one node: two nodes receiving in
 * the same millisecond may order them otherwise than one SQLite store would); sums of fractional
 * values may differ in the last bit where the addition order differs (amounts, lengths and
 * attempts are integers: exact).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/clickhouse/ga_sql.h"
#include "store/funnel.h"

#define BEFORE 29 /* days before the range a group_by's groups come from (mau's window) */
#define AFTER 31  /* days after it (retention's) */
#define RETENTION_DAYS 30

/* The parts a daily metric reads. */
enum {
  NEED_DAU = 1 << 0,      /* per day: distinct active users */
  NEED_PAYING = 1 << 1,   /* per day: distinct paying users */
  NEED_SESSIONS = 1 << 2, /* per day: `user` events */
  NEED_LENGTH = 1 << 3,   /* per day: session_end lengths, count and sum */
  NEED_REVENUE = 1 << 4,  /* per day: business amounts */
  NEED_USERS = 1 << 5,    /* over the range: distinct active users */
  NEED_PAYERS = 1 << 9,   /* over the range: distinct paying users */
  NEED_WEEK = 1 << 6,     /* per day: distinct active users of the 7 days ending with it */
  NEED_MONTH = 1 << 7,    /* ... of the 30 days */
  NEED_NEW = 1 << 8,      /* per day: users whose first day it is */
};

static const struct {
  const char *name;
  unsigned needs;
} daily_metrics[] = {
    {"dau", NEED_DAU | NEED_USERS},
    {"wau", NEED_WEEK | NEED_USERS},
    {"mau", NEED_MONTH | NEED_USERS},
    {"new_users", NEED_NEW},
    {"sessions", NEED_SESSIONS},
    {"avg_session_length", NEED_LENGTH},
    {"sessions_per_user", NEED_SESSIONS | NEED_DAU | NEED_USERS},
    {"revenue", NEED_REVENUE},
    {"paying_users", NEED_PAYING | NEED_PAYERS},
    {"arpdau", NEED_REVENUE | NEED_DAU},
    {"arppu", NEED_REVENUE | NEED_PAYING | NEED_PAYERS},
    {"conversion", NEED_PAYING | NEED_DAU | NEED_USERS | NEED_PAYERS},
};

/* ---- the statement ---- */

/* Every part answers: tag, slice key, day, then six figures (unused ones 0):
 *   'd' day:    dau, paying, sessions, length count, length sum, revenue
 *   't' total:  distinct active, distinct paying (day -1)
 *   'g' group:  a group_by value seen (day -1)
 *   'w' window: distinct active users of the window ending with the day
 *   'n' new:    users whose first day it is
 *   'c' currency (key): revenue of the day */
#define FIGURES 6

/* n unused figures */
static void put_zeros(ps_ch_sql *sql, int n) {
  for (int i = 0; i < n; i++) ps_ch_sql_put(sql, ", toFloat64(0)");
}

/* The slice key of a part: the dimension when grouped, else ''. */
static void put_key(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  if (sc->mode == PS_CH_GA_GROUPED) ps_ch_ga_dimension(sql, sc);
  else ps_ch_sql_put(sql, "''");
}

static void put_union(ps_ch_sql *sql) {
  if (sql->text.len) ps_ch_sql_put(sql, " UNION ALL ");
}

/* Without distinct active users, a part reads only the categories its figures count: the
 * primary key (game_id, date, category) then skips the other events' granules. */
static void put_categories(ps_ch_sql *sql, unsigned needs) {
  if (needs & (NEED_DAU | NEED_USERS)) return;
  const char *sep = " AND category IN (";
  if (needs & (NEED_PAYING | NEED_PAYERS | NEED_REVENUE)) ps_ch_sql_put(sql, "%s'business'", sep), sep = ", ";
  if (needs & NEED_SESSIONS) ps_ch_sql_put(sql, "%s'user'", sep), sep = ", ";
  if (needs & NEED_LENGTH) ps_ch_sql_put(sql, "%s'session_end'", sep), sep = ", ";
  if (strcmp(sep, ", ") == 0) ps_ch_sql_put(sql, ")");
}

/* The figures of a 'd' row. Counted ones read every stored copy: distinct users, and events
 * counted as distinct dedup_key (the group fixes day, the condition category: one event per
 * key). Summed ones read one row per event (v, ps_ch_ga_dedup_open's any(agg_value)); the
 * count of lengths is taken there too, so avg_session_length reads its events once. */
static const struct {
  unsigned need;
  int summed;
  const char *expr;
} figures[FIGURES] = {
    {NEED_DAU, 0, "uniqExact(user_id)"},
    {NEED_PAYING, 0, "uniqExactIf(user_id, category = 'business')"},
    {NEED_SESSIONS, 0, "uniqExactIf(dedup_key, category = 'user')"},
    {NEED_LENGTH, 1, "countIf(category = 'session_end')"},
    {NEED_LENGTH, 1, "sumIf(v, category = 'session_end')"},
    {NEED_REVENUE, 1, "sumIf(v, category = 'business')"},
};

/* One part of the day rows: the counted figures (summed = 0) or the summed ones (1), the
 * others 0; read_row adds the two parts' rows of a day. */
static void put_day_figures(ps_ch_sql *sql, const ps_ch_ga_scope *sc, unsigned needs,
                            int summed) {
  put_union(sql);
  ps_ch_sql_put(sql, "SELECT 'd', ");
  if (summed) {
    ps_ch_sql_put(sql, "k"); /* the inner query's */
  } else {
    put_key(sql, sc);
    ps_ch_sql_put(sql, " AS k");
  }
  ps_ch_sql_put(sql, ", toInt64(day) AS d");
  for (int i = 0; i < FIGURES; i++)
    ps_ch_sql_put(sql, ", toFloat64(%s)",
                  figures[i].need & needs && figures[i].summed == summed ? figures[i].expr : "0");
  if (summed) {
    ps_ch_ga_dedup_open(sql);
    ps_ch_sql_put(sql, ", any(");
    put_key(sql, sc);
    ps_ch_sql_put(sql, ") AS k, any(agg_value) AS v");
  }
  ps_ch_ga_from(sql, sc, sc->from_day, sc->to_day, 1);
  put_categories(sql, summed ? needs & (NEED_LENGTH | NEED_REVENUE) : needs);
  if (summed) {
    ps_ch_sql_put(sql, " AND has_agg = 1");
    ps_ch_ga_dedup_close(sql);
  }
  ps_ch_sql_put(sql, " GROUP BY k, d");
}

/* Active users of each day, from user_days (a row per user, day and dimension values, not
 * per event); distinct users, so copies add nothing. The other figures are 0. */
static void put_dau_part(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  put_union(sql);
  ps_ch_sql_put(sql, "SELECT 'd', ");
  put_key(sql, sc);
  ps_ch_sql_put(sql, " AS k, toInt64(day) AS d, toFloat64(uniqExact(user_id))");
  put_zeros(sql, FIGURES - 1);
  ps_ch_ga_from_user_days(sql, sc, sc->from_day, sc->to_day, 1);
  ps_ch_sql_put(sql, " GROUP BY k, d");
}

/* SEGMENT: paying users of each day, the (user, day) pairs of ps_ch_ga_from_segment over
 * business events (a business event of the day per filtered value). */
static void put_segment_paying_part(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  put_union(sql);
  ps_ch_sql_put(sql, "SELECT 'd', '' AS k, toInt64(day) AS d, toFloat64(0),"
                     " toFloat64(uniqExact(user_id))");
  put_zeros(sql, FIGURES - 2);
  ps_ch_ga_from_segment(sql, sc, sc->from_day, sc->to_day, 1);
  ps_ch_sql_put(sql, " GROUP BY k, d");
}

static void put_day_part(ps_ch_sql *sql, const ps_ch_ga_scope *sc, unsigned needs) {
  if (sc->mode == PS_CH_GA_SEGMENT && (needs & NEED_PAYING)) {
    /* paying users by (user, day) as the segment's users; the events' counts as sliced */
    put_segment_paying_part(sql, sc);
    needs &= ~(unsigned)NEED_PAYING;
  }
  if (needs & NEED_DAU) put_dau_part(sql, sc);
  /* without the users' figures, which user_days answers: the rest is bounded by category */
  if (needs & (NEED_PAYING | NEED_SESSIONS))
    put_day_figures(sql, sc, needs & ~(NEED_DAU | NEED_USERS), 0);
  if (needs & (NEED_LENGTH | NEED_REVENUE)) put_day_figures(sql, sc, needs, 1);
}

/* Distinct users of the range (from user_days) and distinct payers (from business events):
 * copies of an event share user_id and category, so no dedup is needed. Two parts, each 0
 * in the other's figure. */
static void put_total(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int payers) {
  put_union(sql);
  ps_ch_sql_put(sql, "SELECT 't', ");
  put_key(sql, sc);
  ps_ch_sql_put(sql, " AS k, toInt64(-1), %s",
                payers ? "toFloat64(0), toFloat64(uniqExact(user_id))"
                       : "toFloat64(uniqExact(user_id)), toFloat64(0)");
  put_zeros(sql, FIGURES - 2);
  if (payers && sc->mode == PS_CH_GA_SEGMENT) {
    ps_ch_ga_from_segment(sql, sc, sc->from_day, sc->to_day, 1);
  } else if (payers) {
    ps_ch_ga_from(sql, sc, sc->from_day, sc->to_day, 1);
    put_categories(sql, NEED_PAYERS);
  } else {
    ps_ch_ga_from_user_days(sql, sc, sc->from_day, sc->to_day, 1);
  }
  ps_ch_sql_put(sql, " GROUP BY k");
}

static void put_total_part(ps_ch_sql *sql, const ps_ch_ga_scope *sc, unsigned needs) {
  if (needs & NEED_USERS) put_total(sql, sc, 0);
  if (needs & NEED_PAYERS) put_total(sql, sc, 1);
}

/* The set of a dimension's values seen (from user_days, which holds every folded event's
 * values): copies add none, so no dedup is needed. */
static void put_group_part(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  put_union(sql);
  ps_ch_sql_put(sql, "SELECT 'g', ");
  put_key(sql, sc);
  ps_ch_sql_put(sql, " AS k, toInt64(-1)");
  put_zeros(sql, FIGURES);
  ps_ch_ga_from_user_days(sql, sc, sc->from_day - BEFORE, sc->to_day + AFTER, 1);
  ps_ch_sql_put(sql, " GROUP BY k");
}

/* Distinct users active in the `width` days ending with each day of the range, without a
 * window function: a user's sorted active days each add +1 on the day and -1 when its
 * coverage ends (width days later, or at the user's next active day if sooner); a day's
 * count is the sum of the steps up to it. A user's days are a set (groupUniqArray): copies of
 * an event add none, so no dedup is needed. */
static void put_window_part(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int width) {
  put_union(sql);
  ps_ch_sql_put(sql,
                "SELECT 'w', k, toInt64(b), toFloat64(sum(delta))");
  put_zeros(sql, FIGURES - 1);
  ps_ch_sql_put(sql,
                " FROM (SELECT k, tupleElement(step, 1) AS pos, sum(tupleElement(step, 2)) AS delta"
                " FROM (SELECT k, arrayJoin(arrayConcat("
                "arrayMap(i -> (toInt64(days[i]), toInt64(1)), arrayEnumerate(days)),"
                " arrayMap(i -> (toInt64(if(i < length(days), least(days[i] + %d, days[i + 1]),"
                " days[i] + %d)), toInt64(-1)), arrayEnumerate(days)))) AS step"
                " FROM (SELECT ",
                width, width);
  put_key(sql, sc);
  ps_ch_sql_put(sql, " AS k, user_id, arraySort(groupUniqArray(day)) AS days");
  ps_ch_ga_from_user_days(sql, sc, sc->from_day - (width - 1), sc->to_day, 1);
  ps_ch_sql_put(sql,
                " GROUP BY k, user_id)) GROUP BY k, pos)"
                " ARRAY JOIN arrayMap(i -> toInt64(i + %lld), range(%lld)) AS b"
                " WHERE pos <= b GROUP BY k, b",
                (long long)sc->from_day, (long long)(sc->to_day - sc->from_day));
}

/* The first `user` event of every user who has one before the range's end: its day (fd) and,
 * when the scope has a dimension, that event's value of it (fv). Ties on the day go to the
 * first received (keep, rows.c, is larger for an earlier arrival, and for the earlier append
 * within a millisecond). Open below: a first day needs every earlier `user` event. No dedup is
 * needed: a copy has the day and dimensions of the event it copies and a smaller keep, so
 * min(day) and argMin stay (a copy with the same keep is the same row shipped twice). */
static void put_first_days(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  ps_ch_sql_put(sql, "SELECT user_id, min(day) AS fd, argMin(");
  if (sc->mode == PS_CH_GA_WHOLE) ps_ch_sql_put(sql, "''");
  else ps_ch_ga_dimension(sql, sc);
  ps_ch_sql_put(sql, ", (day, -toInt64(keep))) AS fv");
  ps_ch_ga_from_user_firsts(sql, sc, 0, sc->to_day);
  ps_ch_sql_put(sql, " GROUP BY user_id");
}

static void put_new_part(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  put_union(sql);
  ps_ch_sql_put(sql, "SELECT 'n', %s AS k, toInt64(fd), toFloat64(count())",
                sc->mode == PS_CH_GA_GROUPED ? "fv" : "''");
  put_zeros(sql, FIGURES - 1);
  ps_ch_sql_put(sql, " FROM (");
  put_first_days(sql, sc);
  ps_ch_sql_put(sql, " HAVING fd >= %lld) WHERE ", (long long)sc->from_day);
  ps_ch_ga_value_condition(sql, sc, "fv");
  ps_ch_sql_put(sql, " GROUP BY k, fd");
}

/* A sum: over one row per business event (ps_ch_ga_dedup_open). */
static void put_currency_part(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  put_union(sql);
  ps_ch_sql_put(sql, "SELECT 'c', k, toInt64(day) AS d, toFloat64(sum(v))");
  put_zeros(sql, FIGURES - 1);
  ps_ch_ga_dedup_open(sql);
  ps_ch_sql_put(sql, ", any(substring(agg_key, 1, %d)) AS k, any(agg_value) AS v",
                PS_CH_GA_KEY_BYTES);
  ps_ch_ga_from(sql, sc, sc->from_day, sc->to_day, 1);
  ps_ch_sql_put(sql, " AND category = 'business' AND has_agg = 1");
  ps_ch_ga_dedup_close(sql);
  ps_ch_sql_put(sql, " GROUP BY k, d");
}

/* The parts of one slicing: the whole (sc not grouped) or the groups (sc grouped); revenue's
 * currencies with the whole of a query without group_by. */
static void put_parts(ps_ch_sql *sql, const ps_ch_ga_scope *sc, unsigned needs,
                      int with_currencies) {
  if (needs & (NEED_DAU | NEED_PAYING | NEED_SESSIONS | NEED_LENGTH | NEED_REVENUE))
    put_day_part(sql, sc, needs);
  if (needs & (NEED_USERS | NEED_PAYERS)) put_total_part(sql, sc, needs);
  if (needs & NEED_WEEK) put_window_part(sql, sc, 7);
  if (needs & NEED_MONTH) put_window_part(sql, sc, 30);
  if (needs & NEED_NEW) put_new_part(sql, sc);
  if (sc->mode == PS_CH_GA_GROUPED) put_group_part(sql, sc);
  if (with_currencies) put_currency_part(sql, sc);
}

/* ---- the answer ---- */

enum { DAU, PAYING, SESSIONS, LENGTH_N, LENGTH_SUM, REVENUE, WINDOW, FRESH, NSERIES };

typedef struct slice {
  char key[PS_CH_GA_VALUE_BYTES + 1];
  double *days; /* NSERIES series of ndays */
  double users, payers;
} slice;

typedef struct currency_day {
  char key[PS_CH_GA_KEY_BYTES + 1];
  int64_t day;
  double sum;
} currency_day;

typedef struct answer {
  size_t ndays;
  slice whole;
  slice *groups;
  size_t ngroups, groups_cap;
  currency_day *currencies;
  size_t ncurrencies, currencies_cap;
} answer;

static double *series(const answer *a, const slice *s, int which) {
  return s->days + (size_t)which * a->ndays;
}

static int slice_init(answer *a, slice *s, const char *key) {
  memset(s, 0, sizeof *s);
  snprintf(s->key, sizeof s->key, "%s", key);
  s->days = calloc(a->ndays * NSERIES, sizeof *s->days);
  return s->days ? PS_OK : PS_ENOMEM;
}

/* The slice of a row: the whole for key '' when not grouped, else the group (added). */
static slice *slice_of(answer *a, const char *key) {
  if (!*key) return &a->whole;
  for (size_t i = 0; i < a->ngroups; i++)
    if (!strcmp(a->groups[i].key, key)) return &a->groups[i];
  if (a->ngroups == a->groups_cap) {
    size_t cap = a->groups_cap ? 2 * a->groups_cap : 8;
    slice *grown = realloc(a->groups, cap * sizeof *grown);
    if (!grown) return NULL;
    a->groups = grown;
    a->groups_cap = cap;
  }
  if (slice_init(a, &a->groups[a->ngroups], key) != PS_OK) return NULL;
  return &a->groups[a->ngroups++];
}

static int add_currency(answer *a, const char *key, int64_t day, double sum) {
  if (a->ncurrencies == a->currencies_cap) {
    size_t cap = a->currencies_cap ? 2 * a->currencies_cap : 16;
    currency_day *grown = realloc(a->currencies, cap * sizeof *grown);
    if (!grown) return PS_ENOMEM;
    a->currencies = grown;
    a->currencies_cap = cap;
  }
  currency_day *c = &a->currencies[a->ncurrencies++];
  snprintf(c->key, sizeof c->key, "%s", key);
  c->day = day;
  c->sum = sum;
  return PS_OK;
}

static int read_row(answer *a, const ps_ch_ga_scope *sc, const ps_ch_rows *r) {
  const char *tag = ps_ch_field(r, 0), *key = ps_ch_field(r, 1);
  int64_t day = ps_ch_field_int(r, 2);
  double f[FIGURES];
  for (int i = 0; i < FIGURES; i++) f[i] = ps_ch_field_double(r, 3 + (size_t)i);
  if (*tag == 'c') return add_currency(a, key, day, f[0]);
  slice *s = slice_of(a, key);
  if (!s) return PS_ENOMEM;
  int in_range = day >= sc->from_day && day < sc->to_day;
  size_t d = in_range ? (size_t)(day - sc->from_day) : 0;
  switch (*tag) {
    case 'd':
      /* two parts (counted, summed) answer a day, each 0 in the other's figures */
      for (int i = 0; in_range && i < FIGURES; i++) series(a, s, DAU + i)[d] += f[i];
      break;
    case 't': /* two parts (users, payers), each 0 in the other's figure */
      s->users += f[0];
      s->payers += f[1];
      break;
    case 'w':
      if (in_range) series(a, s, WINDOW)[d] = f[0];
      break;
    case 'n':
      if (in_range) series(a, s, FRESH)[d] = f[0];
      break;
    default: /* 'g': the group exists */
      break;
  }
  return PS_OK;
}

static void answer_free(answer *a) {
  free(a->whole.days);
  for (size_t i = 0; i < a->ngroups; i++) free(a->groups[i].days);
  free(a->groups);
  free(a->currencies);
}

static double ratio(double a, double b) { return b ? a / b : 0; }

static double sum_of(const double *v, size_t n) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += v[i];
  return s;
}

/* The metric over slice s into out, formed as sqlite/ga_query.c's compute() forms it. */
static void compute(const char *metric, const answer *a, const slice *s, ps_metric_series *out) {
  size_t n = a->ndays;
  const double *dau = series(a, s, DAU), *pay = series(a, s, PAYING);
  const double *sessions = series(a, s, SESSIONS), *revenue = series(a, s, REVENUE);
  const double *length_n = series(a, s, LENGTH_N), *length_sum = series(a, s, LENGTH_SUM);
  const double *window = series(a, s, WINDOW), *fresh = series(a, s, FRESH);
  double dau_sum = 0;
  for (size_t d = 0; d < n; d++) {
    double v = 0;
    dau_sum += dau[d];
    if (!strcmp(metric, "dau")) v = dau[d];
    else if (!strcmp(metric, "wau") || !strcmp(metric, "mau")) v = window[d];
    else if (!strcmp(metric, "new_users")) v = fresh[d];
    else if (!strcmp(metric, "sessions")) v = sessions[d];
    else if (!strcmp(metric, "avg_session_length")) v = ratio(length_sum[d], length_n[d]);
    else if (!strcmp(metric, "sessions_per_user")) v = ratio(sessions[d], dau[d]);
    else if (!strcmp(metric, "revenue")) v = revenue[d];
    else if (!strcmp(metric, "paying_users")) v = pay[d];
    else if (!strcmp(metric, "arpdau")) v = ratio(revenue[d], dau[d]);
    else if (!strcmp(metric, "arppu")) v = ratio(revenue[d], pay[d]);
    else if (!strcmp(metric, "conversion")) v = ratio(pay[d], dau[d]);
    out->values[d] = v;
  }
  if (!strcmp(metric, "dau") || !strcmp(metric, "wau") || !strcmp(metric, "mau"))
    out->total = s->users;
  else if (!strcmp(metric, "new_users") || !strcmp(metric, "sessions") || !strcmp(metric, "revenue"))
    out->total = sum_of(out->values, n);
  else if (!strcmp(metric, "avg_session_length"))
    out->total = ratio(sum_of(length_sum, n), sum_of(length_n, n));
  else if (!strcmp(metric, "sessions_per_user")) out->total = ratio(sum_of(sessions, n), s->users);
  else if (!strcmp(metric, "paying_users")) out->total = s->payers;
  else if (!strcmp(metric, "arpdau")) out->total = ratio(sum_of(revenue, n), dau_sum);
  else if (!strcmp(metric, "arppu")) out->total = ratio(sum_of(revenue, n), s->payers);
  else if (!strcmp(metric, "conversion")) out->total = ratio(s->payers, s->users);
}

static int cmp_currency_day(const void *x, const void *y) {
  const currency_day *a = x, *b = y;
  if (a->day != b->day) return a->day < b->day ? -1 : 1;
  return strcmp(a->key, b->key);
}

static int cmp_slice(const void *x, const void *y) {
  return strcmp(((const slice *)x)->key, ((const slice *)y)->key);
}

/* Revenue's groups, one per currency, in the order of their first day, then key. */
static int currency_groups(answer *a, const ps_ch_ga_scope *sc, ps_metric_result *out) {
  if (a->ncurrencies > 1)
    qsort(a->currencies, a->ncurrencies, sizeof *a->currencies, cmp_currency_day);
  for (size_t i = 0; i < a->ncurrencies; i++) {
    const currency_day *c = &a->currencies[i];
    ps_metric_series *g = ps_metric_result_group(out, c->key);
    if (!g) return PS_ENOMEM;
    if (c->day >= sc->from_day && c->day < sc->to_day) g->values[c->day - sc->from_day] += c->sum;
  }
  for (size_t i = 0; i < out->ngroups; i++)
    out->groups[i].total = sum_of(out->groups[i].values, out->nbuckets);
  return PS_OK;
}

static int daily_metric(const ps_ch_ga_scope *sc, const char *metric, unsigned needs,
                        ps_metric_result *out) {
  int rc = ps_ch_ga_result_days(sc, out);
  if (rc != PS_OK) return rc;
  answer a = {.ndays = out->nbuckets};
  ps_ch_sql sql = {0};
  ps_buf reply = {0};
  ps_ch_ga_scope whole = *sc;
  if (whole.mode == PS_CH_GA_GROUPED) whole.mode = PS_CH_GA_WHOLE;
  put_parts(&sql, &whole, needs, sc->mode != PS_CH_GA_GROUPED && !strcmp(metric, "revenue"));
  if (sc->mode == PS_CH_GA_GROUPED) put_parts(&sql, sc, needs, 0);
  rc = slice_init(&a, &a.whole, "");
  if (rc == PS_OK) rc = ps_ch_ga_run(sc, &sql, &reply);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &reply);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) rc = read_row(&a, sc, &rows);
  if (rc == PS_OK) {
    compute(metric, &a, &a.whole, &out->whole);
    if (a.ngroups > 1) qsort(a.groups, a.ngroups, sizeof *a.groups, cmp_slice);
    for (size_t i = 0; rc == PS_OK && i < a.ngroups; i++) {
      ps_metric_series *g = ps_metric_result_group(out, a.groups[i].key);
      if (g) compute(metric, &a, &a.groups[i], g);
      else rc = PS_ENOMEM;
    }
    if (rc == PS_OK && a.ncurrencies) rc = currency_groups(&a, sc, out);
  }
  answer_free(&a);
  ps_ch_sql_free(&sql);
  ps_buf_free(&reply);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}

/* ---- retention ---- */

/* Per cohort (first day in the range, its first dimension as filtered) and t = 0..30: the
 * cohort's users active t days after it (t = 0: the cohort's size). One pass over users: the
 * first `user` event and the days active (as filtered) in the 30 days after the range. No
 * dedup is needed: first day and value as put_first_days, active days a set, and the counts
 * are of users (one row each after GROUP BY user_id). */
static void put_retention(ps_ch_sql *sql, const ps_ch_ga_scope *sc) {
  ps_ch_sql cond = {0}, first = {0};
  int segment = sc->mode == PS_CH_GA_SEGMENT;
  char expr[64];
  snprintf(expr, sizeof expr, "substring(%s, 1, %d)", sc->column ? sc->column : "''",
           PS_CH_GA_VALUE_BYTES);
  ps_ch_sql_put(&cond, "day > %lld", (long long)sc->from_day);
  if (!segment) { /* a segment's active days come from ps_ch_ga_from_segment */
    ps_ch_sql_put(&cond, " AND ");
    ps_ch_ga_value_condition(&cond, sc, expr);
  }
  if (segment) ps_ch_ga_dimension(&first, sc); /* the first event's flag */
  else ps_ch_sql_put(&first, "%s", sc->column ? expr : "''");
  if (cond.rc != PS_OK) sql->rc = cond.rc;
  if (first.rc != PS_OK) sql->rc = first.rc;
  const char *active = cond.text.data ? cond.text.data : "0";
  /* Per user: its `user` events (u = 1: first day and its dimension, from user_firsts) and its
   * active days (u = 0, from user_days: a row per user, day and values, not per event). */
  ps_ch_sql_put(sql,
                "SELECT toInt64(fd), toInt64(t), toFloat64(count()) FROM (SELECT user_id,"
                " minIf(dd, u = 1) AS fd, argMinIf(v, (dd, -toInt64(kept)), u = 1) AS fv,"
                " groupUniqArrayIf(dd, u = 0) AS active FROM (SELECT user_id,"
                " toInt64(day) AS dd, toUInt8(1) AS u, %s AS v, keep AS kept",
                first.text.data ? first.text.data : "''");
  ps_ch_ga_from_user_firsts(sql, sc, 0, sc->to_day);
  ps_ch_sql_put(sql, " UNION ALL SELECT user_id, toInt64(day) AS dd,"
                     " toUInt8(0) AS u, '' AS v, toUInt64(0) AS kept");
  ps_ch_ga_from_user_days(sql, sc, sc->from_day + 1, sc->to_day + RETENTION_DAYS, segment);
  ps_ch_sql_put(sql, " AND %s) GROUP BY user_id"
                     " HAVING countIf(u = 1) > 0 AND fd >= %lld AND fd < %lld AND ",
                active, (long long)sc->from_day, (long long)sc->to_day);
  ps_ch_ga_value_condition(sql, sc, "fv");
  ps_ch_sql_put(sql,
                ") ARRAY JOIN arrayConcat([toInt64(0)], arrayFilter(x -> x >= 1 AND x <= %d,"
                " arrayMap(a -> toInt64(a - fd), active))) AS t GROUP BY fd, t",
                RETENTION_DAYS);
  ps_ch_sql_free(&cond);
  ps_ch_sql_free(&first);
}

static int retention(const ps_ch_ga_scope *sc, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  out->from_ms = 1000; /* points t = 1..30 */
  out->interval_ms = 1000;
  out->nbuckets = RETENTION_DAYS;
  size_t ndays = (size_t)(sc->to_day - sc->from_day);
  double *back = calloc(ndays * (RETENTION_DAYS + 1), sizeof *back); /* [cohort][t] */
  out->whole.values = calloc(RETENTION_DAYS, sizeof *out->whole.values);
  int rc = back && out->whole.values ? PS_OK : PS_ENOMEM;
  ps_ch_sql sql = {0};
  ps_buf reply = {0};
  put_retention(&sql, sc);
  if (rc == PS_OK) rc = ps_ch_ga_run(sc, &sql, &reply);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &reply);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    int64_t cohort = ps_ch_field_int(&rows, 0) - sc->from_day, t = ps_ch_field_int(&rows, 1);
    if (cohort >= 0 && (size_t)cohort < ndays && t >= 0 && t <= RETENTION_DAYS)
      back[(size_t)cohort * (RETENTION_DAYS + 1) + (size_t)t] = ps_ch_field_double(&rows, 2);
  }
  /* as sqlite/ga_query.c's retention(): a group per cohort in day order; days still to come
   * are 0 and left out of the whole */
  double kept[RETENTION_DAYS] = {0}, sizes[RETENTION_DAYS] = {0}, cohorts = 0;
  for (size_t c = 0; rc == PS_OK && c < ndays; c++) {
    const double *v = back + c * (RETENTION_DAYS + 1);
    double size = v[0];
    if (size == 0) continue;
    cohorts += size;
    ps_metric_series *g = ps_metric_result_cohort(out, sc->from_day + (int64_t)c, size);
    if (!g) {
      rc = PS_ENOMEM;
      break;
    }
    for (size_t t = 1; t <= RETENTION_DAYS; t++) {
      if (sc->from_day + (int64_t)(c + t) > sc->today) continue;
      g->values[t - 1] = v[t] / size;
      kept[t - 1] += v[t];
      sizes[t - 1] += size;
    }
  }
  for (size_t t = 0; rc == PS_OK && t < RETENTION_DAYS; t++)
    out->whole.values[t] = ratio(kept[t], sizes[t]);
  out->whole.total = cohorts;
  free(back);
  ps_ch_sql_free(&sql);
  ps_buf_free(&reply);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}

/* ---- the entry ---- */

/* Whether metric counts users only (it takes first_build and new, as sqlite/ga_query.c's). */
static int counts_users(const char *metric) {
  for (size_t i = 0; i < sizeof daily_metrics / sizeof *daily_metrics; i++)
    if (!strcmp(daily_metrics[i].name, metric))
      return !(daily_metrics[i].needs & (NEED_SESSIONS | NEED_LENGTH | NEED_REVENUE));
  return 0;
}

/* The whole of sub's answer as the group key of out (the groups asked one by one). */
static int put_group(ch_store *s, const ps_metric_query *sub, const char *key,
                     ps_metric_result *out) {
  ps_metric_result part;
  int rc = ps_ch_ga_metric(s, sub, &part);
  ps_metric_series *g = rc == PS_OK ? ps_metric_result_group(out, key) : NULL;
  if (rc == PS_OK && !g) rc = PS_ENOMEM;
  if (rc == PS_OK && part.nbuckets != out->nbuckets) rc = PS_EIO;
  if (rc == PS_OK) {
    memcpy(g->values, part.whole.values, out->nbuckets * sizeof *g->values);
    g->total = part.whole.total;
  }
  ps_metric_result_free(&part);
  return rc;
}

/* group_by first_build: a group per first build seen, each the query filtered by it; the
 * whole: the query without the group_by. */
static int group_by_first_build(ch_store *s, const ps_metric_query *q, const ps_ch_ga_scope *sc,
                                ps_metric_result *out) {
  ps_metric_query sub = *q;
  sub.group_by = NULL;
  int rc = ps_ch_ga_metric(s, &sub, out);
  ps_ch_sql sql = {0};
  ps_buf reply = {0};
  ps_ch_sql_put(&sql, "SELECT DISTINCT fb FROM (SELECT user_id, argMin(substring(build, 1, %d),"
                      " (day, -toInt64(keep))) AS fb", PS_CH_GA_VALUE_BYTES);
  ps_ch_ga_from_user_firsts(&sql, sc, 0, PS_CH_LAST_DAY + 1);
  ps_ch_sql_put(&sql, " GROUP BY user_id) WHERE fb != '' ORDER BY fb");
  if (rc == PS_OK) rc = ps_ch_ga_run(sc, &sql, &reply);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &reply);
  sub.nfilters = 1;
  sub.filters[0] = (ps_metric_filter){"first_build", NULL};
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    char build[PS_CH_GA_VALUE_BYTES + 1];
    snprintf(build, sizeof build, "%s", ps_ch_field(&rows, 0));
    sub.filters[0].value = build;
    rc = put_group(s, &sub, build, out);
  }
  ps_ch_sql_free(&sql);
  ps_buf_free(&reply);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}

/* A group_by beside filters (a segment's groups, as sqlite/ga_query.c answers them): the
 * groups of the group_by alone (the values seen from 29 days before the range to 31 after
 * it, in key order), each the query with the group's value as one more filter; the whole:
 * the query without the group_by. A statement per group, each a segment the statements
 * above answer exactly. */
static int grouped_segment(ch_store *s, const ps_metric_query *q, ps_metric_result *out) {
  if (q->nfilters >= PS_METRIC_MAX_FILTERS || ps_ch_ga_is_family(q->metric) ||
      !strcmp(q->metric, "retention"))
    return PS_EINVAL;
  ps_metric_query alone = *q, values_q = *q;
  alone.group_by = NULL;
  values_q.nfilters = 0;
  ps_ch_ga_scope values;
  int rc = ps_ch_ga_scope_of(s, &values_q, &values);
  if (rc == PS_OK && values.mode != PS_CH_GA_GROUPED) rc = PS_EINVAL;
  ps_metric_result whole = {0};
  if (rc == PS_OK) rc = ps_ch_ga_metric(s, &alone, &whole);
  if (rc == PS_OK) rc = ps_ch_ga_result_days(&values, out);
  if (rc == PS_OK && whole.nbuckets != out->nbuckets) rc = PS_EIO;
  if (rc == PS_OK) {
    memcpy(out->whole.values, whole.whole.values, out->nbuckets * sizeof *out->whole.values);
    out->whole.total = whole.whole.total; /* without revenue's currencies: groups are values */
  }
  ps_metric_result_free(&whole);
  ps_ch_sql sql = {0};
  ps_buf reply = {0};
  put_group_part(&sql, &values);
  ps_ch_sql_put(&sql, " ORDER BY k");
  if (rc == PS_OK) rc = ps_ch_ga_run(&values, &sql, &reply);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &reply);
  ps_metric_query one = alone;
  one.nfilters++;
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    char value[PS_CH_GA_VALUE_BYTES + 1];
    snprintf(value, sizeof value, "%s", ps_ch_field(&rows, 1));
    one.filters[alone.nfilters] = (ps_metric_filter){q->group_by, value};
    rc = put_group(s, &one, value, out);
  }
  ps_ch_sql_free(&sql);
  ps_buf_free(&reply);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}

int ps_ch_ga_metric(ch_store *s, const ps_metric_query *q, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  if (q->nfilters && q->group_by && strcmp(q->group_by, "first_build") != 0)
    return grouped_segment(s, q, out);
  ps_ch_ga_scope sc;
  int rc = ps_ch_ga_scope_of(s, q, &sc);
  if (rc != PS_OK) return rc;
  int attributes = sc.first_build || sc.new_day != PS_CH_GA_ANY_DAY;
  if (sc.group_first_build)
    return counts_users(q->metric) ? group_by_first_build(s, q, &sc, out) : PS_EINVAL;
  /* families take one dimension; the per-user funnel every one at once (ga_funnel.c) */
  if (ps_ch_ga_is_family(q->metric))
    return sc.mode == PS_CH_GA_GROUPED || (sc.mode == PS_CH_GA_SEGMENT && !ps_funnel_wanted(q))
               ? PS_EINVAL
               : ps_ch_ga_family_metric(&sc, q, out);
  if (!strcmp(q->metric, "ltv")) return ps_ch_ga_ltv(&sc, q->days, out);
  if (!strcmp(q->metric, "retention"))
    return sc.mode == PS_CH_GA_GROUPED || sc.new_day != PS_CH_GA_ANY_DAY ? PS_EINVAL
                                                                         : retention(&sc, out);
  if (attributes && !counts_users(q->metric)) return PS_EINVAL; /* sums take no attribute */
  for (size_t i = 0; i < sizeof daily_metrics / sizeof *daily_metrics; i++)
    if (!strcmp(daily_metrics[i].name, q->metric))
      return daily_metric(&sc, q->metric, daily_metrics[i].needs, out);
  return PS_EINVAL;
}
