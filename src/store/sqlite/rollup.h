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
 * ended or will end after it. A player deletion (playtime_lifecycle.c) is the one exception: it
 * computes the days that player played again, without them, and voids the write of a pass
 * that loaded its sessions before the deletion (PS_EEXPIRED; that pass is run again). The horizon moves with the server's --session-window and
 * --session-timeout; rows already written stay as they were computed.
 */
#ifndef PS_STORE_SQLITE_ROLLUP_H
#define PS_STORE_SQLITE_ROLLUP_H

#include <stdint.h>

#include "store/sqlite/internal.h"
#include "store/sqlite/session_set.h"

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

/* The minute rows of [from, to) (a minute boundary each) computed from set: one per
 * combination present with a nonzero peak, as ps_rollup_advance stores them. *out: malloc'd
 * (caller frees), *n rows. Returns 0 or PS_ENOMEM. Player deletions compute a day again with
 * it (playtime_lifecycle.c). */
int ps_rollup_minutes_compute(const ps_session_set *set, int64_t from, int64_t to,
                              ps_rollup_row **out, size_t *n);

#endif
