/*
 * metric.h: the question an event store answers (a series of one metric over [from, to) cut
 * into buckets, with filters and a group_by) and the shape of its answer. What each metric
 * means, which parameters it takes and how its answer reads as JSON is the catalogue's
 * (insights/catalog.h); how a backend computes it is the backend's own business (SQLite:
 * rollups read from tables; ClickHouse: SQL).
 */
#ifndef PS_STORE_METRIC_H
#define PS_STORE_METRIC_H

#include <stddef.h>
#include <stdint.h>

/* Which records a metric is computed from. */
typedef enum {
  PS_SOURCE_EVENTS,      /* analytics events (GameAnalytics v2); daily buckets */
  PS_SOURCE_PLAYTIME,    /* metrics sessions (mod.io compatible) */
  PS_SOURCE_MATCHMAKING, /* multiplayer sessions of the game's project */
} ps_metric_source;

typedef struct ps_metric_filter {
  const char *dimension; /* a dimension name of the source (platform, build, portal, ...) */
  const char *value;
} ps_metric_filter;

#define PS_METRIC_MAX_FILTERS 8

typedef struct ps_metric_query {
  ps_metric_source source;
  const char *metric;     /* a catalogue name */
  int64_t game_id;
  const char *project_id; /* the game's project (matchmaking metrics read its sessions) */
  int64_t from_ms, to_ms, interval_ms; /* from and to on interval boundaries, from < to */
  ps_metric_filter filters[PS_METRIC_MAX_FILTERS];
  size_t nfilters;
  const char *group_by; /* a dimension name, or NULL */
  /* Parameters of grouped families (NULL: their defaults; see insights/catalog.h). */
  const char *measure, *by, *prefix, *steps;
  int64_t window_s; /* funnel: the conversion window in seconds (0: none; store/funnel.h) */
  int days;         /* ltv: the last day since install it answers (store/ltv.h) */
  int64_t now_ms; /* what "now" is for sessions still running and days still to come */
} ps_metric_query;

typedef struct ps_metric_series {
  char key[130];  /* group key ("" for the whole): a platform, mod id, region, cohort, ... */
  double total;
  double *values; /* one per bucket */
} ps_metric_series;

/* An answer: buckets of interval_ms from from_ms (retention: 30 points t = 1..30), the whole
 * series and, for grouped metrics or a group_by, one series per group in key order (or the
 * metric's own order, e.g. most played first). */
typedef struct ps_metric_result {
  int64_t from_ms, interval_ms;
  size_t nbuckets;
  ps_metric_series whole;
  ps_metric_series *groups;
  size_t ngroups;
} ps_metric_result;

/* Frees what r holds and zeroes it (a zeroed result is a no-op). */
void ps_metric_result_free(ps_metric_result *r);
/* The group of r with key: found, or added with zeroed values (r->nbuckets of them). NULL when
 * out of memory (r unchanged). */
ps_metric_series *ps_metric_result_group(ps_metric_result *r, const char *key);
/* The group of the cohort of UTC day (key "YYYY-MM-DD": retention's and ltv's groups), found
 * or added as ps_metric_result_group, its total set to size. NULL when out of memory. */
ps_metric_series *ps_metric_result_cohort(ps_metric_result *r, int64_t day, double size);
/* A peak folded in: raises the bucket of r holding t_ms (none when t_ms is before r) and the
 * total of s to value when it is larger (a bucket's peak is the largest of its parts'). */
void ps_metric_series_raise(const ps_metric_result *r, ps_metric_series *s, int64_t t_ms,
                            double value);
/* The value of the filter on dimension, or NULL. */
const char *ps_metric_query_filter(const ps_metric_query *q, const char *dimension);

#endif
