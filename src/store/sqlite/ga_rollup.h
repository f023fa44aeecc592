/*
 * ga_rollup.h: the rollups of analytics events (GameAnalytics v2) behind the event insights
 * (ga_query.h), maintained right behind ingest: a background thread reads the events stored
 * since its mark (the events table stays the truth; what it reads of each is the digest made
 * when it was appended, ga_facts.h, never the body) and folds them, per UTC day of the event's
 * client_ts (its receive time when it is not an integer), into:
 *
 *   users       a dense number per user_id and game, and the day of its first `user` event
 *   bitmaps     per day, one bit per user: active (any event), paying (a business event),
 *               new (the day of the user's first `user` event; moved if an earlier one arrives)
 *   aggregates  per day: sessions (`user` events), session length (count and sum of
 *               session_end length), revenue per currency (count and sum of business amount)
 *
 *   funnels    per step key (design, progression, resource: agg_key; business: the item) and
 *              day, each event's user number, second and combo (ga_funnel_times.h)
 *   ltv        business amounts per user, day and currency, and per install cohort (first
 *              day and first values), day since install and currency (ga_ltv_rollup.h)
 *
 * Each is kept for all events (dimension 0) and per value of platform, build, os_version,
 * custom_01, custom_02, custom_03 and country (dimensions 1..7), so a filter or a group_by on one of
 * them reads rows, not events. The aggregates are kept per combination of values too
 * (ga_combos.h), for segments of several dimensions. A pass is one store transaction with its new mark: a crash
 * redoes at most that pass.
 */
#ifndef PS_STORE_SQLITE_GA_ROLLUP_H
#define PS_STORE_SQLITE_GA_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "store/sqlite/internal.h"

/* The index (1..7) of a dimension name (platform, build, os_version, custom_01..03, country),
 * or -1. */
int ps_ga_dim_index(const char *name);
/* The name of dimension d (1..PS_GA_DIMS-1), the events table's column of it too; "" for 0. */
const char *ps_ga_dim_name(int d);

/* Folds up to max_events events stored after the game's mark. *done: how many (0: caught up).
 * Returns 0, PS_ENOMEM or the store's error (nothing of the pass is kept then). */
int ps_ga_rollup_pass(sqlite_store *store, int64_t game_id, size_t max_events, size_t *done);
/* Passes until caught up. */
int ps_ga_rollup_catch_up(sqlite_store *store, int64_t game_id);

/* Recomputes the aggregates of days (every kind and dimension; sorted here) from the events
 * on them the rollups hold (those up to the mark), and replaces the stored ones: the days then
 * answer as if the events deleted since had never been folded. Bitmaps are not touched (a
 * deletion clears its user's bits). A day whose raw rows retention dropped is left as it is
 * (its remaining events no longer add up to it). Memory: the aggregates of the days.
 * *rebuilt: days replaced. Returns 0, PS_ENOMEM or the store's error (PS_EIO too when passes
 * of another process kept moving the mark); the stored days are unchanged then. */
int ps_ga_rollup_rebuild_days(sqlite_store *store, int64_t game_id, int64_t *days, size_t ndays,
                              size_t *rebuilt);

#endif
