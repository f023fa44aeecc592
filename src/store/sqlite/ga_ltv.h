/*
 * ga_ltv.h: the raw figures of the metric "ltv" (store/ltv.h) in the SQLite event store, read
 * from the LTV rollup (ga_ltv_rollup.h). Called by events.c for the ltv metric.
 */
#ifndef PS_STORE_SQLITE_GA_LTV_H
#define PS_STORE_SQLITE_GA_LTV_H

#include "store/metric.h"
#include "store/sqlite/internal.h"

/* The partial index of business events the ltv read took before the LTV rollup
 * (ga_ltv_rollup.h); the upgrade to schema 13 reads it (db.c runs it after the upgrades,
 * beside the funnel's: it indexes the digest columns of version 8). */
extern const char ps_sqlite_ltv_schema[];

/* Answers the ltv query q (store/ltv.h: per cohort day, day since install and currency) in
 * out. Filters on the event dimensions and first_build choose the cohort; new and group_by are
 * refused (PS_EINVAL), as are ranges and days store/ltv.h refuses. PS_OK, PS_EINVAL, PS_ENOMEM
 * or PS_EIO. Free out with ps_metric_result_free. */
int ps_sqlite_ga_ltv(sqlite_store *s, const ps_metric_query *q, ps_metric_result *out);

#endif
