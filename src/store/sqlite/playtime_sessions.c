/*
 * playtime_sessions.c: metrics sessions in the SQLite event store, as the intervals the
 * playtime metrics are computed from, and the tables of their per-minute rollups (rollup.h).
 *
 *   msessions(game_id, session_id, player, platform, portal, mod_ids, started_ms, last_ms,
 *             ended_ms, last_received_ms, max_order_id, ended_received_ms)
 *                                                   one row per metrics session
 *     ended_received_ms: server time of arrival of its (first) end request, NULL without one;
 *     a session is over then, or at last_received_ms + the session timeout (events.h
 *     ps_scan_query), which is what ranged scans and retention select by. Its index
 *     (msessions_by_end_arrival) is created by db.c's lifecycle step, after the column.
 *   msession_minutes(game_id, platform, portal, minute_ms, ccu, ugc)   rollups, nonzero only
 *   rollup_state(game_id, settled_ms)               rollups cover every minute before settled
 *   event_games(game_id)                            the games this store has records of
 *
 * A start creates its row (a second one changes nothing); a heartbeat or an end moves it on
 * with max(), so applying a request twice, or late, leaves the same row: append is idempotent.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/errors.h"
#include "store/sqlite/internal.h"

const char ps_sqlite_playtime_schema[] =
    "CREATE TABLE IF NOT EXISTS msessions("
    "  game_id INTEGER NOT NULL, session_id TEXT NOT NULL, player TEXT NOT NULL,"
    "  platform TEXT NOT NULL, portal TEXT NOT NULL, mod_ids TEXT NOT NULL,"
    "  started_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, ended_ms INTEGER,"
    "  last_received_ms INTEGER NOT NULL, max_order_id INTEGER NOT NULL,"
    "  ended_received_ms INTEGER,"
    "  PRIMARY KEY(game_id, session_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS msessions_by_player ON msessions(game_id, player);"
    "CREATE INDEX IF NOT EXISTS msessions_by_start ON msessions(game_id, started_ms);"
    "CREATE INDEX IF NOT EXISTS msessions_by_last ON msessions(game_id, last_ms, started_ms);"
    "CREATE INDEX IF NOT EXISTS msessions_by_received"
    "  ON msessions(game_id, last_received_ms) WHERE ended_ms IS NULL;"
    "CREATE TABLE IF NOT EXISTS msession_minutes("
    "  game_id INTEGER NOT NULL, platform TEXT NOT NULL, portal TEXT NOT NULL,"
    "  minute_ms INTEGER NOT NULL, ccu INTEGER NOT NULL, ugc INTEGER NOT NULL,"
    "  PRIMARY KEY(game_id, platform, portal, minute_ms)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS msession_minutes_by_portal"
    "  ON msession_minutes(game_id, portal, minute_ms, platform, ccu, ugc);"
    "CREATE TABLE IF NOT EXISTS rollup_state("
    "  game_id INTEGER PRIMARY KEY, settled_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS event_games(game_id INTEGER PRIMARY KEY);";

int ps_sqlite_playtime_prepare(sqlite_store *s) {
  if (ps_sqlite_prepare(s->writer,
                        "INSERT INTO msessions(game_id, session_id, player, platform, portal,"
                        " mod_ids, started_ms, last_ms, ended_ms, last_received_ms, max_order_id)"
                        " VALUES(?1,?2,?3,?4,?5,?6,?7,?7,NULL,?8,?9) ON CONFLICT DO NOTHING",
                        &s->msession_start) != PS_OK ||
      ps_sqlite_prepare(s->writer,
                        "UPDATE msessions SET last_ms = max(last_ms, ?3),"
                        " last_received_ms = max(last_received_ms, ?4),"
                        " max_order_id = max(max_order_id, ?5),"
                        " ended_ms = CASE WHEN ?6 THEN ?3 ELSE ended_ms END,"
                        " ended_received_ms = CASE WHEN ?6"
                        "  THEN min(coalesce(ended_received_ms, ?4), ?4) ELSE ended_received_ms END"
                        " WHERE game_id = ?1 AND session_id = ?2",
                        &s->msession_advance) != PS_OK)
    return PS_EIO;
  return PS_OK;
}

int ps_sqlite_playtime_append(sqlite_store *s, const ps_record *r) {
  const ps_msession_record *m = r->msession;
  sqlite3_stmt *st;
  if (m->kind == PS_MSESSION_REC_START) {
    st = s->msession_start;
    sqlite3_bind_int64(st, 1, r->game_id);
    sqlite3_bind_text(st, 2, m->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->player, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, m->platform, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, m->portal, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, m->mod_ids ? m->mod_ids : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, m->ts_ms);
    sqlite3_bind_int64(st, 8, r->received_ms);
    sqlite3_bind_int64(st, 9, m->order_id);
  } else {
    st = s->msession_advance;
    sqlite3_bind_int64(st, 1, r->game_id);
    sqlite3_bind_text(st, 2, m->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, m->ts_ms);
    sqlite3_bind_int64(st, 4, r->received_ms);
    sqlite3_bind_int64(st, 5, m->order_id);
    sqlite3_bind_int(st, 6, m->kind == PS_MSESSION_REC_END);
  }
  return ps_sqlite_step_and_reset(st);
}

/* ---- reads ---- */

#define MSESSION_COLUMNS \
  "session_id, player, platform, portal, mod_ids, started_ms, last_ms, ended_ms," \
  " last_received_ms"

typedef struct msession_rows {
  ps_playtime_visitor visit;
  void *ctx;
} msession_rows;

static int msession_row(sqlite3_stmt *st, void *arg) {
  const msession_rows *q = arg;
  ps_playtime_session m = {
      .session_id = (const char *)sqlite3_column_text(st, 0),
      .player = (const char *)sqlite3_column_text(st, 1),
      .platform = (const char *)sqlite3_column_text(st, 2),
      .portal = (const char *)sqlite3_column_text(st, 3),
      .mod_ids = (const char *)sqlite3_column_text(st, 4),
      .started_ms = sqlite3_column_int64(st, 5),
      .last_ms = sqlite3_column_int64(st, 6),
      .ended_ms = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7),
      .last_received_ms = sqlite3_column_int64(st, 8),
  };
  return q->visit(&m, q->ctx);
}

/* Visits the sessions selected by sql (game id bound as ?1, then from, to and open_since as
 * ?2, ?3, ?4 if used). */
static int visit_msessions(sqlite_store *s, const char *sql, int64_t game_id, int64_t from_ms,
                           int64_t to_ms, int64_t open_since_ms, ps_playtime_visitor visit,
                           void *ctx) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    if (sqlite3_bind_parameter_count(st) >= 4) {
      sqlite3_bind_int64(st, 2, from_ms);
      sqlite3_bind_int64(st, 3, to_ms);
      sqlite3_bind_int64(st, 4, open_since_ms);
    }
    msession_rows rows = {visit, ctx};
    rc = ps_sqlite_each_row(st, msession_row, &rows);
  }
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  return rc;
}

/* Ranged: ended sessions by the arrival of their end (msessions_by_end_arrival), timed-out
 * ones by their last request (msessions_by_received), each an index range (named: on a small
 * table the planner would rather read the game's rows); a session not yet
 * timed out at now (?5) is still in play and left out. */
static const char ranged_scan_sql[] =
    "SELECT " MSESSION_COLUMNS " FROM msessions INDEXED BY msessions_by_end_arrival"
    " WHERE game_id = ?1"
    " AND ended_received_ms >= ?2 AND ended_received_ms < ?3 AND ended_ms IS NOT NULL"
    " UNION ALL SELECT " MSESSION_COLUMNS " FROM msessions INDEXED BY msessions_by_received"
    " WHERE game_id = ?1"
    " AND ended_ms IS NULL AND last_received_ms >= ?2 - ?4 AND last_received_ms < ?3 - ?4"
    " AND last_received_ms + ?4 < ?5"
    " ORDER BY started_ms, session_id";

int ps_sqlite_msessions_scan(sqlite_store *s, const ps_scan_query *q, ps_playtime_visitor visit,
                             void *ctx) {
  if (q->to_ms <= 0)
    return visit_msessions(s,
                           "SELECT " MSESSION_COLUMNS " FROM msessions WHERE game_id = ?1"
                           " ORDER BY started_ms, session_id",
                           q->game_id, 0, 0, 0, visit, ctx);
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  if (sqlite3_prepare_v2(db, ranged_scan_sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, q->game_id);
    sqlite3_bind_int64(st, 2, q->from_ms);
    sqlite3_bind_int64(st, 3, q->to_ms);
    sqlite3_bind_int64(st, 4, s->msession_timeout_ms);
    sqlite3_bind_int64(st, 5, ps_now_ms());
    msession_rows rows = {visit, ctx};
    rc = ps_sqlite_each_row(st, msession_row, &rows);
  }
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  return rc;
}

int ps_sqlite_msessions_of_player_on(sqlite3 *db, int64_t game_id, const char *player,
                                     ps_playtime_visitor visit, void *ctx) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db,
                         "SELECT " MSESSION_COLUMNS " FROM msessions WHERE game_id = ?1"
                         " AND player = ?2 ORDER BY started_ms, session_id",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, player, -1, SQLITE_STATIC);
    msession_rows rows = {visit, ctx};
    rc = ps_sqlite_each_row(st, msession_row, &rows);
  }
  sqlite3_finalize(st);
  return rc;
}

int ps_sqlite_msessions_range(sqlite_store *s, int64_t game_id, int64_t from_ms, int64_t to_ms,
                              int64_t open_since_ms, ps_playtime_visitor visit, void *ctx) {
  /* A union of two index ranges (msessions_by_last, msessions_by_received): recent ranges read
   * only recent sessions, however many the game has. The unary + keeps the planner off
   * msessions_by_start, which the ORDER BY would otherwise tempt it into (a full scan). */
  return visit_msessions(s,
                         "SELECT " MSESSION_COLUMNS " FROM msessions WHERE game_id = ?1"
                         " AND last_ms >= ?2 AND +started_ms < ?3"
                         " UNION SELECT " MSESSION_COLUMNS " FROM msessions WHERE game_id = ?1"
                         " AND ended_ms IS NULL AND last_received_ms >= ?4 AND +started_ms < ?3"
                         " ORDER BY started_ms, session_id",
                         game_id, from_ms, to_ms, open_since_ms, visit, ctx);
}

static int reader_int64(sqlite_store *s, const char *sql, int64_t game_id, int64_t *out) {
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  int rc = ps_sqlite_query_int64(db, sql, game_id, out);
  ps_sqlite_reader_release(s, db);
  return rc;
}

int ps_sqlite_msessions_first_start(sqlite_store *s, int64_t game_id, int64_t *out_ms) {
  return reader_int64(s, "SELECT min(started_ms) FROM msessions WHERE game_id = ?1", game_id,
                      out_ms);
}

/* ---- rollups ---- */

int ps_sqlite_rollup_settled(sqlite_store *s, int64_t game_id, int64_t *settled_ms) {
  return reader_int64(s, "SELECT settled_ms FROM rollup_state WHERE game_id = ?1", game_id,
                      settled_ms);
}

/* Inserts (or replaces) rows in msession_minutes on db, inside the caller's transaction. */
static int put_minutes(sqlite3 *db, int64_t game_id, const void *minute_rows, size_t n) {
  const ps_rollup_row *rows = minute_rows;
  sqlite3_stmt *row = NULL;
  int rc = sqlite3_prepare_v2(db,
                              "INSERT OR REPLACE INTO msession_minutes(game_id, platform, portal,"
                              " minute_ms, ccu, ugc) VALUES(?,?,?,?,?,?)",
                              -1, &row, NULL) == SQLITE_OK
               ? PS_OK
               : PS_EIO;
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    sqlite3_bind_int64(row, 1, game_id);
    sqlite3_bind_text(row, 2, rows[i].platform, -1, SQLITE_STATIC);
    sqlite3_bind_text(row, 3, rows[i].portal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(row, 4, rows[i].minute_ms);
    sqlite3_bind_int64(row, 5, rows[i].ccu);
    sqlite3_bind_int64(row, 6, rows[i].ugc);
    rc = ps_sqlite_step_and_reset(row);
  }
  sqlite3_finalize(row);
  return rc;
}

int ps_sqlite_rollup_write(sqlite_store *s, int64_t game_id, const ps_rollup_row *rows,
                           size_t n, int64_t settled_ms, int64_t epoch) {
  return ps_sqlite_rollup_pass_write(
      s, game_id, epoch, put_minutes, rows, n,
      "INSERT OR REPLACE INTO rollup_state(game_id, settled_ms) VALUES(?,?)", settled_ms);
}

int ps_sqlite_rollup_replace_on(sqlite3 *db, int64_t game_id, const ps_rollup_row *rows,
                                size_t n, int64_t from_ms, int64_t to_ms) {
  int rc = ps_sqlite_rollup_rows_drop(db, "msession_minutes", "minute_ms", game_id, -1, from_ms,
                                      to_ms);
  return rc == PS_OK ? put_minutes(db, game_id, rows, n) : rc;
}

typedef struct rollup_rows {
  ps_rollup_visitor visit;
  void *ctx;
} rollup_rows;

static int rollup_row(sqlite3_stmt *st, void *arg) {
  const rollup_rows *q = arg;
  ps_rollup_row r;
  ps_sqlite_copy_text(r.platform, sizeof r.platform, st, 0);
  ps_sqlite_copy_text(r.portal, sizeof r.portal, st, 1);
  r.minute_ms = sqlite3_column_int64(st, 2);
  r.ccu = sqlite3_column_int64(st, 3);
  r.ugc = sqlite3_column_int64(st, 4);
  return q->visit(&r, q->ctx);
}

int ps_sqlite_rollup_scan(sqlite_store *s, int64_t game_id, const char *platform,
                          const char *portal, int64_t from_ms, int64_t to_ms,
                          ps_rollup_visitor visit, void *ctx) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  /* Plain equalities when both are given, so that the primary key serves the whole range. */
  char sql[320];
  snprintf(sql, sizeof sql,
           "SELECT platform, portal, minute_ms, ccu, ugc FROM msession_minutes"
           " WHERE game_id = ?1 AND %s AND %s AND minute_ms >= ?4 AND minute_ms < ?5",
           platform ? "platform = ?2" : "platform <> '" PS_ROLLUP_ANY "'",
           portal ? "portal = ?3" : "portal <> '" PS_ROLLUP_ANY "'");
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    if (platform) sqlite3_bind_text(st, 2, platform, -1, SQLITE_STATIC);
    if (portal) sqlite3_bind_text(st, 3, portal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, from_ms);
    sqlite3_bind_int64(st, 5, to_ms);
    rollup_rows rows = {visit, ctx};
    rc = ps_sqlite_each_row(st, rollup_row, &rows);
  }
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  return rc;
}

typedef struct id_list {
  int64_t *ids;
  size_t n, cap;
} id_list;

static int id_row(sqlite3_stmt *st, void *arg) {
  id_list *l = arg;
  if (PS_ARRAY_RESERVE(l->ids, l->n, l->cap)) return PS_ENOMEM;
  l->ids[l->n++] = sqlite3_column_int64(st, 0);
  return 0;
}

int ps_sqlite_event_games(sqlite_store *s, int64_t **ids, size_t *count) {
  sqlite3_stmt *st = NULL;
  id_list l = {0};
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  if (sqlite3_prepare_v2(db, "SELECT game_id FROM event_games ORDER BY game_id", -1, &st,
                         NULL) == SQLITE_OK)
    rc = ps_sqlite_each_row(st, id_row, &l);
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  if (rc != PS_OK) {
    free(l.ids);
    return rc;
  }
  *ids = l.ids;
  *count = l.n;
  return PS_OK;
}
