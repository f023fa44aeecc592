/*
 * ga_funnel.h: per-user funnels (store/funnel.h) in the SQLite event store, read from the
 * events table's digest columns through the indexes of ps_sqlite_funnel_schema. Called by
 * events.c for the funnel metric when ps_funnel_wanted.
 */
#ifndef PS_STORE_SQLITE_GA_FUNNEL_H
#define PS_STORE_SQLITE_GA_FUNNEL_H

#include "store/metric.h"
#include "store/sqlite/internal.h"

/* What a funnel reads of an events row, as SQL: the item of a business event (the
 * events_by_business_id index and the funnels' rollup, ga_funnel_times.h, write it alike; the
 * planner uses an expression index only for the same expression; json_valid: a body that is
 * not JSON, none from the collector, reads as NULL), and an event's time (store/funnel.h:
 * client_ts when it has one, else its arrival). */
#define PS_SQLITE_BUSINESS_ID \
  "(CASE WHEN json_valid(body) THEN json_extract(body, '$.event_id') END)"
#define PS_SQLITE_EVENT_TIME "ifnull(client_ts, received_ms / 1000)"

/* The indexes the funnel reads (schema 10; db.c runs it after the upgrades, since it indexes
 * the digest columns that version 8 added). */
extern const char ps_sqlite_funnel_schema[];

/* Answers the per-user funnel q (its filters all apply; no group_by) in out: one group per
 * step (store/funnel.h). Returns 0, PS_EINVAL (steps, measure, a filter or a group_by the
 * funnel does not take), PS_ENOMEM or PS_EIO. Free out with ps_metric_result_free. */
int ps_sqlite_ga_funnel(sqlite_store *s, const ps_metric_query *q, ps_metric_result *out);

#endif
