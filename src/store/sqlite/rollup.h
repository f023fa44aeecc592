/*
 * rollup.h: per-minute rollups of the two peak metrics of metrics sessions, ccu and
 * concurrent_ugc, kept in the store so that a month at minute resolution is read, not
 * recomputed from a million sessions.
 *
 * Each settled minute gets one row per platform seen (portal PS_ROLLUP_ANY), one per portal
 * seen (platform PS_ROLLUP_ANY) and one for all sessions (both PS_ROLLUP_ANY), holding the
 * peak within that minute exactly as session_metrics.h computes it; minutes with no session
 * have no row. Queries that constrain platform and portal at once are computed from sessions. A peak over a longer
 * bucket is the maximum of its minutes' peaks, so hours and days fold from minutes exactly.
 *
 * Settled: a minute that no future request can change. A request's session_ts lies within
 * window_ms of server time, and a session is over after timeout_ms without requests, so every
 * minute before now - window - timeout (less a margin for requests still being committed) is
 * final: no session can start in it any more, and every session that covers it either already
 * ended or will end after it. The horizon moves with the server's --session-window and
 * --session-timeout; rows already written stay as they were computed.
 */
#ifndef PS_STORE_SQLITE_ROLLUP_H
#define PS_STORE_SQLITE_ROLLUP_H

#include <stdint.h>

#include "store/sqlite/internal.h"

#define PS_ROLLUP_MINUTE_MS 60000
#define PS_ROLLUP_MARGIN_MS 60000

/* The first minute (its start, ms) that is not settled at now_ms. */
int64_t ps_rollup_horizon(int64_t now_ms, int64_t window_ms, int64_t timeout_ms);

/* Computes and stores the rollups of game_id from where they stop up to horizon_ms (a minute
 * boundary), a day per transaction, then the playtime rollups (playtime_rollup.h); sessions
 * still running are seen as of now_ms. Returns 0 or the store's error (what was written stays
 * written). */
int ps_rollup_advance(sqlite_store *store, int64_t game_id, int64_t horizon_ms, int64_t now_ms,
                      int64_t timeout_ms);

#endif
