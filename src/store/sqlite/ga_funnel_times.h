/*
 * ga_funnel_times.h: the funnels' rollup in the SQLite event store (schema 11): for every key
 * a funnel step can name (design, progression, resource: the digest's agg_key; business: the
 * item, ga_funnel.h) and every day, each folded event as (user number, second, combo), so
 * that a per-user funnel (store/funnel.h) reads a few thousand compact rows per step instead
 * of every matching raw event and its row.
 *
 *   ga_funnel_times(game_id, category, key, chunk, day, seg, n, entries)
 *       entries: n events, each three varints: the user's number (ga_users.idx), the
 *       event's time (store/funnel.h: client_ts, else arrival) minus day * 86400, zigzag,
 *       and the combo of its dimension values (ga_combos.h). chunk: the users' numbers
 *       divided by PS_FUNNEL_TIMES_CHUNK_USERS, before the day in the key, so that a step is
 *       read chunk after chunk and its count touches the walks of one chunk of users at a
 *       time (they stay in the CPU's cache; read in number order they would not). A
 *       (category, key, chunk, day) has segments seg 0, 1, ... of at most
 *       PS_FUNNEL_TIMES_SEGMENT events; a pass appends to the last one.
 *
 * Exactness: every event time is kept (no first/last per day: the earliest step-k event after
 * a step-(k-1) second can be any of a day's), so the walk of store/funnel.h over these rows
 * equals the walk over the raw events they were folded from. Filters (event dimensions) are
 * answered by combos: exact for a value that is not empty and shorter than the 64 bytes the
 * rollups keep of a value (ga_funnel.c reads raw events for the others).
 * Maintained with the other rollups: a pass (ga_rollup.c) adds its events in its transaction
 * (the mark says which events are in); a deletion removes the user's number from every
 * segment (ga_tables.c's ga_user_forget); retention keeps them, as every rollup keeps its
 * figures (event_lifecycle.c).
 */
#ifndef PS_STORE_SQLITE_GA_FUNNEL_TIMES_H
#define PS_STORE_SQLITE_GA_FUNNEL_TIMES_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "common/keymap.h"
#include "store/funnel.h"
#include "store/sqlite/internal.h"

#define PS_FUNNEL_TIMES_SEGMENT 1024    /* events per segment row */
#define PS_FUNNEL_TIMES_CHUNK_USERS 4096 /* users per chunk: 64 KiB of funnel walks */

extern const char ps_sqlite_funnel_times_schema[];

/* A pass's additions, grouped by (category, key, chunk, day). Zeroed to start; destroy. */
typedef struct ps_funnel_times {
  ps_keymap groups;
  struct funnel_times_group **list;
  size_t n, cap;
  int ready;
} ps_funnel_times;

void ps_funnel_times_destroy(ps_funnel_times *t);
/* One event of category (a funnel kind's) with key, on day, of user number at t_s with combo.
 * PS_OK or PS_ENOMEM. */
int ps_funnel_times_add(ps_funnel_times *t, const char *category, const char *key, int64_t day,
                        uint32_t user, int64_t t_s, int64_t combo);
/* Appends t's events to game_id's segments, inside the caller's transaction on db. */
int ps_funnel_times_write(sqlite3 *db, int64_t game_id, const ps_funnel_times *t);

/* Feeds count (by numbered users) with the events of step k of f on days [from_day, to_day),
 * those whose combo matches (combos[id] >= 0 for id < ncombos, as ps_ga_combo_match's group
 * says; NULL: every event), reading on db
 * (the caller's read transaction). PS_OK, PS_ENOMEM or PS_EIO. */
int ps_funnel_times_read_step(sqlite3 *db, int64_t game_id, const ps_funnel *f, size_t k,
                              int64_t from_day, int64_t to_day, const int32_t *combos,
                              int64_t ncombos, ps_funnel_count *count);

/* Removes user number's events from every segment of game_id (a few hundred rows per
 * transaction on the shared connection; only the rows of its chunk). Idempotent. */
int ps_sqlite_funnel_times_forget(sqlite_store *s, int64_t game_id, uint32_t user);

/* Schema 11 upgrade: the entries of every event the rollups already folded (up to each game's
 * mark), inside migrate's transaction on db. */
int ps_sqlite_funnel_times_upgrade_to_11(sqlite3 *db);

#endif
