/*
 * raw_retention.h: `playstat serve --event-retention-days D --msession-retention-days D`: a
 * thread that, every check period, asks the event store to drop raw rows older than their
 * retention (events.h drop_raw_before): analytics and rejected events by arrival, metrics
 * sessions by the time they were over. What the store precomputed keeps its figures
 * (docs/lifecycle.md says what stays computable). Default: keep everything.
 */
#ifndef PS_LIFECYCLE_RAW_RETENTION_H
#define PS_LIFECYCLE_RAW_RETENTION_H

#include <stdint.h>

#include "store/events.h"

typedef struct ps_raw_retention ps_raw_retention;

/* event_ms / msession_ms: how long each kind is kept, 0 for ever (then that kind is never
 * dropped). With both 0 nothing is started and *out is NULL. */
int ps_raw_retention_start(ps_event_store *events, int64_t event_ms, int64_t msession_ms,
                           int64_t check_ms, ps_raw_retention **out);
void ps_raw_retention_stop(ps_raw_retention *r);

#endif
