/*
 * latest_events.c: the SQLite event store's latest() (events.h): a game's newest analytics
 * events, for the read API's live feed.
 *
 * Why this way: events_by_arrival (game_id, received_ms, rowid last) holds each game's events
 * in arrival order, so reading it backwards from the game's right edge gives the newest first
 * and stops after `limit` rows: the cost is the limit, however many events the table holds.
 * Row ids grow with arrival too (event_log.c), which breaks ties of one millisecond.
 *
 * Guarantees: newest arrival first; each event once (the table stores one row per event);
 * an event is there as soon as its append has committed (no rollup lag); read on a reader
 * connection, so it never waits for the writer.
 */
#include <sqlite3.h>

#include "common/errors.h"
#include "store/sqlite/internal.h"

int ps_sqlite_latest_events(ps_event_store *base, int64_t game_id, size_t limit,
                            ps_scan_visitor visit, void *ctx) {
  if (limit < 1 || limit > PS_LATEST_MAX) return PS_EINVAL;
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  if (sqlite3_prepare_v2(db,
                         "SELECT received_ms, category, body, 0, NULL, country FROM events INDEXED BY"
                         " events_by_arrival WHERE game_id = ?1"
                         " ORDER BY received_ms DESC, id DESC LIMIT ?2",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)limit);
    rc = ps_sqlite_visit_event_rows(st, game_id, visit, ctx);
  }
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  return rc;
}
