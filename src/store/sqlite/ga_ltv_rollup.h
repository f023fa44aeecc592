/*
 * ga_ltv_rollup.h: the LTV rollup of the SQLite event store (schema 13), behind the metric
 * "ltv" (store/ltv.h, read by ga_ltv.c): the business amounts of each install cohort per day
 * since install and currency, kept so that a read touches a few rows per cohort day instead
 * of every purchase and its user.
 *
 *   ga_ltv_spend(game_id, idx, day, currency, n, amount)
 *       per user (its number, ga_users.idx), UTC day and currency: the count and the sum of
 *       the business amounts the rollups folded (every one with a currency and a user, whether
 *       or not the user's first `user` event is known yet).
 *   ga_ltv_cohorts(game_id, dim, value, first_day, k, currency, n, amount)
 *       the spend of the users whose first day is first_day, on day first_day + k
 *       (0 <= k <= PS_LTV_MAX_DAYS), summed: dim 0 (value ""): every such user; dim 1..7 and
 *       value: those whose first `user` event carries that value (not empty) of the dimension
 *       (ga_rollup.h's list); dim PS_GA_COMBO_DIM, value a combo id (ga_combos.h): those whose
 *       first event carries that combination of values, for several filters at once. By
 *       (dim, value) first: a read seeks the range of cohort days of each value it needs.
 *
 * Invariant (what the tests check against a model): ga_ltv_cohorts equals, for every user of
 * ga_users with a first day (first_day >= 0) and first dimensions as ga_users holds them, the
 * sum of its ga_ltv_spend rows on days first_day .. first_day + PS_LTV_MAX_DAYS under those
 * keys. A row whose n falls to 0 is deleted. It is kept by:
 *   - a pass (ga_rollup.c), in its transaction: the pass's amounts added to ga_ltv_spend and
 *     to the cohort of their user as the pass leaves it; a user whose first day or first
 *     dimensions the pass changed (a first `user` event, or an earlier one arriving late) has
 *     its stored amounts moved: taken out of the cohort it was in, added to the new one. So a
 *     purchase that arrived before its user's first `user` event counts once the user is
 *     known, when it is on or after the first day.
 *   - a user's forgetting (ga_tables.c's ga_user_forget): its amounts taken out of its cohort
 *     and its ga_ltv_spend rows deleted, in the transaction that makes its tombstone.
 * A day's rebuild (ps_sqlite_ga_days_replace, after a deletion) touches neither table: the
 * deleted user's share left with the forgetting. Retention keeps both (they hold no raw
 * event): purchases whose raw rows were dropped still count, and still move with their user.
 * Cost: one ga_ltv_spend upsert per (user, day, currency) a pass sees purchases of, and
 * 9 cohort rows per (cohort day, k, currency, value) touched; a moved user reads its own
 * ga_ltv_spend rows. On bench/event_insights' events (7% purchases, first days often moving)
 * a pass runs 17% more instructions (callgrind, 200 k events): 3% the spend, 4% the moves,
 * 9% the per-dimension rows (which keep a one-filter read to one seek: through the combos
 * it would read every combination that carries the value).
 */
#ifndef PS_STORE_SQLITE_GA_LTV_ROLLUP_H
#define PS_STORE_SQLITE_GA_LTV_ROLLUP_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "common/keymap.h"
#include "store/sqlite/ga_combos.h"
#include "store/sqlite/internal.h"

extern const char ps_sqlite_ltv_rollup_schema[];

/* What a pass (or a forgetting) changes in the two tables. Zeroed to start; destroy. */
typedef struct ps_ltv_delta {
  ps_keymap spends, cells;
  struct ltv_spend **spend_list;
  size_t nspends, spends_cap;
  struct ltv_cell **cell_list;
  size_t ncells, cells_cap;
  int64_t *forgotten; /* users (numbers) whose ga_ltv_spend rows go */
  size_t nforgotten, forgotten_cap;
  int ready;
} ps_ltv_delta;

void ps_ltv_delta_destroy(ps_ltv_delta *d);

/* One business amount in currency on day of the user *user, during a pass. user is the pass's
 * own copy of the user (not copied: it must live until ps_ltv_delta_settle, which reads its
 * first day and dimensions as the pass leaves them). PS_OK or PS_ENOMEM. */
int ps_ltv_delta_spend(ps_ltv_delta *d, const ps_ga_user *user, int64_t day,
                       const char *currency, double amount);

/* The user's first day or dimensions go from *was to *now (first_day -1: none), or the user
 * is forgotten (now NULL: its ga_ltv_spend rows are deleted by the write): its stored amounts
 * (ga_ltv_spend, read on the shared connection: the caller holds the store's rollup_lock so
 * no pass of the process changes them meanwhile) leave was's cohort and join now's. Combo ids
 * through combos. PS_OK, PS_ENOMEM or PS_EIO. */
int ps_ltv_delta_move(ps_ltv_delta *d, sqlite_store *s, int64_t game_id,
                      ps_ga_combo_cache *combos, const ps_ga_user *was, const ps_ga_user *now);

/* Adds the pass's amounts (ps_ltv_delta_spend) to the cohorts of their users as they are now:
 * once, after the last fold and move. PS_OK, PS_ENOMEM or PS_EIO. */
int ps_ltv_delta_settle(ps_ltv_delta *d, sqlite_store *s, int64_t game_id,
                        ps_ga_combo_cache *combos);

/* Writes d into game_id's tables, inside the caller's transaction on db. PS_OK or PS_EIO. */
int ps_ltv_delta_write(sqlite3 *db, int64_t game_id, const ps_ltv_delta *d);

/* Schema 13 upgrade: both tables filled for the events the rollups already folded (business
 * events up to each game's mark whose raw rows are still there: the purchases retention
 * dropped before the upgrade are not counted, as the join of raw events did not count them),
 * inside migrate's transaction on db. */
int ps_sqlite_ltv_upgrade_to_13(sqlite3 *db);

#endif
