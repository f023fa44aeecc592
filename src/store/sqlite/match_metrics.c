/* match_metrics.c: see match_metrics.h. The sessions of the range are loaded once as small
 * items; each series (the whole, then each group) is computed from the items it covers. */
#include "store/sqlite/match_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/errors.h"
#include "store/metric_ids.h"



static int group_known(const char *g) {
  return strcmp(g, "region") == 0 || strcmp(g, "pool") == 0 || strcmp(g, "queue") == 0;
}

typedef struct item {
  int64_t created_ms;
  int matched;    /* has a match.created */
  int outcome;    /* 0 none, 1 allocated, 2 failed */
  double wait_s;  /* requested -> succeeded, when allocated after a request; else -1 */
  double players;
  char key[130];  /* group key */
} item;

typedef struct items {
  item *v;
  size_t n, cap;
  const char *group_by;
} items;

static const char *group_key(const ps_so_session *s, const char *group_by) {
  const char *key = "";
  if (strcmp(group_by, "region") == 0) key = s->region_id;
  else if (strcmp(group_by, "pool") == 0) key = *s->pool_name ? s->pool_name : s->pool_id;
  else key = *s->queue_name ? s->queue_name : s->queue_id;
  return *key ? key : "unknown";
}

static int add_item(const ps_so_session *s, void *ctx) {
  items *l = ctx;
  if (PS_ARRAY_RESERVE(l->v, l->n, l->cap)) return PS_ENOMEM;
  item *it = &l->v[l->n++];
  memset(it, 0, sizeof *it);
  it->created_ms = s->created_ms;
  it->matched = s->match_created_ms >= 0;
  int outcome = s->completed_ms >= 0 && s->completed_ms >= s->requested_ms;
  it->outcome = !outcome ? 0 : strcmp(s->completion, "failed") == 0 ? 2 : 1;
  it->wait_s = it->outcome == 1 && s->requested_ms >= 0
                   ? (double)(s->completed_ms - s->requested_ms) / 1000.0
                   : -1;
  it->players = (double)s->players;
  if (l->group_by) snprintf(it->key, sizeof it->key, "%s", group_key(s, l->group_by));
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values (0 when none). */
static double percentile(const double *sorted, size_t n, double p) {
  if (!n) return 0;
  size_t rank = (size_t)ceil(p / 100.0 * (double)n);
  return sorted[rank ? rank - 1 : 0];
}

/* The value of the metric over the items in [lo, hi) of `order` (indexes into v). */
static double value_of(int metric, const item *v, const size_t *order, size_t lo, size_t hi,
                       double *scratch) {
  double sum = 0, count = 0;
  size_t k = 0;
  for (size_t i = lo; i < hi; i++) {
    const item *it = &v[order[i]];
    switch (metric) {
      case MATCHES: sum += it->matched; break;
      case FAILURE_RATE:
        if (it->outcome) {
          sum += it->outcome == 2;
          count++;
        }
        break;
      case PLAYERS:
        if (it->matched) {
          sum += it->players;
          count++;
        }
        break;
      default:
        if (it->wait_s >= 0) scratch[k++] = it->wait_s;
        break;
    }
  }
  if (metric == MATCHES) return sum;
  if (metric == WAIT_P50 || metric == WAIT_P95) {
    qsort(scratch, k, sizeof *scratch, cmp_double);
    return percentile(scratch, k, metric == WAIT_P50 ? 50 : 95);
  }
  return count ? sum / count : 0;
}

static int cmp_created(const void *a, const void *b) {
  int64_t x = ((const item *)a)->created_ms, y = ((const item *)b)->created_ms;
  return x < y ? -1 : x > y;
}

/* Fills s from the items listed in order[0..n) (sorted by created_ms). */
static void series_of(int metric, const item *v, const size_t *order, size_t n, int64_t from_ms,
                      int64_t interval_ms, size_t nbuckets, double *scratch, ps_metric_series *s) {
  size_t i = 0;
  for (size_t b = 0; b < nbuckets; b++) {
    int64_t end = from_ms + (int64_t)(b + 1) * interval_ms;
    size_t lo = i;
    while (i < n && v[order[i]].created_ms < end) i++;
    s->values[b] = value_of(metric, v, order, lo, i, scratch);
  }
  s->total = value_of(metric, v, order, 0, n, scratch);
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}

int ps_match_query_run(sqlite_store *store, const char *project_id, const char *name,
                       int64_t from_ms, int64_t to_ms, int64_t interval_ms, const char *group_by,
                       ps_metric_result *out) {
  memset(out, 0, sizeof *out);
  int metric = ps_match_metric_of(name);
  if (metric < 0 || interval_ms <= 0 || to_ms <= from_ms || (group_by && !group_known(group_by)))
    return PS_EINVAL;
  items l = {.group_by = group_by};
  int rc = ps_sqlite_so_sessions_range(store, project_id, from_ms, to_ms, add_item, &l);
  size_t *order = rc == PS_OK ? malloc((l.n ? l.n : 1) * sizeof *order) : NULL;
  size_t *subset = order ? malloc((l.n ? l.n : 1) * sizeof *subset) : NULL;
  double *scratch = subset ? malloc((l.n ? l.n : 1) * sizeof *scratch) : NULL;
  out->from_ms = from_ms;
  out->interval_ms = interval_ms;
  out->nbuckets = (size_t)((to_ms - from_ms + interval_ms - 1) / interval_ms);
  if (rc == PS_OK && (!scratch || !(out->whole.values = calloc(out->nbuckets, sizeof(double)))))
    rc = PS_ENOMEM;
  if (rc == PS_OK) {
    if (l.n > 1) qsort(l.v, l.n, sizeof *l.v, cmp_created);
    for (size_t i = 0; i < l.n; i++) order[i] = i;
    series_of(metric, l.v, order, l.n, from_ms, interval_ms, out->nbuckets, scratch, &out->whole);
  }
  /* Groups: one pass per distinct key, over that key's items (still in created order). */
  for (size_t i = 0; rc == PS_OK && group_by && i < l.n; i++) {
    const char *key = l.v[order[i]].key;
    int seen = 0;
    for (size_t g = 0; g < out->ngroups && !seen; g++) seen = strcmp(out->groups[g].key, key) == 0;
    if (seen) continue;
    ps_metric_series *g = ps_metric_result_group(out, key);
    if (!g) {
      rc = PS_ENOMEM;
      break;
    }
    size_t m = 0;
    for (size_t j = 0; j < l.n; j++)
      if (strcmp(l.v[order[j]].key, key) == 0) subset[m++] = order[j];
    series_of(metric, l.v, subset, m, from_ms, interval_ms, out->nbuckets, scratch, g);
  }
  if (rc == PS_OK && out->ngroups > 1)
    qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
  free(l.v);
  free(order);
  free(subset);
  free(scratch);
  if (rc != PS_OK) ps_metric_result_free(out);
  return rc;
}
