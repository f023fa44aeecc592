/*
 * metrics.h: the server's own counters, rendered for GET /metrics in the Prometheus text
 * exposition format. Every update is a relaxed atomic add, safe from any thread and cheap
 * enough for the hot path; rendering reads a consistent-enough snapshot (counters only grow).
 *
 * Exposed series:
 *   playstat_http_requests_total{route,status}
 *   playstat_events_accepted_total{category}, playstat_events_rejected_total{category}
 *   playstat_events_duplicate_total
 *   playstat_ingest_queue_depth, playstat_ingest_queue_capacity (gauges, read at render time)
 *   playstat_commit_seconds (histogram of store transaction latency),
 *   playstat_commit_records_total
 */
#ifndef PS_COMMON_METRICS_H
#define PS_COMMON_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

typedef struct ps_metrics ps_metrics;

/* routes and categories name the label values; the arrays must outlive the metrics. */
int ps_metrics_create(const char *const *routes, size_t nroutes, const char *const *categories,
                      size_t ncategories, ps_metrics **out);
void ps_metrics_free(ps_metrics *m);

void ps_metrics_count_request(ps_metrics *m, size_t route, unsigned status);
/* category NULL or unknown counts under "unknown". */
void ps_metrics_count_events(ps_metrics *m, const char *category, int rejected, uint64_t n);
void ps_metrics_count_duplicates(ps_metrics *m, uint64_t n);
void ps_metrics_observe_commit(ps_metrics *m, int64_t duration_ns, size_t records);

/* Appends the exposition text to out. Returns 0 or PS_ENOMEM. */
int ps_metrics_render(ps_metrics *m, size_t queue_depth, size_t queue_capacity, ps_buf *out);

#endif
