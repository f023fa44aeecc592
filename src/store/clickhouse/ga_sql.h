/*
 * ga_sql.h: what the SQL of the analytics-event metrics (ga_metrics.c, ga_families.c) shares:
 * the scope of a query (game, days, the dimension filtered or grouped by, or a segment), the WHERE
 * clause that bounds it on the events table's primary key, and the dimension as the SQLite
 * rollups key it.
 *
 * Guarantees: every clause written here bounds game_id and date (the primary key's first
 * columns) and keeps only the events the SQLite rollups fold (folds = 1, day in the range
 * asked). A dimension reads as the rollups keep it: absent ('') never matches, and a value is
 * its first 64 bytes (ps_ga_user's first_dims, ps_ga_chunk_edit's value), so a filter or a
 * group matches what SQLite's does.
 *
 * Dedup without FINAL. FINAL is a single-threaded merging read on ClickHouse 18.16 (202 ms
 * against 25 ms for count() of 1 M events), so ps_ch_ga_from reads every stored copy of an
 * event, and a record shipped or sent twice still counts once because each statement takes
 * only what copies cannot change:
 *  - copies of one event (same game, date, category, dedup_key: one row after FINAL) have
 *    equal columns but keep (rows.c: every column but keep and received_ms is a function of
 *    the record's body, user and game; a resend is the same event), so every condition reads
 *    them alike and distinct values (uniqExact of a user, groupUniqArray of days, the set of
 *    a dimension's values), min / max, and argMin by (day, -keep) (a copy has a smaller keep,
 *    so it never wins over the first received; if it ties, it is that row) are unchanged;
 *  - a count of events is uniqExact(dedup_key) within a group that fixes day and category;
 *  - a sum reads ps_ch_ga_dedup_open/close: one row per event, GROUP BY the sorting key,
 *    parallel where FINAL is not, and restricted by category on the primary key.
 */
#ifndef PS_STORE_CLICKHOUSE_GA_SQL_H
#define PS_STORE_CLICKHOUSE_GA_SQL_H

#include <stdint.h>

#include "common/buf.h"
#include "store/clickhouse/internal.h"

#define PS_CH_GA_DAY_MS 86400000LL
#define PS_CH_GA_VALUE_BYTES 64 /* a dimension value as the rollups keep it */
#define PS_CH_GA_KEY_BYTES 128  /* an aggregate key (currency, family key) as they keep it */

/* SEGMENT: several dimension filters, or a user attribute (first_build, new), with the
 * semantics of sqlite/ga_query.h: users by the AND over (user, day) of the days' values
 * (ps_ch_ga_from_segment), events that carry every value (ps_ch_ga_from, sliced), first
 * events (new users, cohorts) carrying every value (ps_ch_ga_dimension's flag). */
typedef enum { PS_CH_GA_WHOLE, PS_CH_GA_FILTERED, PS_CH_GA_GROUPED, PS_CH_GA_SEGMENT } ps_ch_ga_mode;
enum { PS_CH_GA_ANY_DAY, PS_CH_GA_NEW_DAY, PS_CH_GA_RETURNING_DAY };

typedef struct ps_ch_ga_scope {
  ch_store *store;
  char table[256];          /* "db.events" */
  int64_t game_id;
  int64_t from_day, to_day; /* UTC day numbers, [from, to) */
  int64_t today;            /* retention: days after it have not happened */
  ps_ch_ga_mode mode;
  const char *column;       /* FILTERED, GROUPED: the dimension's column */
  const char *value;        /* FILTERED: the value */
  /* SEGMENT: the dimensions' columns and values, first_build (NULL: any), new_day */
  const char *columns[PS_METRIC_MAX_FILTERS];
  const char *values[PS_METRIC_MAX_FILTERS];
  size_t nconds;
  const char *first_build;
  int new_day;
  int group_first_build; /* group_by first_build (WHOLE otherwise): ga_metrics.c */
} ps_ch_ga_scope;

/* A statement being written: an append that fails (out of memory) is remembered in rc and
 * every later one does nothing, so a statement is written straight and checked once. */
typedef struct ps_ch_sql {
  ps_buf text;
  int rc;
} ps_ch_sql;

void ps_ch_sql_put(ps_ch_sql *sql, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends text as a string literal. */
void ps_ch_sql_literal(ps_ch_sql *sql, const char *text);
void ps_ch_sql_free(ps_ch_sql *sql);

/* The scope of q (days as the SQLite backend rounds them). PS_EINVAL for what the SQLite
 * backend refuses too: an unknown dimension, a filter with a group_by, an empty range. */
int ps_ch_ga_scope_of(ch_store *s, const ps_metric_query *q, ps_ch_ga_scope *out);

/* Appends "FROM <events> WHERE game_id = .. AND date .. AND folds = 1 AND day >= from AND
 * day < to" and, when sliced, the scope's dimension condition: FILTERED: the value; GROUPED:
 * present. Every stored copy of an event is read (no FINAL): see "Dedup without FINAL". */
void ps_ch_ga_from(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int64_t from_day, int64_t to_day,
                   int sliced);
/* The same over user_days (internal.h: one row per user, day and dimension values with a
 * folded event; columns game_id, date, day, user_id and the six dimensions): for parts that
 * only need distinct users, their days and the dimension values seen, which it answers with
 * a row per user and day instead of one per event. */
void ps_ch_ga_from_user_days(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int64_t from_day,
                             int64_t to_day, int sliced);
/* The same over user_firsts (schema.c: a row per user, day and dimension values with a folded
 * `user` event, with the highest keep of them, unsliced): for first days (new_users,
 * retention's cohorts), which therefore survive the raw events' retention. */
void ps_ch_ga_from_user_firsts(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int64_t from_day,
                               int64_t to_day);
/* One row per event, for sums: appends " FROM (SELECT day, category"; the caller appends its
 * columns (", any(x) AS name", a name no column has: copies are equal), ps_ch_ga_from and its
 * conditions (which should bound category), then ps_ch_ga_dedup_close appends
 * " GROUP BY day, category, dedup_key)". With folds = 1, day determines date, so the groups
 * are the rows FINAL would keep. */
void ps_ch_ga_dedup_open(ps_ch_sql *sql);
void ps_ch_ga_dedup_close(ps_ch_sql *sql);
/* Appends the scope's dimension as the rollups key it: substring(column, 1, 64); SEGMENT:
 * the flag '1' or '0' of a row (of events, user_firsts) carrying every filtered value and, for
 * first_build, that build (on a user's first `user` event, its build is the first build). */
void ps_ch_ga_dimension(ps_ch_sql *sql, const ps_ch_ga_scope *sc);
/* Appends the condition on a dimension value expr (already cut to 64 bytes) that the scope's
 * mode asks: FILTERED: = value and not ''; GROUPED: not ''; WHOLE: 1; SEGMENT: expr (the
 * flag of ps_ch_ga_dimension) is '1', and never with new=returning (for first events). */
void ps_ch_ga_value_condition(ps_ch_sql *sql, const ps_ch_ga_scope *sc, const char *expr);
/* SEGMENT: " FROM (SELECT user_id, day ...) WHERE 1": the (user, day) pairs of the days
 * [from_day, to_day) in the segment: from user_days (paying: business events) with, for each
 * filter, a row (event) of the day carrying its value, the first build and the day's being
 * (new) or not (returning) the user's first day. Copies and the rows' multiplicity add
 * nothing (GROUP BY user_id, day). */
void ps_ch_ga_from_segment(ps_ch_sql *sql, const ps_ch_ga_scope *sc, int64_t from_day,
                           int64_t to_day, int paying);

/* Runs sql (its rc when writing it failed); *answer receives the TabSeparated rows. */
int ps_ch_ga_run(const ps_ch_ga_scope *sc, const ps_ch_sql *sql, ps_buf *answer);

/* Sets out up for day buckets of the scope (whole values allocated, zeroed). */
int ps_ch_ga_result_days(const ps_ch_ga_scope *sc, ps_metric_result *out);

/* The families (progression, funnel, resources, design, errors, ads): ga_families.c. 1 when
 * metric is one. */
int ps_ch_ga_is_family(const char *metric);
int ps_ch_ga_family_metric(const ps_ch_ga_scope *sc, const ps_metric_query *q,
                           ps_metric_result *out);

/* The raw figures of ltv (store/ltv.h): ga_ltv.c. PS_EINVAL with a group_by or new=. */
int ps_ch_ga_ltv(const ps_ch_ga_scope *sc, int days, ps_metric_result *out);

#endif
