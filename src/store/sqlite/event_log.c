/*
 * event_log.c: analytics events and rejected events in the SQLite event store.
 *
 *   events(id, game_id, category, event_uuid BLOB(16), client_ts, received_ms, user_id,
 *          session_id, body,            unique (game_id, ifnull(client_ts, 0), event_uuid)
 *          day, platform, build,        where uuid not null (events_by_ts_uuid, since v7)
 *          os_version, custom_01..03,
 *          agg_key, agg_value,          the rollups' digest (since v8)
 *          country)                     the request's country, ISO code or NULL (since v10,
 *                                       country.c; the rollups' dimension 7)
 *   rejected_events(id, game_id, received_ms, event_index, category, body, errors)
 *
 *   events_by_arrival (game_id, received_ms), rejected_by_arrival: ranged scans (export) and
 *                     retention read a game's rows by arrival (since v9). received_ms only
 *                     grows, so an insert lands on the right edge of the game's part of the
 *                     index. What it costs an append, bench/event_store (200,000 events in
 *                     appends of 100, received_ms growing as in service, 2 shared cores):
 *                     about 22 us CPU per event without it, 24-25 with it (fsync dominates
 *                     the wall time either way). An index by rollup day as well (for a
 *                     deletion's rebuild) made it about 30, so a deletion walks the table.
 *
 * An event is stored once per (game, event_uuid): INSERT OR IGNORE against the unique index
 * finds a resend at once (the record's duplicate flag). A resend carries the same body, hence
 * the same client_ts: the index leads with client_ts so that inserts stay on the pages of the
 * present however large the table grows (docs/PERFORMANCE.md, "Ingest as the store grows");
 * the same uuid sent with another client_ts is another event. The uuid is kept as its 16 bytes, so
 * any hex case or dash layout is the same uuid. Rejected events are trimmed to the newest
 * rejected_keep per game in the transaction that added them. Row ids grow with arrival: the
 * event rollups (ga_rollup.c) follow them from a mark.
 *
 * The digest (ga_facts.h) is what the rollups need of the event, made when it is appended from
 * the collector's facts (or its body, once, when a caller has none) so that the rollups read
 * these columns and never parse a body: day is NULL for an event they skip (no user), a
 * dimension is NULL when absent or empty, agg_key is NULL when the event adds to no aggregate
 * but its category's counts. Typed columns rather than one packed blob: the same bytes within
 * a few (each is a one-byte header and its value), readable by SQL (the upgrade, the sqlite3
 * shell, an index should a query want one), and no encoding of our own to keep. They come last,
 * after body, in a new table as in one that the upgrade to version 8 extended (ALTER TABLE
 * ADD COLUMN appends), so every store has the same shape.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "common/encoding.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/ga_digest.h"
#include "store/sqlite/internal.h"

/* The digest's columns, in the order bind_digest binds them. */
#define DIGEST_COLUMNS                                                                      \
  ", day INTEGER, platform TEXT, build TEXT, os_version TEXT, custom_01 TEXT, custom_02 TEXT," \
  " custom_03 TEXT, agg_key TEXT, agg_value REAL"
#define DIGEST_NAMES \
  "day, platform, build, os_version, custom_01, custom_02, custom_03, agg_key, agg_value"
#define DIGEST_COUNT 9

const char ps_sqlite_event_log_schema[] =
    "CREATE TABLE IF NOT EXISTS events("
    "  id INTEGER PRIMARY KEY, game_id INTEGER NOT NULL, category TEXT NOT NULL,"
    "  event_uuid BLOB, client_ts INTEGER, received_ms INTEGER NOT NULL, user_id TEXT,"
    "  session_id TEXT, body TEXT NOT NULL" DIGEST_COLUMNS ", country TEXT);"
    /* Dedup of resends (same body, so the same client_ts and uuid). Led by client_ts, which is
     * near "now" for nearly every event, so a transaction's inserts land on the few index pages
     * covering the present; keyed by the random uuid alone (v6's events_by_uuid) they dirtied
     * one page each anywhere in the index, and ingest slowed as the table grew. ifnull: events
     * without client_ts still dedup by uuid. */
    "DROP INDEX IF EXISTS events_by_uuid;"
    "CREATE UNIQUE INDEX IF NOT EXISTS events_by_ts_uuid"
    "  ON events(game_id, ifnull(client_ts, 0), event_uuid) WHERE event_uuid IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS rejected_events("
    "  id INTEGER PRIMARY KEY, game_id INTEGER NOT NULL, received_ms INTEGER NOT NULL,"
    "  event_index INTEGER NOT NULL, category TEXT, body TEXT NOT NULL, errors TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS rejected_by_game ON rejected_events(game_id, id);"
    /* received_ms only grows: inserts land at the right edge of the game's range. */
    "CREATE INDEX IF NOT EXISTS events_by_arrival ON events(game_id, received_ms);"
    "CREATE INDEX IF NOT EXISTS rejected_by_arrival ON rejected_events(game_id, received_ms);";

int ps_sqlite_event_log_prepare(sqlite_store *s) {
  if (ps_sqlite_prepare(s->writer,
                        "INSERT OR IGNORE INTO events(game_id, category, event_uuid, client_ts,"
                        " received_ms, user_id, session_id, body, " DIGEST_NAMES ", country)"
                        " VALUES(?,?,?,?,?,?,?,?, ?,?,?,?,?,?,?,?,?, ?)",
                        &s->insert_event) != PS_OK ||
      ps_sqlite_prepare(s->writer,
                        "INSERT INTO rejected_events(game_id, received_ms, event_index, category,"
                        " body, errors) VALUES(?,?,?,?,?,?)",
                        &s->insert_rejected) != PS_OK ||
      ps_sqlite_prepare(s->writer,
                        "DELETE FROM rejected_events WHERE game_id = ?1 AND id <= (SELECT id FROM"
                        " rejected_events WHERE game_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
                        &s->trim_rejected) != PS_OK)
    return PS_EIO;
  return PS_OK;
}

/* A UUID's 16 bytes (any hex case, dashes ignored); 0 if it is not 32 hex digits. */
static int uuid_to_bytes(const char *uuid, unsigned char out[16]) {
  int n = 0;
  for (const char *p = uuid; *p; p++) {
    if (*p == '-') continue;
    int v = ps_hex_digit(*p);
    if (v < 0 || n >= 32) return 0;
    if (n % 2 == 0)
      out[n / 2] = (unsigned char)(v << 4);
    else
      out[n / 2] |= (unsigned char)v;
    n++;
  }
  return n == 32;
}

/* Binds the digest's DIGEST_COUNT columns from parameter first on (NULLs when it does not
 * fold); its strings must outlive the step (SQLITE_STATIC). */
static void bind_digest(sqlite3_stmt *st, int first, const ps_ga_digest *d) {
  for (int i = 0; i < DIGEST_COUNT; i++) sqlite3_bind_null(st, first + i);
  if (!d->folds) return;
  sqlite3_bind_int64(st, first, d->day);
  for (int k = 1; k < PS_GA_DIM_COUNTRY; k++) /* country: insert_event binds the record's */
    ps_sqlite_bind_optional_text(st, first + k, d->dims[k]);
  if (d->agg_key) {
    sqlite3_bind_text(st, first + 7, d->agg_key, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, first + 8, d->agg_value);
  }
}

static int insert_event(sqlite_store *s, ps_record *r) {
  sqlite3_stmt *st = s->insert_event;
  unsigned char uuid[16];
  ps_ga_digest digest;
  int rc = ps_ga_digest_of_record(r, &digest);
  if (rc != PS_OK) return rc;
  sqlite3_bind_int64(st, 1, r->game_id);
  sqlite3_bind_text(st, 2, r->category ? r->category : "", -1, SQLITE_STATIC);
  if (r->event_uuid && uuid_to_bytes(r->event_uuid, uuid))
    sqlite3_bind_blob(st, 3, uuid, 16, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, 3);
  if (r->has_client_ts)
    sqlite3_bind_int64(st, 4, r->client_ts);
  else
    sqlite3_bind_null(st, 4);
  sqlite3_bind_int64(st, 5, r->received_ms);
  ps_sqlite_bind_optional_text(st, 6, r->user_id);
  ps_sqlite_bind_optional_text(st, 7, r->session_id);
  sqlite3_bind_text(st, 8, r->body, (int)r->body_len, SQLITE_STATIC);
  bind_digest(st, 9, &digest);
  ps_sqlite_bind_optional_text(st, 9 + DIGEST_COUNT, r->country); /* every event, folded or not */
  int step = sqlite3_step(st);
  sqlite3_reset(st);
  ps_ga_digest_release(&digest);
  if (step != SQLITE_DONE) return PS_EIO;
  r->duplicate = sqlite3_changes(s->writer) == 0;
  return PS_OK;
}

static int insert_rejected(sqlite_store *s, const ps_record *r) {
  sqlite3_stmt *st = s->insert_rejected;
  sqlite3_bind_int64(st, 1, r->game_id);
  sqlite3_bind_int64(st, 2, r->received_ms);
  sqlite3_bind_int(st, 3, r->event_index);
  ps_sqlite_bind_optional_text(st, 4, r->category);
  sqlite3_bind_text(st, 5, r->body, (int)r->body_len, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, r->errors_json ? r->errors_json : "[]", -1, SQLITE_STATIC);
  return ps_sqlite_step_and_reset(st);
}

int ps_sqlite_event_log_append(sqlite_store *s, ps_record *r) {
  return r->kind == PS_RECORD_EVENT ? insert_event(s, r) : insert_rejected(s, r);
}

static int has_column(sqlite3 *db, const char *table, const char *column) {
  sqlite3_stmt *st = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return found;
}

int ps_sqlite_event_log_upgrade_to_8(sqlite3 *db) {
  static const char *const columns[DIGEST_COUNT][2] = {
      {"day", "INTEGER"},       {"platform", "TEXT"},  {"build", "TEXT"},
      {"os_version", "TEXT"},   {"custom_01", "TEXT"}, {"custom_02", "TEXT"},
      {"custom_03", "TEXT"},    {"agg_key", "TEXT"},   {"agg_value", "REAL"}};
  int rc = PS_OK;
  for (int i = 0; rc == PS_OK && i < DIGEST_COUNT; i++) {
    if (has_column(db, "events", columns[i][0])) continue; /* created at this version */
    char sql[128];
    snprintf(sql, sizeof sql, "ALTER TABLE events ADD COLUMN %s %s", columns[i][0], columns[i][1]);
    rc = ps_sqlite_exec(db, sql);
  }
  sqlite3_stmt *rows = NULL, *update = NULL;
  if (rc == PS_OK &&
      (sqlite3_prepare_v2(db, "SELECT id, category, user_id, received_ms, body FROM events"
                              " WHERE user_id IS NOT NULL AND user_id != '' ORDER BY id",
                          -1, &rows, NULL) != SQLITE_OK ||
       sqlite3_prepare_v2(db, "UPDATE events SET (" DIGEST_NAMES ") ="
                              " (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) WHERE id = ?10",
                          -1, &update, NULL) != SQLITE_OK)) {
    ps_error_log("sqlite: upgrade to 8: %s", sqlite3_errmsg(db));
    rc = PS_EIO;
  }
  /* Updating a row in place keeps the rowid scan's position (only these columns change). */
  int step = SQLITE_DONE;
  while (rc == PS_OK && (step = sqlite3_step(rows)) == SQLITE_ROW) {
    ps_ga_digest digest;
    rc = ps_ga_digest_from_body((const char *)sqlite3_column_text(rows, 1),
                                (const char *)sqlite3_column_text(rows, 2),
                                sqlite3_column_int64(rows, 3),
                                (const char *)sqlite3_column_text(rows, 4),
                                (size_t)sqlite3_column_bytes(rows, 4), &digest);
    if (rc != PS_OK) break;
    if (digest.folds) {
      bind_digest(update, 1, &digest);
      sqlite3_bind_int64(update, 10, sqlite3_column_int64(rows, 0));
      rc = ps_sqlite_step_and_reset(update);
    }
    ps_ga_digest_release(&digest);
  }
  if (rc == PS_OK && step != SQLITE_DONE) rc = PS_EIO;
  if (rc == PS_EIO) ps_error_log("sqlite: upgrade to 8: %s", sqlite3_errmsg(db));
  sqlite3_finalize(rows);
  sqlite3_finalize(update);
  return rc;
}

int ps_sqlite_rejected_trim(sqlite_store *s, int64_t game_id) {
  sqlite3_stmt *st = s->trim_rejected;
  sqlite3_bind_int64(st, 1, game_id);
  sqlite3_bind_int64(st, 2, s->rejected_keep);
  return ps_sqlite_step_and_reset(st);
}

typedef struct event_rows {
  int64_t game_id;
  ps_scan_visitor visit;
  void *ctx;
} event_rows;

static int event_row(sqlite3_stmt *st, void *arg) {
  const event_rows *q = arg;
  ps_stored_event e = {
      .game_id = q->game_id,
      .received_ms = sqlite3_column_int64(st, 0),
      .category = (const char *)sqlite3_column_text(st, 1),
      .body = (const char *)sqlite3_column_text(st, 2),
      .body_len = (size_t)sqlite3_column_bytes(st, 2),
      .event_index = sqlite3_column_int(st, 3),
      .errors_json = (const char *)sqlite3_column_text(st, 4),
      .country = (const char *)sqlite3_column_text(st, 5),
  };
  ps_scan_item item = {.event = &e};
  return q->visit(&item, q->ctx);
}

int ps_sqlite_visit_event_rows(sqlite3_stmt *st, int64_t game_id, ps_scan_visitor visit,
                               void *ctx) {
  event_rows rows = {game_id, visit, ctx};
  return ps_sqlite_each_row(st, event_row, &rows);
}

int ps_sqlite_event_log_scan(sqlite_store *s, const ps_scan_query *q, ps_scan_visitor visit,
                             void *ctx) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  /* Arrival order is (received_ms, id): the *_by_arrival index's order (rowid last), so a
   * range reads that index and never the whole table. */
  const char *sql =
      q->kind == PS_SCAN_REJECTED
          ? "SELECT received_ms, category, body, event_index, errors, NULL FROM rejected_events"
            " WHERE game_id = ?1 AND (?2 IS NULL OR category = ?2) AND received_ms >= ?3"
            " AND received_ms < ?4 ORDER BY received_ms, id"
          : "SELECT received_ms, category, body, 0, NULL, country FROM events"
            " WHERE game_id = ?1 AND (?2 IS NULL OR category = ?2) AND received_ms >= ?3"
            " AND received_ms < ?4 ORDER BY received_ms, id";
  int ranged = q->to_ms > 0;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, q->game_id);
    ps_sqlite_bind_optional_text(st, 2, q->category);
    sqlite3_bind_int64(st, 3, ranged ? q->from_ms : INT64_MIN);
    sqlite3_bind_int64(st, 4, ranged ? q->to_ms : INT64_MAX);
    rc = ps_sqlite_visit_event_rows(st, q->game_id, visit, ctx);
  }
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  return rc;
}
