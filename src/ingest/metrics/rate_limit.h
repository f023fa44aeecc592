/*
 * rate_limit.h: per-player request rate limits (token buckets) for the metrics endpoints.
 * Each (game, player) has a bucket of `burst` requests refilled at `per_minute` per minute; a
 * request finding it empty is refused with the whole seconds until a token is back (for
 * Retry-After). Thread-safe. Idle buckets are forgotten (a full bucket holds no information).
 */
#ifndef PS_INGEST_METRICS_RATE_LIMIT_H
#define PS_INGEST_METRICS_RATE_LIMIT_H

#include <stdint.h>

typedef struct ps_rate_limit ps_rate_limit;

/* per_minute >= 1; burst = max(1, per_minute / 2). */
int ps_rate_limit_create(unsigned per_minute, ps_rate_limit **out);
void ps_rate_limit_free(ps_rate_limit *rl);
/* Takes one token: returns 0 when allowed, else the seconds to wait (>= 1). */
unsigned ps_rate_limit_take(ps_rate_limit *rl, int64_t game_id, const char *player, int64_t now_ms);

#endif
