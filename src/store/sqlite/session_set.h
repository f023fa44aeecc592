/*
 * session_set.h: the stored metrics sessions of one game that overlap a time range, as the
 * intervals that session_metrics.h computes over, each with its platform and portal.
 *
 * When a session ends: at its end request; when it has had no request for timeout_ms of server
 * time (it timed out), at its last heartbeat's session_ts; otherwise it is still running and
 * its interval reaches now. This is the one place that rule lives, for the read API and the
 * rollups alike.
 */
#ifndef PS_STORE_SQLITE_SESSION_SET_H
#define PS_STORE_SQLITE_SESSION_SET_H

#include <stddef.h>
#include <stdint.h>

#include "store/sqlite/session_metrics.h"
#include "store/sqlite/internal.h"

typedef struct ps_session_set {
  ps_session_interval *items;
  char (*platform)[16]; /* platform[i] of items[i] */
  char (*portal)[16];
  size_t n, cap;
  /* private */
  int64_t now_ms, timeout_ms;
  const char *only_platform, *only_portal;
} ps_session_set;

/* Loads the sessions of game_id active at some time in [from_ms, to_ms) as seen at now_ms,
 * keeping only those of platform / portal when not NULL. Returns 0, PS_ENOMEM or the store's
 * error. Free with ps_session_set_free (also after a failure). */
int ps_session_set_load(sqlite_store *store, int64_t game_id, int64_t from_ms, int64_t to_ms,
                        int64_t now_ms, int64_t timeout_ms, const char *platform,
                        const char *portal, ps_session_set *out);
/* Loads every session of one player of game_id, as seen at now_ms, on connection db (the
 * intervals a player deletion takes out of the rollups, read in its write transaction). */
int ps_session_set_load_player(sqlite3 *db, int64_t game_id, const char *player, int64_t now_ms,
                               int64_t timeout_ms, ps_session_set *out);
void ps_session_set_free(ps_session_set *set);

/* Whether item i's value in column (set->platform or set->portal) is the first of its kind,
 * so that a loop over the items visits each distinct value once. */
int ps_session_set_first(char (*column)[16], size_t i);

/* The sessions of platform and of portal (NULL: any), copied into a new array of *n items
 * (caller frees; the pointers inside are the set's). NULL when out of memory. */
ps_session_interval *ps_session_set_subset(const ps_session_set *set, const char *platform,
                                           const char *portal, size_t *n);

#endif
