/* ltv.c: see ltv.h. */
#include "store/ltv.h"

#include <stdlib.h>
#include <string.h>

#include "common/errors.h"

#define DAY_MS 86400000LL

int ps_ltv_result_init(ps_metric_result *out, int64_t from_day, int64_t to_day, int days) {
  memset(out, 0, sizeof *out);
  if (to_day <= from_day || to_day - from_day > PS_LTV_MAX_COHORTS || days < 0 ||
      days > PS_LTV_MAX_DAYS)
    return PS_EINVAL;
  out->from_ms = from_day * DAY_MS;
  out->interval_ms = DAY_MS;
  out->nbuckets = (size_t)(to_day - from_day) * (size_t)(days + 1);
  out->whole.values = calloc(out->nbuckets, sizeof *out->whole.values);
  return out->whole.values ? PS_OK : PS_ENOMEM;
}

int ps_ltv_result_add(ps_metric_result *out, int days, const char *currency, int64_t cohort_day,
                      int64_t k, double amount) {
  int64_t c = cohort_day - out->from_ms / DAY_MS, width = (int64_t)days + 1;
  if (c < 0 || k < 0 || k > days || (size_t)((c + 1) * width) > out->nbuckets) return PS_OK;
  ps_metric_series *g = ps_metric_result_group(out, currency);
  if (!g) return PS_ENOMEM;
  g->values[c * width + k] += amount;
  return PS_OK;
}

static int cmp_key(const void *a, const void *b) {
  return strcmp(((const ps_metric_series *)a)->key, ((const ps_metric_series *)b)->key);
}

void ps_ltv_result_finish(ps_metric_result *out) {
  if (out->ngroups > 1) qsort(out->groups, out->ngroups, sizeof *out->groups, cmp_key);
  for (size_t g = 0; g < out->ngroups; g++) {
    double sum = 0;
    for (size_t b = 0; b < out->nbuckets; b++) sum += out->groups[g].values[b];
    out->groups[g].total = sum;
  }
}
