/*
 * periodic.h: a thread that runs one job now and then every period_ms until stopped, for
 * background work of `playstat serve` (rollups, retention). A run under way when stop is
 * asked finishes first; no run starts after.
 */
#ifndef PS_COMMON_PERIODIC_H
#define PS_COMMON_PERIODIC_H

#include <stdint.h>

typedef struct ps_periodic ps_periodic;

/* Returns 0 or PS_ENOMEM. */
int ps_periodic_start(int64_t period_ms, void (*run)(void *ctx), void *ctx, ps_periodic **out);
/* Stops the thread (waiting for a run under way) and frees p; NULL is a no-op. */
void ps_periodic_stop(ps_periodic *p);

#endif
