/*
 * ltv.h: the metric ltv (lifetime value of install cohorts) in one currency, composed above
 * the event store as revenue is (insights/money.h).
 *
 * Definition (docs/http-api.md "LTV"; GameAnalytics' cumulative LTV by install cohort):
 * - a cohort is the users whose first day (the day of their first `user` event) is a day of
 *   the range: new_users of that day, with the same filters (event dimensions and first_build
 *   select the users whose first `user` event carries those values);
 * - LTV of cohort c at day N = the converted sum of every business amount its users sent on
 *   the days c .. c + N, divided by the cohort's size (new_users of c); N = 0 .. days (the
 *   query's days=, default PS_LTV_DEFAULT_DAYS, at most PS_LTV_MAX_DAYS);
 * - each amount converts into T (money.h's target) with the rates of the day it was spent,
 *   as revenue's do; what cannot convert is left out and its currency named in left_out;
 * - the answer is shaped as retention's: points t = N = 0 .. days, one group per cohort with
 *   users (key "YYYY-MM-DD", total its size, points its LTV), the whole the same over every
 *   cohort together (sum of their converted amounts / sum of their sizes) and total the sum
 *   of the sizes;
 * - a point whose day c + N is after today (the query's now) has not happened: null, and that
 *   cohort is left out of the whole's point N (null when no cohort has reached N);
 * - currency null (nothing converted although there was revenue): every point is null; the
 *   totals, being user counts, stay.
 */
#ifndef PS_INSIGHTS_LTV_H
#define PS_INSIGHTS_LTV_H

#include "insights/money.h"

/* Reads the query's days= (NULL: absent) into *days: NULL, or the problem for a 400. */
const char *ps_ltv_days(const char *text, int *days);

/* Answers the ltv query q (q->days set) converted into currency ("" for none) in out, what was
 * converted in note (zeroed by the caller). PS_OK, or what a store returned (nothing left to
 * free then). Called by ps_money_metric. */
int ps_ltv_metric(ps_event_store *events, ps_state_store *state, const ps_metric_query *q,
                  const char *currency, ps_metric_result *out, ps_money_note *note);

#endif
