/*
 * ltv.h: what an event store answers for the metric "ltv" (the raw figures; insights/ltv.h
 * converts them into one currency and divides by the cohorts' sizes), and the helpers both
 * backends fill that answer with, so its layout is written down once.
 *
 * A cohort is the users whose first day (the day of their first `user` event: the new_users
 * and retention definition) is one of the days [from, to) of the query; with filters, those
 * whose first `user` event carries every filtered value (first_build: its build), exactly the
 * users new_users counts. The store answers, per cohort day c (0 .. to - from - 1), day since
 * install k (0 .. q->days) and currency, the sum of the business amounts (minor units, as
 * sent, as revenue sums them) the cohort's users sent on day c + k, whatever those events
 * carry (filters choose the cohort, not its purchases). A user's purchases before its first
 * day count nowhere.
 *
 * Layout of the answer (ps_ltv_result_init): nbuckets = ncohorts * (days + 1), bucket
 * c * (days + 1) + k; from_ms the first cohort's day, interval_ms one day; one group per
 * currency (key as revenue's groups), total the sum of its buckets; the whole is zero. It is
 * an intermediate answer: the read API never renders it (the metric is money, insights/money.h).
 */
#ifndef PS_STORE_LTV_H
#define PS_STORE_LTV_H

#include <stdint.h>

#include "store/metric.h"

#define PS_LTV_DEFAULT_DAYS 30
#define PS_LTV_MAX_DAYS 365
/* At most this many cohort days at a time (the answer holds days + 1 buckets per cohort). */
#define PS_LTV_MAX_COHORTS 366

/* Sets out up for cohort days [from_day, to_day) and days since install 0..days. PS_OK,
 * PS_EINVAL (an empty range, days outside 0..PS_LTV_MAX_DAYS, too many cohorts) or
 * PS_ENOMEM. */
int ps_ltv_result_init(ps_metric_result *out, int64_t from_day, int64_t to_day, int days);
/* Adds amount to currency's bucket of cohort_day and day since install k, in an answer set up
 * with days (ignored outside its cohorts and days). PS_OK or PS_ENOMEM. */
int ps_ltv_result_add(ps_metric_result *out, int days, const char *currency, int64_t cohort_day,
                      int64_t k, double amount);
/* Sorts the currency groups by key and sets their totals (after the last add). */
void ps_ltv_result_finish(ps_metric_result *out);

#endif
