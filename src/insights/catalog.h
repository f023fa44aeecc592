/*
 * catalog.h: the metric catalogue of the read API: every metric's name, the records it is
 * computed from, the parameters it takes and how its answer groups. It is the one list the
 * API validates against; an event store answers any entry (store/metric.h) however it likes.
 *
 * Analytics events (source events; daily buckets; filters over the event dimensions (platform,
 * build, os_version, custom_01..03, country of the client address (`serve --geoip`):
 * ps_catalog_dimensions) and the user attributes
 * first_build and new (ps_catalog_user_attributes); group_by over one event dimension, beside
 * the filters where ps_catalog_filters_with_group_by says; which metric takes which filter,
 * and whether several at once, is ps_catalog_takes / PS_METRIC_SEGMENTS below; what a
 * segment means for each metric is docs/http-api.md "Segments"):
 *   dau, wau, mau        distinct active users on the day / the 7 / the 30 days ending with it;
 *                        total: distinct active users over the range
 *   new_users            users whose first `user` event is on the day; total: sum
 *   sessions             `user` events (source=events); total: sum
 *   avg_session_length   mean session_end length (s); total: over the range
 *   sessions_per_user    sessions / dau; total: sessions / distinct active users
 *   revenue              sum of business amount (as sent, cents); groups: one per currency
 *   paying_users         distinct users with a business event; total: over the range
 *   arpdau, arppu        revenue / dau, revenue / paying users
 *   (money: revenue, arpdau and arppu answer in one currency, currency=, else the game's
 *   reporting currency, else EUR, converted with dated exchange rates by insights/money.h above the event
 *   store, and name it: "currency", "left_out". The event store's own whole series of
 *   revenue, arpdau and arppu add currencies up and are not served; a group_by's groups are
 *   the metric filtered to each value, converted the same way.)
 *   conversion           paying users / dau; total: distinct paying / distinct active
 *   retention            groups: one per cohort (key "YYYY-MM-DD"), points t = 1..30 days since
 *                        install, v = share of the cohort active that day
 *   ltv                  groups: one per cohort (as retention's), points t = N = 0..days (days=,
 *                        default 30): the cohort's converted revenue of days 0..N since install
 *                        per user (money, insights/ltv.h); filters choose the cohort
 *   progression, funnel, resources, design, errors, ads   families with groups of their own and
 *                        measure / by / prefix / steps (docs/http-api.md)
 *   funnel               with a window= or a kind:id step (design, progression, resource,
 *                        business): per-user conversion, one group per step in order (users who
 *                        reached it; points by the day they entered the funnel), the whole the
 *                        last step; every event dimension at once, no group_by (store/funnel.h)
 * Metrics sessions (source playtime; minute, hour or day; filters and group_by platform, portal):
 *   ccu, concurrent_ugc, total_players, sessions, avg_playtime, avg_ugc_per_session,
 *   session_length_histogram (own groups), top_mods (own groups)
 * Multiplayer sessions (source matchmaking; group_by region, pool or queue; no filter):
 *   matches_created, allocation_failure_rate, time_to_allocation_p50, time_to_allocation_p95,
 *   players_per_match
 */
#ifndef PS_INSIGHTS_CATALOG_H
#define PS_INSIGHTS_CATALOG_H

#include "store/metric.h"

enum {
  PS_METRIC_OWN_GROUPS = 1, /* answers with groups of its own */
  PS_METRIC_GROUPABLE = 2,  /* takes a dimension group_by */
  PS_METRIC_FAMILY = 4,     /* takes measure, by, prefix, steps */
  /* Analytics events: which filters a metric takes (every events metric takes one event
   * dimension at a time). */
  PS_METRIC_SEGMENTS = 8,     /* several event dimensions at once (AND) */
  PS_METRIC_FIRST_BUILD = 16, /* first_build: the build of the user's first `user` event */
  PS_METRIC_NEW = 32,         /* new=new|returning: whether the day is the user's first day */
  PS_METRIC_MONEY = 64,       /* converted into one currency (insights/money.h) */
  /* the per-user funnel (window= or kind:id steps: store/funnel.h) takes several event
   * dimensions at once: the events that carry every value; its older form one */
  PS_METRIC_SEGMENTS_PER_USER = 128,
};

typedef struct ps_catalog_metric {
  const char *name;
  ps_metric_source source;
  unsigned flags;
} ps_catalog_metric;

/* The metric called name. source: "events" or "sessions" to choose where a name is in both
 * ("sessions"), NULL for the default (metrics sessions). NULL when unknown. */
const ps_catalog_metric *ps_catalog_find(const char *name, const char *source);
/* Whether dimension filters / groups the source's metrics ("platform", "portal", ...). */
int ps_catalog_dimension(ps_metric_source source, const char *dimension);
/* The source's dimensions, NULL-terminated (for filters read from a query string). */
const char *const *ps_catalog_dimensions(ps_metric_source source);
/* The user attributes analytics-event metrics may filter by, NULL-terminated: first_build,
 * new. They are not dimensions: no group_by, no event carries them. */
const char *const *ps_catalog_user_attributes(void);
/* Whether m takes a filter on dimension (a dimension of its source or a user attribute). */
int ps_catalog_takes(const ps_catalog_metric *m, const char *dimension);
/* Whether m takes group_by beside its filters (each group: the filters and the group's
 * value): a metric with a group_by and filters, on analytics events a segment's. */
int ps_catalog_filters_with_group_by(const ps_catalog_metric *m);
/* The whole catalogue (n entries), in its order, for GET /api/v1/metrics. */
const ps_catalog_metric *ps_catalog_all(size_t *n);

#endif
