/*
 * retention.h: multiplayer sessions are kept for a retention period (default 30 days) after
 * their createdAt, then deleted with everything they hold (events, anonymisation map, ticket
 * index) by a background thread of `playstat serve`. An expired session answers 404 at once:
 * the read API also hides sessions past the period that the thread has not reached yet
 * (app.h so_retention_ms).
 */
#ifndef PS_OBSERVABILITY_RETENTION_H
#define PS_OBSERVABILITY_RETENTION_H

#include <stdint.h>

#include "store/store.h"

typedef struct ps_so_retention ps_so_retention;

/* Deletes sessions created more than retention_ms ago, now and every period_ms. */
int ps_so_retention_start(ps_stores stores, int64_t retention_ms, int64_t period_ms,
                          ps_so_retention **out);
void ps_so_retention_stop(ps_so_retention *r);

#endif
