/* metric.c: the helpers of metric.h. */
#include "store/metric.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rfc3339.h"

void ps_metric_result_free(ps_metric_result *r) {
  free(r->whole.values);
  for (size_t i = 0; i < r->ngroups; i++) free(r->groups[i].values);
  free(r->groups);
  memset(r, 0, sizeof *r);
}

ps_metric_series *ps_metric_result_group(ps_metric_result *r, const char *key) {
  for (size_t i = 0; i < r->ngroups; i++)
    if (strcmp(r->groups[i].key, key) == 0) return &r->groups[i];
  double *values = calloc(r->nbuckets ? r->nbuckets : 1, sizeof *values);
  ps_metric_series *grown = values ? realloc(r->groups, (r->ngroups + 1) * sizeof *grown) : NULL;
  if (!grown) {
    free(values);
    return NULL;
  }
  r->groups = grown;
  ps_metric_series *g = &r->groups[r->ngroups++];
  memset(g, 0, sizeof *g);
  snprintf(g->key, sizeof g->key, "%s", key);
  g->values = values;
  return g;
}

ps_metric_series *ps_metric_result_cohort(ps_metric_result *r, int64_t day, double size) {
  char key[PS_RFC3339_LEN + 1];
  ps_rfc3339_format(day * 86400000LL, key);
  key[10] = '\0'; /* YYYY-MM-DD */
  ps_metric_series *g = ps_metric_result_group(r, key);
  if (g) g->total = size;
  return g;
}

const char *ps_metric_query_filter(const ps_metric_query *q, const char *dimension) {
  for (size_t i = 0; i < q->nfilters; i++)
    if (strcmp(q->filters[i].dimension, dimension) == 0) return q->filters[i].value;
  return NULL;
}

void ps_metric_series_raise(const ps_metric_result *r, ps_metric_series *s, int64_t t_ms,
                            double value) {
  if (t_ms < r->from_ms) return;
  size_t b = (size_t)((t_ms - r->from_ms) / r->interval_ms);
  if (b < r->nbuckets && value > s->values[b]) s->values[b] = value;
  if (value > s->total) s->total = value;
}
