/*
 * ltv.c: see ltv.h. Two questions to the event store: new_users (the cohorts' sizes, by the
 * one definition of a first day both backends keep) and ltv (store/ltv.h: each cohort's
 * amounts per day since install and currency); one read of the rates over the days the
 * purchases can fall on; then running sums per cohort.
 */
#include "insights/ltv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/ltv.h"

#define DAY_MS 86400000LL

const char *ps_ltv_days(const char *text, int *days) {
  *days = PS_LTV_DEFAULT_DAYS;
  if (!text) return NULL;
  char *end;
  long v = strtol(text, &end, 10);
  if (!*text || *end || v < 0 || v > PS_LTV_MAX_DAYS)
    return "days is the last day since install LTV answers, 0 to 365 (points 0..days)";
  *days = (int)v;
  return NULL;
}

/* The cohorts' running sums into out (set up with width points), from the store's sizes (one
 * bucket per cohort day) and raw amounts (store/ltv.h), converted with t; *some and *any as
 * money.c's convert() sets them. */
static int accumulate(const ps_metric_result *sizes, const ps_metric_result *raw,
                      const ps_money_rates *t, int64_t from_day, int64_t today, size_t width,
                      ps_metric_result *out, ps_money_note *note, int *some, int *any) {
  double *spent = calloc(width, sizeof *spent), *users = calloc(width, sizeof *users);
  int rc = spent && users ? PS_OK : PS_ENOMEM;
  for (size_t c = 0; rc == PS_OK && c < sizes->nbuckets; c++) {
    double size = sizes->whole.values[c];
    if (size <= 0) continue;
    ps_metric_series *g = ps_metric_result_cohort(out, from_day + (int64_t)c, size);
    if (!g) {
      rc = PS_ENOMEM;
      break;
    }
    out->whole.total += size;
    double run = 0;
    for (size_t k = 0; rc == PS_OK && k < width; k++) {
      int64_t day = from_day + (int64_t)(c + k);
      for (size_t i = 0; rc == PS_OK && i < raw->ngroups; i++) {
        double amount = raw->groups[i].values[c * width + k];
        if (amount == 0) continue;
        *any = 1;
        double factor = ps_money_rates_factor(t, i, day);
        if (factor > 0) run += amount * factor, *some = 1;
        else rc = ps_money_note_left_out(note, raw->groups[i].key);
      }
      if (day > today) {
        g->values[k] = NAN; /* not happened yet */
        continue;
      }
      g->values[k] = run / size;
      spent[k] += run;
      users[k] += size;
    }
  }
  for (size_t k = 0; rc == PS_OK && k < width; k++)
    out->whole.values[k] = users[k] > 0 ? spent[k] / users[k] : NAN;
  free(spent);
  free(users);
  return rc;
}

int ps_ltv_metric(ps_event_store *events, ps_state_store *state, const ps_metric_query *q,
                  const char *currency, ps_metric_result *out, ps_money_note *note) {
  memset(out, 0, sizeof *out);
  const char *target = currency ? currency : "";
  size_t width = (size_t)q->days + 1;
  int64_t from_day = q->from_ms / DAY_MS;
  ps_metric_query ask = *q;
  ask.metric = "new_users";
  ps_metric_result sizes = {0}, raw = {0};
  ps_money_rates t = {0};
  int rc = q->group_by ? PS_EINVAL : events->ops->metric(events, &ask, &sizes);
  ask.metric = "ltv";
  if (rc == PS_OK) rc = events->ops->metric(events, &ask, &raw);
  if (rc == PS_OK && (raw.nbuckets != sizes.nbuckets * width || raw.from_ms != sizes.from_ms))
    rc = PS_EIO; /* the store answered another range */
  if (rc == PS_OK)
    rc = ps_money_rates_load(state, from_day, sizes.nbuckets + width, target, &raw, &t);
  out->interval_ms = 1000; /* points t = N = 0 .. days */
  out->nbuckets = width;
  if (rc == PS_OK)
    rc = (out->whole.values = calloc(width, sizeof *out->whole.values)) ? PS_OK : PS_ENOMEM;
  int some = 0, any = 0;
  if (rc == PS_OK)
    rc = accumulate(&sizes, &raw, &t, from_day, q->now_ms / DAY_MS, width, out, note, &some,
                    &any);
  if (rc == PS_OK && !ps_money_note_close(note, target, some, any)) {
    for (size_t k = 0; k < width; k++) out->whole.values[k] = NAN;
    for (size_t g = 0; g < out->ngroups; g++)
      for (size_t k = 0; k < width; k++) out->groups[g].values[k] = NAN;
  }
  ps_money_rates_free(&t);
  ps_metric_result_free(&sizes);
  ps_metric_result_free(&raw);
  if (rc != PS_OK) {
    ps_metric_result_free(out);
    ps_money_note_free(note);
  }
  return rc;
}
