/*
 * match_metrics.h: matchmaking insights over multiplayer sessions (session observability),
 * in the insights API's shape. A session counts in the bucket of its createdAt (UTC):
 *
 *   matches_created             sessions with a match.created
 *   allocation_failure_rate     failed / (failed + allocated) among sessions whose allocation
 *                               has an outcome (document.h: status Failed or Allocated)
 *   time_to_allocation_p50      seconds from allocation.requested to allocation.succeeded of
 *   time_to_allocation_p95      allocated sessions: the 50th / 95th percentile (nearest rank)
 *   players_per_match           mean distinct players of sessions with a match.created
 *
 * total: the same over the whole range. Buckets without a session are 0. Groups (group_by):
 * "region" (the latest allocation's regionId), "pool" (poolName, else poolId) or "queue"
 * (queueName, else queueId); sessions without the attribute group under "unknown".
 */
#ifndef PS_STORE_SQLITE_MATCH_METRICS_H
#define PS_STORE_SQLITE_MATCH_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "store/sqlite/session_metrics.h"
#include "store/sqlite/internal.h"

/* Computes name over the project's sessions created in [from_ms, to_ms) (from on an interval
 * boundary), grouped when group_by is not NULL (groups in key order). Returns 0, PS_EINVAL,
 * PS_ENOMEM or the store's error. Free out with ps_metric_result_free. */
int ps_match_query_run(sqlite_store *store, const char *project_id, const char *name,
                       int64_t from_ms, int64_t to_ms, int64_t interval_ms, const char *group_by,
                       ps_metric_result *out);

#endif
