/*
 * session_query.c: see session_query.h. Peak metrics split the range at the rollups' settled
 * mark: minutes before it come from stored rows, minutes after it are computed from the
 * sessions that overlap them; both fold into the asked buckets by maximum (a bucket's peak is
 * the largest of its minutes' peaks). With hour or day buckets, the hours and days settled in
 * the playtime rollups come first from their rows, and every other metric is answered by
 * playtime_rollup.c (settled rows plus the live tail); the rest is computed from sessions.
 */
#include "store/sqlite/session_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/sqlite/playtime_rollup.h"
#include "store/sqlite/rollup.h"
#include "store/sqlite/session_set.h"

static int is_peak(const char *metric) {
  return strcmp(metric, "ccu") == 0 || strcmp(metric, "concurrent_ugc") == 0;
}

/* The group of r with key, added (zeroed) when missing; NULL when out of memory. */

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}


/* The value of the group_by dimension of set item i. */
static const char *key_of(const ps_session_set *set, const ps_session_query *q, size_t i) {
  return q->group_by_portal ? set->portal[i] : set->platform[i];
}

typedef int (*group_fn)(const ps_session_interval *subset, size_t n, ps_metric_series *group,
                        void *ctx);

/* Calls fn once per distinct group_by value of the set, with that value's sessions and its
 * group in out. */
static int each_group(const ps_session_set *set, const ps_session_query *q,
                      ps_metric_result *out, group_fn fn, void *ctx) {
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < set->n; i++) {
    const char *key = key_of(set, q, i);
    int seen = 0;
    for (size_t j = 0; j < i && !seen; j++) seen = strcmp(key_of(set, q, j), key) == 0;
    if (seen) continue;
    size_t m;
    ps_session_interval *subset = ps_session_set_subset(set, q->group_by_portal ? NULL : key,
                                                        q->group_by_portal ? key : NULL, &m);
    ps_metric_series *g = subset ? ps_metric_result_group(out, key) : NULL;
    rc = g ? fn(subset, m, g, ctx) : PS_ENOMEM;
    free(subset);
  }
  return rc;
}

/* ---- peaks: settled minutes from the rollups ---- */

typedef struct rollup_fold {
  ps_metric_result *out;
  const ps_session_query *q;
  int grouped; /* rows go to the group of their platform / portal, else to the whole */
  int failed;
} rollup_fold;

static int fold_row(const ps_rollup_row *row, void *arg) {
  rollup_fold *f = arg;
  double value = (double)(strcmp(f->q->metric, "ccu") == 0 ? row->ccu : row->ugc);
  ps_metric_series *s = &f->out->whole;
  if (f->grouped && !(s = ps_metric_result_group(f->out, f->q->group_by_portal ? row->portal : row->platform)))
    return PS_ENOMEM;
  ps_metric_series_raise(f->out, s, row->minute_ms, value);
  return 0;
}

static int peaks_from_rollups(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                              int64_t to_ms, ps_metric_result *out) {
  const char *platform = q->platform ? q->platform : PS_ROLLUP_ANY;
  const char *portal = q->portal ? q->portal : PS_ROLLUP_ANY;
  rollup_fold f = {out, q, 0, 0};
  int rc = ps_sqlite_rollup_scan(store, game_id, platform, portal, q->from_ms, to_ms,
                                   fold_row, &f);
  if (rc != PS_OK || !q->group_by) return rc;
  /* Groups: rows of each value of the dimension (NULL: any but the "all" row). */
  f.grouped = 1;
  return ps_sqlite_rollup_scan(store, game_id, q->group_by_portal ? platform : q->platform,
                                 q->group_by_portal ? q->portal : portal, q->from_ms, to_ms,
                                 fold_row, &f);
}

/* ---- peaks: the minutes after the settled mark, from sessions ---- */

typedef struct minutes_fold {
  const char *metric;
  int64_t from_ms;
  ps_metric_result *out;
} minutes_fold;

/* Computes the metric per minute from f->from_ms to the end of f->out and folds into s. */
static int fold_computed_minutes(const ps_session_interval *items, size_t n, ps_metric_series *s,
                                 void *ctx) {
  const minutes_fold *f = ctx;
  ps_metric_result minutes;
  int64_t to_ms = f->out->from_ms + (int64_t)f->out->nbuckets * f->out->interval_ms;
  int rc = ps_session_metric_compute(f->metric, items, n, f->from_ms, to_ms,
                                     PS_ROLLUP_MINUTE_MS, &minutes);
  for (size_t i = 0; rc == PS_OK && i < minutes.nbuckets; i++)
    ps_metric_series_raise(f->out, s, f->from_ms + (int64_t)i * PS_ROLLUP_MINUTE_MS, minutes.whole.values[i]);
  ps_metric_result_free(&minutes);
  return rc;
}

static int peaks_from_sessions(const ps_session_set *set, const ps_session_query *q,
                               int64_t from_ms, ps_metric_result *out) {
  minutes_fold f = {q->metric, from_ms, out};
  int rc = fold_computed_minutes(set->items, set->n, &out->whole, &f);
  if (rc == PS_OK && q->group_by) rc = each_group(set, q, out, fold_computed_minutes, &f);
  return rc;
}

static int run_peak(sqlite_store *store, int64_t game_id, const ps_session_query *q, int64_t now_ms,
                    int64_t timeout_ms, ps_metric_result *out) {
  /* Hours and days settled in the playtime rollups come from their peak rows
   * (playtime_rollup.h), the minutes after them as below. */
  ps_session_query rest = *q;
  if (ps_playtime_span(q)) {
    int prc = ps_playtime_peaks(store, game_id, q, out, &rest.from_ms);
    if (prc != PS_OK || rest.from_ms >= q->to_ms) return prc;
    q = &rest;
  }
  int64_t settled = q->from_ms;
  int rc = ps_sqlite_rollup_settled(store, game_id, &settled);
  if (rc != PS_OK && rc != PS_ENOTFOUND) return rc;
  int64_t split = settled < q->from_ms ? q->from_ms : settled > q->to_ms ? q->to_ms : settled;
  if (split > q->from_ms && (rc = peaks_from_rollups(store, game_id, q, split, out)) != PS_OK)
    return rc;
  if (split >= q->to_ms) return PS_OK;
  ps_session_set set;
  rc = ps_session_set_load(store, game_id, split, q->to_ms, now_ms, timeout_ms, q->platform,
                           q->portal, &set);
  if (rc == PS_OK) rc = peaks_from_sessions(&set, q, split, out);
  ps_session_set_free(&set);
  return rc;
}

/* ---- every other metric: from the sessions of the range ---- */

typedef struct bucket_compute {
  const ps_session_query *q;
  size_t nbuckets;
} bucket_compute;

/* Computes the metric over the query's buckets into s. */
static int compute_group(const ps_session_interval *items, size_t n, ps_metric_series *s,
                         void *ctx) {
  const bucket_compute *c = ctx;
  ps_metric_result part;
  int rc = ps_session_metric_compute(c->q->metric, items, n, c->q->from_ms, c->q->to_ms,
                                     c->q->interval_ms, &part);
  if (rc == PS_OK) {
    memcpy(s->values, part.whole.values, c->nbuckets * sizeof *s->values);
    s->total = part.whole.total;
  }
  ps_metric_result_free(&part);
  return rc;
}

static int run_computed(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                        int64_t now_ms, int64_t timeout_ms, ps_metric_result *out) {
  ps_session_set set;
  int rc = ps_session_set_load(store, game_id, q->from_ms, q->to_ms, now_ms, timeout_ms,
                               q->platform, q->portal, &set);
  ps_metric_result whole;
  if (rc == PS_OK)
    rc = ps_session_metric_compute(q->metric, set.items, set.n, q->from_ms, q->to_ms,
                                   q->interval_ms, &whole);
  if (rc == PS_OK) {
    ps_metric_result_free(out);
    *out = whole;
  }
  bucket_compute c = {q, out->nbuckets};
  if (rc == PS_OK && q->group_by) rc = each_group(&set, q, out, compute_group, &c);
  ps_session_set_free(&set);
  return rc;
}

/* Whether the rollups hold q's figures: peak metrics, constrained by platform or by portal
 * but not by both (a filter on one and group_by the other constrains both). */
static int rolled_up(const ps_session_query *q) {
  int by_platform = q->platform || (q->group_by && !q->group_by_portal);
  int by_portal = q->portal || (q->group_by && q->group_by_portal);
  return is_peak(q->metric) && !(by_platform && by_portal);
}

int ps_session_query_run(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                         int64_t now_ms, int64_t timeout_ms, ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  if (!ps_session_metric_known(q->metric) || q->interval_ms < PS_ROLLUP_MINUTE_MS ||
      q->interval_ms % PS_ROLLUP_MINUTE_MS || q->from_ms % q->interval_ms ||
      q->to_ms <= q->from_ms || (q->group_by && ps_session_metric_has_groups(q->metric)))
    return PS_EINVAL;
  out->from_ms = q->from_ms;
  out->interval_ms = q->interval_ms;
  out->nbuckets = (size_t)((q->to_ms - q->from_ms + q->interval_ms - 1) / q->interval_ms);
  if (!(out->whole.values = calloc(out->nbuckets, sizeof *out->whole.values))) return PS_ENOMEM;
  int rc = rolled_up(q) ? run_peak(store, game_id, q, now_ms, timeout_ms, out)
           : !is_peak(q->metric) && ps_playtime_span(q)
               ? ps_playtime_query_run(store, game_id, q, now_ms, timeout_ms, out)
               : run_computed(store, game_id, q, now_ms, timeout_ms, out);
  if (rc == PS_OK && q->group_by && out->ngroups > 1)
    qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}
