/*
 * session_metrics.c: see session_metrics.h. Players and mods are first numbered (sorted, then
 * deduplicated) so that "distinct" counts use plain arrays; concurrency is a sweep over start
 * (+1) and end (-1) events, ends first at equal times (intervals are half-open).
 */
#include "store/sqlite/session_metrics.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/metric_ids.h"

#define TOP_MODS 10


int ps_session_metric_known(const char *name) { return ps_playtime_metric_of(name) >= 0; }

int ps_session_metric_has_groups(const char *name) {
  int m = ps_playtime_metric_of(name);
  return m == M_LENGTH_HISTOGRAM || m == M_TOP_MODS;
}

/* ---- buckets ---- */

typedef struct range {
  int64_t from, to, interval;
  size_t n;
} range;

static size_t bucket_at(const range *r, int64_t t) { return (size_t)((t - r->from) / r->interval); }

/* The buckets [*b0, *b1] that [s, e) overlaps within the range; 0 if none. */
static int overlapped(const range *r, int64_t s, int64_t e, size_t *b0, size_t *b1) {
  if (s < r->from) s = r->from;
  if (e > r->to) e = r->to;
  if (e <= s) return 0;
  *b0 = bucket_at(r, s);
  *b1 = bucket_at(r, e - 1);
  return 1;
}

static int in_range(const range *r, int64_t t) { return t >= r->from && t < r->to; }

/* ---- numbering of players and mods ---- */

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Sorted distinct players; ids are positions found with bsearch. */
static const char **distinct_players(const ps_session_interval *s, size_t n, size_t *count) {
  const char **names = malloc((n ? n : 1) * sizeof *names);
  if (!names) return NULL;
  for (size_t i = 0; i < n; i++) names[i] = s[i].player;
  qsort(names, n, sizeof *names, cmp_str);
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (k == 0 || strcmp(names[k - 1], names[i]) != 0) names[k++] = names[i];
  *count = k;
  return names;
}

static size_t player_id(const char **names, size_t count, const char *player) {
  const char **found = bsearch(&player, names, count, sizeof *names, cmp_str);
  return (size_t)(found - names);
}

static int64_t *distinct_mods(const ps_session_interval *s, size_t n, size_t *count) {
  size_t total = 0;
  for (size_t i = 0; i < n; i++) total += s[i].nmods;
  int64_t *mods = malloc((total ? total : 1) * sizeof *mods);
  if (!mods) return NULL;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    for (size_t j = 0; j < s[i].nmods; j++) mods[k++] = s[i].mods[j];
  qsort(mods, k, sizeof *mods, cmp_i64);
  size_t d = 0;
  for (size_t i = 0; i < k; i++)
    if (d == 0 || mods[d - 1] != mods[i]) mods[d++] = mods[i];
  *count = d;
  return mods;
}

static size_t mod_id(const int64_t *mods, size_t count, int64_t mod) {
  const int64_t *found = bsearch(&mod, mods, count, sizeof *mods, cmp_i64);
  return (size_t)(found - mods);
}

/* ---- concurrency ---- */

typedef struct event {
  int64_t t;
  size_t id;
  int delta;
} event;

static int cmp_event(const void *a, const void *b) {
  const event *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->delta - y->delta; /* ends (-1) before starts (+1) */
}

/* Peak of distinct ids active in each bucket (and overall) from start/end events. */
static int peak_distinct(event *ev, size_t nev, size_t nids, const range *r, ps_metric_series *out) {
  size_t *active = calloc(nids ? nids : 1, sizeof *active);
  if (!active) return PS_ENOMEM;
  qsort(ev, nev, sizeof *ev, cmp_event);
  size_t i = 0, distinct = 0;
  for (size_t b = 0; b < r->n; b++) {
    int64_t bucket_end = r->from + (int64_t)(b + 1) * r->interval;
    if (bucket_end > r->to) bucket_end = r->to;
    /* Everything up to and including the bucket's first instant sets the count it opens with
     * (a session ending exactly there is no longer active: intervals are half-open). */
    for (; i < nev && ev[i].t <= r->from + (int64_t)b * r->interval; i++) {
      if (ev[i].delta > 0 ? active[ev[i].id]++ == 0 : --active[ev[i].id] == 0)
        distinct += ev[i].delta > 0 ? 1 : (size_t)-1;
    }
    size_t best = distinct;
    for (; i < nev && ev[i].t < bucket_end; i++) {
      if (ev[i].delta > 0 ? active[ev[i].id]++ == 0 : --active[ev[i].id] == 0)
        distinct += ev[i].delta > 0 ? 1 : (size_t)-1;
      if (distinct > best) best = distinct;
    }
    out->values[b] = (double)best;
    if (best > out->total) out->total = (double)best;
  }
  free(active);
  return PS_OK;
}

static int concurrency(int metric, const ps_session_interval *s, size_t n, const range *r,
                       ps_metric_series *out) {
  int rc = PS_ENOMEM;
  size_t nids = 0, nev = 0, cap = 0;
  const char **players = NULL;
  int64_t *mods = NULL;
  if (metric == M_CCU) {
    players = distinct_players(s, n, &nids);
    cap = 2 * n;
  } else {
    mods = distinct_mods(s, n, &nids);
    for (size_t i = 0; i < n; i++) cap += 2 * s[i].nmods;
  }
  event *ev = malloc((cap ? cap : 1) * sizeof *ev);
  if ((!players && !mods) || !ev) goto out;
  for (size_t i = 0; i < n; i++) {
    if (s[i].end_ms <= s[i].start_ms) continue;
    size_t count = metric == M_CCU ? 1 : s[i].nmods;
    for (size_t j = 0; j < count; j++) {
      size_t id = metric == M_CCU ? player_id(players, nids, s[i].player)
                                  : mod_id(mods, nids, s[i].mods[j]);
      ev[nev++] = (event){s[i].start_ms, id, +1};
      ev[nev++] = (event){s[i].end_ms, id, -1};
    }
  }
  rc = peak_distinct(ev, nev, nids, r, out);
out:
  free(ev);
  free(players);
  free(mods);
  return rc;
}

/* ---- counts and means ---- */

static int cmp_by_player(const void *a, const void *b) {
  return strcmp((*(const ps_session_interval *const *)a)->player,
                (*(const ps_session_interval *const *)b)->player);
}

/* Distinct players per bucket: sessions are walked grouped by player, and a bucket counts a
 * player once (it remembers the last player that marked it). */
static int total_players(const ps_session_interval *s, size_t n, const range *r,
                         ps_metric_series *out) {
  const ps_session_interval **order = malloc((n ? n : 1) * sizeof *order);
  size_t *marked = calloc(r->n ? r->n : 1, sizeof *marked); /* player ordinal */
  if (!order || !marked) {
    free(order);
    free(marked);
    return PS_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) order[i] = &s[i];
  qsort(order, n, sizeof *order, cmp_by_player);
  size_t ordinal = 0;
  int counted = 0; /* the current player already counts in the total */
  for (size_t k = 0; k < n; k++) {
    const ps_session_interval *it = order[k];
    if (k == 0 || strcmp(order[k - 1]->player, it->player) != 0) {
      ordinal++;
      counted = 0;
    }
    size_t b0, b1;
    /* A zero-length session (start == end: it started and ended within the same
     * millisecond, or the same second in seconds-resolution clients) is present at its start
     * instant: it counts in the bucket holding its start. */
    int64_t end = it->end_ms == it->start_ms ? it->start_ms + 1 : it->end_ms;
    if (!overlapped(r, it->start_ms, end, &b0, &b1)) continue;
    if (!counted) {
      counted = 1;
      out->total++;
    }
    for (size_t b = b0; b <= b1; b++) {
      if (marked[b] != ordinal) {
        marked[b] = ordinal;
        out->values[b]++;
      }
    }
  }
  free(order);
  free(marked);
  return PS_OK;
}

/* Adds value to the bucket holding t (and to the overall sum), and counts it. Sums are exact
 * integers (milliseconds, mod counts); a mean is sum / count computed once at the end, with
 * ps_metric_mean, so that sums added up in any order (rollups) give the same figure. */
static void accumulate(const range *r, int64_t t, int64_t value, int64_t *sums, int64_t *counts,
                       int64_t *total_sum, int64_t *total_count) {
  if (!in_range(r, t)) return;
  size_t b = bucket_at(r, t);
  sums[b] += value;
  counts[b]++;
  *total_sum += value;
  (*total_count)++;
}

double ps_metric_mean(int64_t sum, int64_t count, double unit) {
  return count ? (double)sum / unit / (double)count : 0;
}

static int means(int metric, const ps_session_interval *s, size_t n, const range *r,
                 ps_metric_series *out) {
  int64_t *sums = calloc(r->n ? 2 * r->n : 1, sizeof *sums), total_sum = 0, total_count = 0;
  if (!sums) return PS_ENOMEM;
  int64_t *counts = sums + r->n;
  for (size_t i = 0; i < n; i++) {
    if (metric == M_SESSIONS || metric == M_AVG_UGC)
      accumulate(r, s[i].start_ms, (int64_t)s[i].nmods, sums, counts, &total_sum, &total_count);
    else if (s[i].over) /* M_AVG_PLAYTIME */
      accumulate(r, s[i].end_ms, s[i].end_ms - s[i].start_ms, sums, counts, &total_sum,
                 &total_count);
  }
  double unit = metric == M_AVG_PLAYTIME ? 1000.0 : 1.0;
  for (size_t b = 0; b < r->n; b++)
    out->values[b] = metric == M_SESSIONS ? (double)counts[b] : ps_metric_mean(sums[b], counts[b], unit);
  out->total = metric == M_SESSIONS ? (double)total_count : ps_metric_mean(total_sum, total_count, unit);
  free(sums);
  return PS_OK;
}

/* ---- grouped metrics ---- */

static int new_group(ps_metric_result *res, const char *key) {
  return ps_metric_result_group(res, key) ? PS_OK : PS_ENOMEM;
}

const char *const ps_length_bucket_keys[PS_LENGTH_BUCKETS] = {"0-5m", "5-30m", "30-60m", "1-2h",
                                                               "2h+"};

size_t ps_length_bucket(int64_t start_ms, int64_t end_ms) {
  static const int64_t upper_s[] = {5 * 60, 30 * 60, 60 * 60, 2 * 3600, INT64_MAX};
  int64_t length_s = (end_ms - start_ms) / 1000;
  size_t k = 0;
  while (length_s >= upper_s[k]) k++;
  return k;
}

/* Counts one at the bucket holding t. */
static void count_at(const range *r, int64_t t, ps_metric_series *s) {
  if (!in_range(r, t)) return;
  s->values[bucket_at(r, t)]++;
  s->total++;
}

static int length_histogram(const ps_session_interval *s, size_t n, const range *r,
                            ps_metric_result *res) {
  for (size_t k = 0; k < PS_LENGTH_BUCKETS; k++)
    if (new_group(res, ps_length_bucket_keys[k]) != PS_OK) return PS_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    if (!s[i].over) continue;
    count_at(r, s[i].end_ms, &res->groups[ps_length_bucket(s[i].start_ms, s[i].end_ms)]);
    count_at(r, s[i].end_ms, &res->whole);
  }
  return PS_OK;
}

static int cmp_group_total(const void *a, const void *b) {
  const ps_metric_series *x = a, *y = b;
  if (x->total != y->total) return x->total > y->total ? -1 : 1;
  return strcmp(x->key, y->key);
}

/* Playtime is summed in exact milliseconds (per mod and bucket, in one array: nmods + 1 rows,
 * the last for the whole), then turned into seconds once, so that sums added up in any order
 * (rollups) give the same figure. Only mods with playtime in the range are listed. */
static int top_mods(const ps_session_interval *s, size_t n, const range *r,
                    ps_metric_result *res) {
  size_t nmods;
  int64_t *mods = distinct_mods(s, n, &nmods);
  if (!mods) return PS_ENOMEM;
  int64_t *ms = calloc((nmods + 1) * (r->n + 1), sizeof *ms); /* [mod][bucket], total last */
  if (!ms) {
    free(mods);
    return PS_ENOMEM;
  }
  size_t stride = r->n + 1;
  int64_t *whole = ms + nmods * stride;
  for (size_t i = 0; i < n; i++) {
    size_t b0, b1;
    if (!s[i].nmods || !overlapped(r, s[i].start_ms, s[i].end_ms, &b0, &b1)) continue;
    for (size_t b = b0; b <= b1; b++) {
      int64_t lo = r->from + (int64_t)b * r->interval, hi = lo + r->interval;
      if (lo < s[i].start_ms) lo = s[i].start_ms;
      if (hi > s[i].end_ms) hi = s[i].end_ms;
      if (hi > r->to) hi = r->to;
      for (size_t j = 0; j < s[i].nmods; j++) {
        int64_t *row = ms + mod_id(mods, nmods, s[i].mods[j]) * stride;
        row[b] += hi - lo;
        row[r->n] += hi - lo;
        whole[b] += hi - lo;
        whole[r->n] += hi - lo;
      }
    }
  }
  int rc = PS_OK;
  char key[32];
  for (size_t m = 0; m < nmods && rc == PS_OK; m++) {
    const int64_t *row = ms + m * stride;
    if (row[r->n] == 0) continue;
    snprintf(key, sizeof key, "%lld", (long long)mods[m]);
    ps_metric_series *g = ps_metric_result_group(res, key);
    if (!g) {
      rc = PS_ENOMEM;
      break;
    }
    for (size_t b = 0; b < r->n; b++) g->values[b] = (double)row[b] / 1000.0;
    g->total = (double)row[r->n] / 1000.0;
  }
  for (size_t b = 0; b < r->n; b++) res->whole.values[b] = (double)whole[b] / 1000.0;
  res->whole.total = (double)whole[r->n] / 1000.0;
  free(ms);
  free(mods);
  if (rc != PS_OK) return rc;
  ps_metric_top_groups(res);
  return PS_OK;
}

void ps_metric_top_groups(ps_metric_result *res) {
  if (res->ngroups > 1) qsort(res->groups, res->ngroups, sizeof *res->groups, cmp_group_total);
  while (res->ngroups > TOP_MODS) free(res->groups[--res->ngroups].values);
}

/* ---- entry points ---- */

int ps_session_metric_compute(const char *name, const ps_session_interval *sessions, size_t n,
                              int64_t from_ms, int64_t to_ms, int64_t interval_ms,
                              ps_metric_result *out) {
  int metric = ps_playtime_metric_of(name);
  memset(out, 0, sizeof *out);
  if (metric < 0 || interval_ms <= 0 || to_ms <= from_ms) return PS_EINVAL;
  range r = {from_ms, to_ms, interval_ms, (size_t)((to_ms - from_ms + interval_ms - 1) / interval_ms)};
  out->from_ms = from_ms;
  out->interval_ms = interval_ms;
  out->nbuckets = r.n;
  if (!(out->whole.values = calloc(r.n ? r.n : 1, sizeof *out->whole.values))) return PS_ENOMEM;
  int rc;
  switch ((ps_playtime_metric)metric) {
    case M_CCU:
    case M_CONCURRENT_UGC: rc = concurrency(metric, sessions, n, &r, &out->whole); break;
    case M_TOTAL_PLAYERS: rc = total_players(sessions, n, &r, &out->whole); break;
    case M_LENGTH_HISTOGRAM: rc = length_histogram(sessions, n, &r, out); break;
    case M_TOP_MODS: rc = top_mods(sessions, n, &r, out); break;
    default: rc = means(metric, sessions, n, &r, &out->whole); break;
  }
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}
