/*
 * lifecycle.h: the SQLite event store's part of the data lifecycle (events.h forget_player,
 * drop_raw_before, and the ranged scans export reads): deleting one player's events, rejected
 * events and metrics sessions with their part of every rollup, and dropping raw rows past
 * retention while the rollups keep their figures.
 *
 * event_lifecycle.c: analytics events, rejected events, the GA rollups, and the deletion
 * journal that lets a deletion cut by a crash be finished (maintain() calls forget_resume).
 * playtime_lifecycle.c: metrics sessions and the playtime rollups.
 * so_scan.c: multiplayer session events in arrival order (PS_SCAN_SO_EVENTS).
 */
#ifndef PS_STORE_SQLITE_LIFECYCLE_H
#define PS_STORE_SQLITE_LIFECYCLE_H

#include <stdint.h>

#include "store/events.h"
#include "store/sqlite/internal.h"

/* events.h forget_player: journals the deletion, removes the GA part, calls
 * ps_sqlite_playtime_forget, then clears the journal entry. */
int ps_sqlite_forget_player(sqlite_store *s, int64_t game_id, const char *user_id,
                            ps_forget_report *out);
/* Finishes every journalled deletion (called by maintain()). */
int ps_sqlite_forget_resume(sqlite_store *s);
/* events.h drop_raw_before(PS_RAW_EVENTS): analytics and rejected events arrived before
 * before_ms, once the rollups hold them. */
int ps_sqlite_events_drop_before(sqlite_store *s, int64_t before_ms, int64_t *dropped);

/* The player's metrics sessions and their part of the playtime rollups; idempotent.
 * *removed: sessions removed by this call. Leaves the write-ahead log's older copies of the
 * pages to the caller's truncation (ps_sqlite_forget_player's step 8). */
int ps_sqlite_playtime_forget(sqlite_store *s, int64_t game_id, const char *player,
                              int64_t *removed);
/* events.h drop_raw_before(PS_RAW_MSESSIONS): sessions over before before_ms, once the
 * playtime rollups hold them. */
int ps_sqlite_playtime_drop_before(sqlite_store *s, int64_t before_ms, int64_t *dropped);

/* PS_SCAN_SO_EVENTS: multiplayer session events of q's range in arrival order. */
int ps_sqlite_so_events_scan(sqlite_store *s, const ps_scan_query *q, ps_scan_visitor visit,
                             void *ctx);

#endif
