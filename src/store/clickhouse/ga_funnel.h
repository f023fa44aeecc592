/*
 * ga_funnel.h: per-user funnels (store/funnel.h) in the ClickHouse event store; called by
 * ga_families.c for the funnel metric when ps_funnel_wanted.
 */
#ifndef PS_STORE_CLICKHOUSE_GA_FUNNEL_H
#define PS_STORE_CLICKHOUSE_GA_FUNNEL_H

#include "store/clickhouse/ga_sql.h"

/* Answers the per-user funnel q over scope sc's days (every filter of q applies; no
 * group_by) in out: one group per step. Returns 0, PS_EINVAL, PS_ENOMEM or the server's
 * error. Free out with ps_metric_result_free. */
int ps_ch_ga_funnel(const ps_ch_ga_scope *sc, const ps_metric_query *q, ps_metric_result *out);

#endif
