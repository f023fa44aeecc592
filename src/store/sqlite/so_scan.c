/*
 * so_scan.c: PS_SCAN_SO_EVENTS in the SQLite event store (lifecycle.h): the multiplayer
 * session events of one project (q->project_id: sessions are keyed by project, not by game),
 * as stored (anonymised), in arrival order (received_ms, then the order they were stored in),
 * within [q->from_ms, q->to_ms) of arrival when q->to_ms > 0.
 *
 * An event stored before arrivals were kept has no received_ms: it is read, ordered and ranged
 * by its ts_ms. Both scans walk so_events_by_arrival (db.c's lifecycle step), an index on that
 * same expression: a day's scan reads that day's events only, and no scan sorts in memory. It reads on one of the
 * read-only connections, in one read transaction: what it visits is one moment of the store.
 */
#include <sqlite3.h>

#include "common/errors.h"
#include "store/sqlite/lifecycle.h"

#define ARRIVAL "coalesce(e.received_ms, e.ts_ms)"

static const char scan_all_sql[] =
    "SELECT s.project_id, s.environment_id, s.session_id, e.event_key, e.type, e.ts_ms,"
    " " ARRIVAL ", e.body FROM so_events e INDEXED BY so_events_by_arrival JOIN so_sessions s ON s.id = e.session"
    " WHERE s.project_id = ?1 ORDER BY " ARRIVAL ", e.id";
static const char scan_range_sql[] =
    "SELECT s.project_id, s.environment_id, s.session_id, e.event_key, e.type, e.ts_ms,"
    " " ARRIVAL ", e.body FROM so_events e INDEXED BY so_events_by_arrival JOIN so_sessions s ON s.id = e.session"
    " WHERE s.project_id = ?1 AND " ARRIVAL " >= ?2 AND " ARRIVAL " < ?3"
    " ORDER BY " ARRIVAL ", e.id";

typedef struct so_rows {
  ps_scan_visitor visit;
  void *ctx;
} so_rows;

static int so_event_row(sqlite3_stmt *st, void *arg) {
  const so_rows *q = arg;
  ps_stored_so_event e = {
      .project_id = (const char *)sqlite3_column_text(st, 0),
      .environment_id = (const char *)sqlite3_column_text(st, 1),
      .session_id = (const char *)sqlite3_column_text(st, 2),
      .event_key = (const char *)sqlite3_column_text(st, 3),
      .type = (const char *)sqlite3_column_text(st, 4),
      .ts_ms = sqlite3_column_int64(st, 5),
      .received_ms = sqlite3_column_int64(st, 6),
      .body = (const char *)sqlite3_column_text(st, 7),
      .body_len = (size_t)sqlite3_column_bytes(st, 7),
  };
  ps_scan_item item = {.so_event = &e};
  return q->visit(&item, q->ctx);
}

int ps_sqlite_so_events_scan(sqlite_store *s, const ps_scan_query *q, ps_scan_visitor visit,
                             void *ctx) {
  if (!q->project_id) return PS_EINVAL;
  int ranged = q->to_ms > 0;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  if (ps_sqlite_exec(db, "BEGIN") == PS_OK) {
    if (sqlite3_prepare_v2(db, ranged ? scan_range_sql : scan_all_sql, -1, &st, NULL) ==
        SQLITE_OK) {
      sqlite3_bind_text(st, 1, q->project_id, -1, SQLITE_STATIC);
      if (ranged) {
        sqlite3_bind_int64(st, 2, q->from_ms);
        sqlite3_bind_int64(st, 3, q->to_ms);
      }
      so_rows rows = {visit, ctx};
      rc = ps_sqlite_each_row(st, so_event_row, &rows);
    }
    sqlite3_finalize(st);
    ps_sqlite_exec(db, "COMMIT");
  }
  ps_sqlite_reader_release(s, db);
  return rc;
}
