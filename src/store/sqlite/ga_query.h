/*
 * ga_query.h: insights over analytics events, read from the rollups (ga_rollup.h), per UTC day:
 *
 *   dau, wau, mau        distinct active users on the day / the 7 / the 30 days ending with it;
 *                        total: distinct active users over the range
 *   new_users            users whose first `user` event is on the day; total: sum
 *   sessions             `user` events; total: sum
 *   avg_session_length   mean session_end length (s); total: over the range
 *   sessions_per_user    sessions / dau; total: sessions / distinct active users
 *   revenue              sum of business amount (as sent, cents); groups: one per currency
 *   paying_users         distinct users with a business event; total: over the range
 *   arpdau               revenue / dau; total: revenue / sum of dau
 *   arppu                revenue / paying users; total: revenue / distinct paying users
 *   conversion           paying users / dau; total: distinct paying / distinct active
 *   retention            groups: one per cohort (users new on a day of the range, key
 *                        "YYYY-MM-DD"), points t = 1..30 days since install, v = share of the
 *                        cohort active that day (0 when that day is still to come); the whole:
 *                        the same over all cohorts together; total: cohort size(s)
 *
 *
 * Families, answering one group per key (points per day, total over the range); the whole is
 * the same measure over every group:
 *   progression   groups: progression ids one level below prefix (no prefix: the first level;
 *                 "World1" drills into "World1:Level1", ...); measure starts | fails |
 *                 completes (default) | attempts (mean attempt_num of Fail and Complete)
 *   funnel        steps=a,b,c: one group per progression id, in the order given; measure as
 *                 for progression (default completes)
 *   resources     groups: "Flow:Currency" (by=currency, default), "Flow:Currency:ItemType"
 *                 (by=item_type) or the whole event id (by=item_id); measure sum (default) | count
 *   design        groups: event ids one level below prefix; measure count (default) | sum |
 *                 mean | min | max of value (a missing value counts as 0)
 *   errors        groups: severity (by=severity, default) or "severity|first line of the
 *                 message" (by=message, the 10 most frequent); measure count
 *   ads           groups: ad_action (by=action, default), ad_sdk_name (by=network), ad_type
 *                 (by=type) or ad_placement (by=placement); measure count
 *
 * A query may filter one dimension (platform, build, os_version, custom_01..03) to a value,
 * and group by one (groups: one per value seen in the range, in key order); families take a
 * filter but not a dimension group_by.
 *
 * Or it may take a segment: several dimensions at once, and the user attributes first_build
 * and new (insights/catalog.h says which metric takes which; docs/http-api.md "Segments"):
 *   users (dau, wau, mau, paying_users, conversion, the users of the ratios): a user is in
 *     the segment on a day when, that day, it sent an event carrying each filtered dimension
 *     value (not necessarily one event carrying them all), its first build is first_build
 *     and the day is (new) or is not (returning) its first day: the AND of the dimensions'
 *     day bitmaps, the bitmap of users first seen with that build (the union of its "new"
 *     bitmaps over every day) and the day's "new" bitmap;
 *   new users: those whose first `user` event carries every filtered value (and first_build);
 *     new=returning has none;
 *   sessions, session length, revenue: the events carrying every filtered value, summed from
 *     the combination rollup (ga_combos.h); they take no user attribute;
 *   retention: cohorts and returns both in the segment (dimensions, first_build);
 *   families: one dimension at a time (no segment).
 * A group_by beside a segment (or one filter): the groups are those of the group_by alone
 * (every value seen over the widened range), each the segment with the group's value as one
 * more dimension filter: users, the group's bitmaps ANDed with the segment's; sums, the
 * matching combos that carry the value. The whole is the segment.
 * group_by first_build (the values endpoint's): one group per first build seen, no filter.
 */
#ifndef PS_STORE_SQLITE_GA_QUERY_H
#define PS_STORE_SQLITE_GA_QUERY_H

#include <stdint.h>

#include "store/sqlite/session_metrics.h"
#include "store/sqlite/internal.h"

enum { PS_GA_ANY_DAY, PS_GA_NEW_DAY, PS_GA_RETURNING_DAY };
#define PS_GA_GROUP_FIRST_BUILD 1000 /* group_dim: by the users' first build */

typedef struct ps_ga_query {
  const char *metric;
  int64_t from_day, to_day; /* UTC day numbers, [from, to) */
  int dim;                  /* filter: 0 none, else 1..6 with value */
  const char *value;
  int group_dim;            /* group_by: 0 none, else 1..6 (PS_GA_GROUP_FIRST_BUILD) */
  /* A segment (several dimensions, or a user attribute; dim is 0 then): */
  int seg_dims[PS_METRIC_MAX_FILTERS];
  const char *seg_values[PS_METRIC_MAX_FILTERS];
  size_t nseg;
  const char *first_build; /* NULL: any */
  int new_day;             /* PS_GA_ANY_DAY, PS_GA_NEW_DAY, PS_GA_RETURNING_DAY */
  int64_t today;            /* retention: days after it have not happened (0: to_day) */
  const char *measure, *by, *prefix, *steps; /* families; NULL: their defaults */
} ps_ga_query;

int ps_ga_metric_known(const char *name);

/* Answers q in out (day buckets from from_day; retention: 30 points t = 1..30). Returns 0,
 * PS_EINVAL, PS_ENOMEM or the store's error. Free out with ps_metric_result_free. */
int ps_ga_query_run(sqlite_store *store, int64_t game_id, const ps_ga_query *q, ps_metric_result *out);

#endif
