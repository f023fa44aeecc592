/*
 * ga_family.h: the grouped analytics-event metrics (progression, funnel, resources, design,
 * errors, ads; definitions in ga_query.h), read from the rollups' aggregates of one kind.
 * Called by ga_query.c.
 */
#ifndef PS_STORE_SQLITE_GA_FAMILY_H
#define PS_STORE_SQLITE_GA_FAMILY_H

#include <stdint.h>

#include "store/sqlite/ga_query.h"

/* Answers the family query q, whose aggregates are of kind (e.g. "progression"). Returns 0,
 * PS_EINVAL (a measure, by or steps the family does not know), PS_ENOMEM or the store's
 * error. out is set up by the caller (day buckets, whole values allocated). */
int ps_ga_family_run(sqlite_store *store, int64_t game_id, const ps_ga_query *q, const char *kind,
                     ps_metric_result *out);

#endif
