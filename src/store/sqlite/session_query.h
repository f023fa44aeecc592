/*
 * session_query.h: one insights query over the metrics sessions of a game, answered from the
 * store: ccu and concurrent_ugc read the settled hours / days from the playtime rollups
 * (playtime_rollup.h, hour and day buckets) and the settled minutes from the per-minute
 * rollups (rollup.h), and compute only the rest from sessions; every other metric reads its
 * settled hours / days from the playtime rollups and computes the live tail from sessions with
 * hour or day buckets, and is computed from the sessions of the range with minute buckets. A
 * query constraining platform and portal at once is computed from sessions. Either way the
 * figures are those of session_metrics.h over session_set.h.
 */
#ifndef PS_STORE_SQLITE_SESSION_QUERY_H
#define PS_STORE_SQLITE_SESSION_QUERY_H

#include <stdint.h>

#include "store/sqlite/session_metrics.h"
#include "store/sqlite/internal.h"

typedef struct ps_session_query {
  const char *metric;
  int64_t from_ms, to_ms, interval_ms; /* from and to on interval boundaries */
  const char *platform, *portal;       /* filters, NULL: all */
  int group_by_portal;                 /* with group_by: 0 platform, 1 portal */
  int group_by;                        /* groups by platform or portal (not for metrics that
                                          have groups of their own) */
} ps_session_query;

/* Answers q into out (its groups: the metric's own, or one per platform / portal value in
 * key order when q->group_by). now_ms and timeout_ms: see session_set.h. Returns 0, PS_EINVAL,
 * PS_ENOMEM or the store's error. Free out with ps_metric_result_free. */
int ps_session_query_run(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                         int64_t now_ms, int64_t timeout_ms, ps_metric_result *out);

#endif
