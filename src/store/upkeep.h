/*
 * upkeep.h: the thread of `playstat serve` that calls the event store's maintain() every
 * period (events.h): whatever the backend precomputes to answer metrics (rollups) follows
 * ingest by about that period.
 */
#ifndef PS_STORE_UPKEEP_H
#define PS_STORE_UPKEEP_H

#include <stdint.h>

#include "store/events.h"

typedef struct ps_store_upkeep ps_store_upkeep;

/* Starts the thread (a first run at once). PS_OK or PS_ENOMEM. */
int ps_store_upkeep_start(ps_event_store *events, int64_t period_ms, ps_store_upkeep **out);
/* Stops the thread, waiting for a run under way, and frees it; NULL is a no-op. */
void ps_store_upkeep_stop(ps_store_upkeep *u);

#endif
