/*
 * ga_combos.h: the combination rollup of analytics events, behind segments (several event
 * dimension filters at once) of the figures summed over events: sessions, session length and
 * revenue. The per-dimension rollups (ga_rollup.h) key an aggregate by one (dimension, value);
 * a figure of events that carry several values at once cannot be read from those, so each
 * such event also adds to an aggregate keyed by its combination: the values of every event
 * dimension it carries, given a dense number per game (a "combo") the first time it is seen.
 *
 *   ga_combos(id, game_id, dims)   (ga_tables.c's schema) dims: the event's dimension values (each cut to 64 bytes as
 *                                  the rollups cut them; absent: ""), joined by \x1f, in the
 *                                  order of the dimension list (ga_rollup.h); unique per game
 *   ga_aggs rows with dim = PS_GA_COMBO_DIM and value = the combo's id (decimal)
 *
 * Events of the kinds a funnel step names (design, progression, resource, business) get a
 * combo too: the funnels' rollup keeps it per event (ga_funnel_times.h), so a combo may have no
 * aggregate row.
 * A segment's figure is then the sum over the combos whose values match every filter, and
 * a segment's group (group_by beside the filters) the sum over those of them that carry the
 * group's value: each combo holds every dimension. Cost:
 * one more aggregate row per (day, combo, kind, key) a pass touches; a read scans the combo
 * rows of the range's days (one per combo seen that day and kind) and the game's combos.
 * Guarantees: the combo rows add up exactly what the dimension rows add (the same fold,
 * ga_rollup.c's fold_aggregates), so a day's rebuild and a deletion treat them alike.
 */
#ifndef PS_STORE_SQLITE_GA_COMBOS_H
#define PS_STORE_SQLITE_GA_COMBOS_H

#include <stddef.h>
#include <stdint.h>

#include "common/keymap.h"
#include "store/sqlite/internal.h"

#define PS_GA_COMBO_DIM (-1) /* the dim of ga_aggs rows keyed by a combo */

/* A pass's cache of combo ids (combination text -> id). */
typedef struct ps_ga_combo_cache {
  ps_keymap map;
  int ready;
} ps_ga_combo_cache;

void ps_ga_combo_cache_destroy(ps_ga_combo_cache *c);

/* The id of the combination of values (values[1..PS_GA_DIMS-1]; those not present are "")
 * for game_id, made when new (its own statement on the shared connection: an id never
 * depends on a pass committing). *id_text: the id in decimal. PS_OK, PS_ENOMEM or PS_EIO. */
int ps_ga_combo_id(sqlite_store *s, int64_t game_id, ps_ga_combo_cache *cache,
                   const char values[PS_GA_DIMS][65], const int present[PS_GA_DIMS],
                   char id_text[24]);

/* The combos of a segment, by id: group[id] is -1 for a combo that does not match, else the
 * index in values of its value of the group dimension (group_dim 0: every match is in group 0,
 * values[0] ""). A match without a value of the group dimension is in no group. */
typedef struct ps_ga_combo_match {
  int32_t *group;
  int64_t nids;
  char (*values)[65];
  size_t nvalues, values_cap;
} ps_ga_combo_match;

/* The combos of game_id whose values equal values[i] on dimension dims[i] (1..PS_GA_DIMS-1)
 * for every i < n, grouped by their value of group_dim (0: none; else 1..PS_GA_DIMS-1), into
 * *out (free with ps_ga_combo_match_free; zeroed when none matches). PS_OK, PS_ENOMEM or
 * PS_EIO. */
int ps_ga_combos_matching(sqlite_store *s, int64_t game_id, const int *dims,
                          const char *const *values, size_t n, int group_dim,
                          ps_ga_combo_match *out);
void ps_ga_combo_match_free(ps_ga_combo_match *m);

/* The same on db (a read transaction of the caller's, so that the combos are those of its
 * snapshot or later). */
int ps_ga_combos_matching_on(sqlite3 *db, int64_t game_id, const int *dims,
                             const char *const *values, size_t n, int group_dim,
                             ps_ga_combo_match *out);

/* Appends to sql (cap bytes, *n used) the SQL expression of the combination text of an events
 * row (its dimension columns, unqualified, each cut as the rollups cut them). PS_OK or
 * PS_ENOMEM (no room). */
int ps_ga_combo_text_sql(char *sql, size_t cap, size_t *n);
/* The same for a ga_users row named alias: the combination of its first event's values
 * (alias.dim1..dim7), the text ps_ga_combo_id gives its first_dims. */
int ps_ga_user_combo_text_sql(char *sql, size_t cap, size_t *n, const char *alias);

/* Schema 10 upgrade: the combos and their aggregates of every event the rollups already
 * folded (those up to each game's mark; later ones the next passes fold). Days whose raw
 * rows retention dropped keep only what their remaining events add. Inside migrate's
 * transaction, on db. */
int ps_sqlite_ga_combos_upgrade_to_10(sqlite3 *db);

#endif
