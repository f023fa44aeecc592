/*
 * playtime_rollup.h: hourly and daily rollups of every playtime metric of metrics sessions
 * (session_metrics.h), so that a month by day is read from ~31 rows instead of being computed
 * from a million sessions.
 *
 * Each settled hour, and each UTC day up to the settled mark, gets one row (store.h's
 * ps_playtime_row) per (platform, portal) combination kept as for the per-minute rollups
 * (rollup.h: all sessions, each platform seen, each portal seen) holding, exactly as
 * session_metrics.h defines them:
 *   sessions started in it and their mods (sessions, avg_ugc_per_session),
 *   sessions over whose end is in it, their lengths in ms and their session_length_histogram
 *     groups (avg_playtime, session_length_histogram),
 *   the playtime in ms of each mod within it (top_mods),
 *   the set of players present in it, as a Roaring bitmap of dense per-game player numbers
 *     (total_players; sets are unioned, never added),
 *   the peaks within it (ccu, concurrent_ugc: the maximum of its minutes).
 * A row exists when a session of its combination overlaps it; sums are exact integers, so
 * adding rows up in any order gives the figures session_metrics.h computes.
 *
 * Settled: the same horizon as rollup.h (no request can change a minute before it), rounded
 * down to an hour. A query with hour or day buckets reads the rows before the settled mark
 * (mark and rows read in one transaction) and computes the rest, the live tail, from the
 * sessions active after the mark, each clipped to it: a session that overlaps the mark counts
 * its settled part in the rows and the rest in the tail, exactly once. Minute buckets, and
 * queries constraining both platform and portal, are computed from sessions
 * (session_query.c), peaks at minute resolution from the per-minute rollups.
 *
 * The rollups advance with the per-minute ones (ps_rollup_advance calls
 * ps_playtime_rollup_advance), a day (or the rest of one) per transaction; a store that never
 * had them is backfilled from its first session.
 */
#ifndef PS_STORE_SQLITE_PLAYTIME_ROLLUP_H
#define PS_STORE_SQLITE_PLAYTIME_ROLLUP_H

#include <stdint.h>

#include "store/sqlite/session_metrics.h"
#include "store/sqlite/session_query.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/session_set.h"

#define PS_PLAYTIME_HOUR_MS 3600000LL
#define PS_PLAYTIME_DAY_MS 86400000LL

/* Computes and stores the playtime rollups of game_id from where they stop up to horizon_ms
 * rounded down to an hour; sessions still running are seen as of now_ms. Returns 0 or the
 * store's error (what was written stays written). */
int ps_playtime_rollup_advance(sqlite_store *store, int64_t game_id, int64_t horizon_ms,
                               int64_t now_ms, int64_t timeout_ms);

/* Rows being assembled (free with ps_playtime_rows_free: their sets and mods too). */
typedef struct ps_playtime_rows {
  ps_playtime_row *items;
  size_t n, cap;
} ps_playtime_rows;
void ps_playtime_rows_free(ps_playtime_rows *r);

/* The rows ps_playtime_rollup_advance stores for the hours [a, b) of the day starting at day
 * (b at most its end) and for the day over [day, b), computed from set (the sessions active in
 * [day, b)) and appended to out; players new to the game are numbered in the store. Player
 * deletions compute a day again with it (playtime_lifecycle.c). 0, PS_ENOMEM or the store's
 * error. */
int ps_playtime_rollup_compute(sqlite_store *store, int64_t game_id, const ps_session_set *set,
                               int64_t day, int64_t a, int64_t b, ps_playtime_rows *out);

/* The span of the rows (PS_PLAYTIME_DAY_MS or PS_PLAYTIME_HOUR_MS) that q's buckets are made
 * of, 0 when q is not answered from these rollups (minute buckets; platform and portal both
 * constrained). */
int64_t ps_playtime_span(const ps_session_query *q);

/* Answers q (not ccu / concurrent_ugc; ps_playtime_span(q) != 0) into out, whose whole series
 * is allocated and zeroed with from_ms, interval_ms and nbuckets set: settled rows plus the live
 * tail. Returns 0, PS_ENOMEM or the store's error. */
int ps_playtime_query_run(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                          int64_t now_ms, int64_t timeout_ms, ps_metric_result *out);

/* Peaks (ccu, concurrent_ugc; ps_playtime_span(q) != 0): folds the settled rows of q's range
 * into out by maximum (whole, and groups when q->group_by) and sets *live_from to where they
 * stop (q->from_ms when there are none); the caller folds in the minutes from there. */
int ps_playtime_peaks(sqlite_store *store, int64_t game_id, const ps_session_query *q,
                      ps_metric_result *out, int64_t *live_from);

#endif
