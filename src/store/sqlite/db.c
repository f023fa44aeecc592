/*
 * db.c: the SQLite backend's database file: connections, the schema and its upgrades, and the
 * statement helpers every file of the backend uses.
 *
 * Durability: synchronous=FULL, so a COMMIT returns only once the WAL is fsync'ed; except on
 * the event store's writer connection, which commits with synchronous=NORMAL and is flushed by
 * ps_sqlite_sync (wal_sync.c).
 * Concurrency: WAL lets readers (and other processes: the CLI) read while one writer writes;
 * busy_timeout makes writers wait their turn.
 * The write-ahead log stays small: it is checkpointed once it holds WAL_CHECKPOINT_PAGES pages
 * (about 4 MB; checkpointer.c, off the writer's commits), and journal_size_limit caps the file
 * at 16 MB when a checkpoint let it restart, so the space a full disk needs to recover is a
 * few MB (docs/design.md). The cap is above the checkpoint size on purpose: a log file that is
 * truncated below its working size grows again at every cycle, and an fdatasync that extends
 * a file also commits the file system's journal; at a 4 MB cap heartbeats were answered at
 * 55% of the rate (docs/PERFORMANCE.md).
 *
 * Schema: PRAGMA user_version = SCHEMA_VERSION. Every statement of every file's schema is
 * idempotent, so an upgrade runs them all, then the data moves of the versions it crosses,
 * in one transaction: an interrupted upgrade leaves the previous version whole.
 *   7: events deduplicated by (game_id, client_ts, event_uuid) (events_by_ts_uuid replaces
 *      events_by_uuid); the state store's tables of their own (msession_state, so_anonymity,
 *      so_anonymity_players, filled from msessions, so_sessions and so_players, which is
 *      dropped), and event_games (the games the event store has records of).
 *      And so_key_seq, the highest session-search sequence handed out (kept across expiries);
 *      the hourly and daily playtime rollups (playtime_tables.c), backfilled from the first
 *      session by the upkeep.
 *   8: each event's digest for the event rollups in columns of its row (event_log.c,
 *      ga_facts.h), made at append from the collector's facts; filled for the events stored
 *      before from their bodies (one parse each, in the upgrade's transaction).
 *   9: the data lifecycle (issue 14), one step keyed on the columns it adds, not on the
 *      number (upgrade_to_9 below): read-API tokens have a role (api_tokens.role: the tokens
 *      made before become viewers) and the export log (export_log.c) is a new table;
 *      msessions.ended_received_ms (the arrival of a session's end; filled for the ended
 *      sessions stored before with their last request's arrival) and so_events.received_ms
 *      (NULL for the events stored before: read as their ts_ms), with the indexes of the
 *      ranged scans and of retention (lifecycle_indexes); and the tables of player deletions
 *      and retention of the playtime rollups (playtime_tables.c: playtime_forgets,
 *      playtime_recompute, playtime_retention), plus msessions_by_player; events and
 *      rejected events indexed by arrival (ranged scans, retention), the journal of player
 *      deletions (event_lifecycle.c) and the days whose raw rows retention dropped
 *      (ga_tables.c). Building the indexes takes the upgrade's transaction a while on a large
 *      store.
 *  10: events.country and ga_users.dim7, the country dimension (country.c); NULL for the
 *      events stored before (unknown country).
 *      Exchange rates and each game's reporting currency (rates.c: new tables).
 *      Segments: ga_combos and the aggregates by combination of dimension values
 *      (ga_combos.h), filled for the events already rolled up in one grouped INSERT.
 *      Funnels: events indexed by category and digest key, and business events by item
 *      (ga_funnel.c).
 *  11: the funnels' rollup (ga_funnel_times.h: per step key and day, each event's user number,
 *      second and combo), filled for the events already rolled up (one walk over them, in the
 *      upgrade's transaction; about a minute per ten million events).
 *  12: ga_bits chunks with few users kept as their positions (ga_chunk_codec.h); older rows
 *      rewritten so in the upgrade's transaction.
 *  13: the LTV rollup (ga_ltv_rollup.h: amounts per user, day and currency, and per install
 *      cohort, day since install and currency), filled for the business events already rolled
 *      up (grouped INSERTs in the upgrade's transaction).
 */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/ga_chunk_codec.h"
#include "store/sqlite/ga_combos.h"
#include "store/sqlite/ga_funnel.h"
#include "store/sqlite/ga_funnel_times.h"
#include "store/sqlite/ga_ltv.h"
#include "store/sqlite/ga_ltv_rollup.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/rates.h"

#define SCHEMA_VERSION 13
#define WAL_SIZE_LIMIT_BYTES (16 * 1024 * 1024)

int ps_sqlite_exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    ps_error_log("sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return PS_EIO;
  }
  return PS_OK;
}

int ps_sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK) {
    ps_error_log("sqlite: prepare %s: %s", sql, sqlite3_errmsg(db));
    return PS_EIO;
  }
  return PS_OK;
}

void ps_sqlite_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col) {
  const unsigned char *text = sqlite3_column_text(st, col);
  snprintf(dst, cap, "%s", text ? (const char *)text : "");
}

void ps_sqlite_bind_optional_text(sqlite3_stmt *st, int col, const char *text) {
  if (text)
    sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, col);
}

int ps_sqlite_step_and_reset(sqlite3_stmt *st) {
  int step = sqlite3_step(st);
  sqlite3_reset(st);
  return step == SQLITE_DONE ? PS_OK : PS_EIO;
}

int ps_sqlite_each_row(sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx), void *ctx) {
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    int stop = row(st, ctx);
    if (stop) return stop;
  }
  return step == SQLITE_DONE ? PS_OK : PS_EIO;
}

int ps_sqlite_query_int64(sqlite3 *db, const char *sql, int64_t game_id, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      *out = sqlite3_column_int64(st, 0);
      rc = PS_OK;
    } else if (step == SQLITE_ROW || step == SQLITE_DONE) {
      rc = PS_ENOTFOUND;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

int ps_sqlite_commit_with_mark(sqlite3 *db, const char *mark_sql, int64_t game_id, int64_t mark) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, mark_sql, -1, &st, NULL) == SQLITE_OK ? PS_OK : PS_EIO;
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, mark);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  if (rc == PS_OK) rc = ps_sqlite_exec(db, "COMMIT");
  if (rc != PS_OK) ps_sqlite_exec(db, "ROLLBACK");
  return rc;
}

/* Data moves of version 7 (from 1..6): the state store's own copies of what the shared tables
 * held, then the end of so_players (secure_delete zeroes its pages) and of the salts kept in
 * so_sessions. */
static const char upgrade_to_7[] =
    "INSERT OR IGNORE INTO msession_state(game_id, session_id, player, max_order_id,"
    "  last_received_ms, ended)"
    "  SELECT game_id, session_id, player, max_order_id, last_received_ms, ended_ms IS NOT NULL"
    "  FROM msessions;"
    "INSERT OR IGNORE INTO so_anonymity(project_id, environment_id, session_id, salt,"
    "  first_ms, match_created_ms)"
    "  SELECT project_id, environment_id, session_id, salt, first_ms, match_created_ms"
    "  FROM so_sessions;"
    "INSERT OR IGNORE INTO so_anonymity_players(project_id, environment_id, session_id, hash,"
    "  number)"
    "  SELECT s.project_id, s.environment_id, s.session_id, p.hash, p.number"
    "  FROM so_players p JOIN so_sessions s ON s.id = p.session;"
    "DROP TABLE so_players;"
    "UPDATE so_sessions SET salt = '';"
    "INSERT OR IGNORE INTO event_games(game_id) SELECT id FROM games;";

/* Version 9, the data lifecycle: columns the tables of a fresh store are created with, added
 * to an older store's, then the indexes on them. */
static const char token_roles_column[] =
    "ALTER TABLE api_tokens ADD COLUMN role TEXT NOT NULL DEFAULT 'viewer';";
static const char lifecycle_msessions_column[] =
    "ALTER TABLE msessions ADD COLUMN ended_received_ms INTEGER;"
    "UPDATE msessions SET ended_received_ms = last_received_ms WHERE ended_ms IS NOT NULL;";
static const char lifecycle_so_events_column[] =
    "ALTER TABLE so_events ADD COLUMN received_ms INTEGER;";
static const char lifecycle_indexes[] =
    "CREATE INDEX IF NOT EXISTS msessions_by_end_arrival ON msessions(game_id, ended_received_ms)"
    "  WHERE ended_received_ms IS NOT NULL;"
    "CREATE INDEX IF NOT EXISTS so_events_by_arrival"
    "  ON so_events(coalesce(received_ms, ts_ms), id);";

/* 1 when table has column (0 when not: the count). */
static int column_exists(sqlite3 *db, const char *table, const char *column) {
  char sql[160];
  int64_t found = 0;
  snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'",
           table, column);
  return ps_sqlite_query_int64(db, sql, 0, &found) == PS_OK && found > 0;
}

int ps_sqlite_column_exists(sqlite3 *db, const char *table, const char *column) {
  return column_exists(db, table, column);
}

static int upgrade_to_9(sqlite3 *db) {
  int rc = PS_OK;
  if (!column_exists(db, "api_tokens", "role")) rc = ps_sqlite_exec(db, token_roles_column);
  if (rc == PS_OK && !column_exists(db, "msessions", "ended_received_ms"))
    rc = ps_sqlite_exec(db, lifecycle_msessions_column);
  if (rc == PS_OK && !column_exists(db, "so_events", "received_ms"))
    rc = ps_sqlite_exec(db, lifecycle_so_events_column);
  return rc == PS_OK ? ps_sqlite_exec(db, lifecycle_indexes) : rc;
}

static int table_exists(sqlite3 *db, const char *name) {
  sqlite3_stmt *st = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return found;
}

static int migrate(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int version = 0;
  if (ps_sqlite_exec(db, "BEGIN IMMEDIATE") != PS_OK) return PS_EIO;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (version > SCHEMA_VERSION) {
    ps_sqlite_exec(db, "ROLLBACK");
    ps_error_log("sqlite: database schema version %d is newer than this playstat (%d)",
                 version, SCHEMA_VERSION);
    return PS_EUNSUPPORTED;
  }
  if (version == SCHEMA_VERSION) return ps_sqlite_exec(db, "COMMIT");
  const char *const schemas[] = {ps_sqlite_state_schema,    ps_sqlite_accounts_schema,
                                 ps_sqlite_event_log_schema, ps_sqlite_playtime_schema,
                                 ps_sqlite_playtime_rollup_schema,
                                 ps_sqlite_sessions_schema, ps_sqlite_ga_schema,
                                 ps_sqlite_export_log_schema, ps_sqlite_lifecycle_schema,
                                 ps_sqlite_rates_schema, ps_sqlite_funnel_times_schema,
                                 ps_sqlite_ltv_rollup_schema};
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < sizeof schemas / sizeof *schemas; i++)
    rc = ps_sqlite_exec(db, schemas[i]);
  if (rc == PS_OK && version > 0 && version < 7 && table_exists(db, "so_players"))
    rc = ps_sqlite_exec(db, upgrade_to_7);
  if (rc == PS_OK && version > 0 && version < 8) {
    ps_info("sqlite: upgrading from schema %d: deriving each stored analytics event's rollup"
            " digest once (one parse per event; minutes for tens of millions of events)", version);
    rc = ps_sqlite_event_log_upgrade_to_8(db);
  }
  if (rc == PS_OK) rc = upgrade_to_9(db);
  if (rc == PS_OK && version < 10) rc = ps_sqlite_country_upgrade_to_10(db);
  if (rc == PS_OK && version > 0 && version < 10) rc = ps_sqlite_ga_combos_upgrade_to_10(db);
  if (rc == PS_OK) rc = ps_sqlite_exec(db, ps_sqlite_funnel_schema); /* indexes v8's columns */
  if (rc == PS_OK) rc = ps_sqlite_exec(db, ps_sqlite_ltv_schema);    /* so does ltv's */
  if (rc == PS_OK && version > 0 && version < 11) rc = ps_sqlite_funnel_times_upgrade_to_11(db);
  if (rc == PS_OK && version > 0 && version < 12) rc = ps_sqlite_ga_chunks_upgrade_to_12(db);
  if (rc == PS_OK && version > 0 && version < 13) rc = ps_sqlite_ltv_upgrade_to_13(db);
  char set_version[64];
  snprintf(set_version, sizeof set_version, "PRAGMA user_version=%d", SCHEMA_VERSION);
  if (rc == PS_OK) rc = ps_sqlite_exec(db, set_version);
  if (rc != PS_OK) {
    ps_sqlite_exec(db, "ROLLBACK");
    return rc;
  }
  if (version > 0) ps_info("sqlite: upgraded the database from schema %d to %d", version, SCHEMA_VERSION);
  return ps_sqlite_exec(db, "COMMIT");
}

int ps_sqlite_path(const char *dir, char *path, size_t cap) {
  if (mkdir(dir, 0700) != 0) {
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
      ps_error_log("sqlite: data directory %s cannot be created", dir);
      return PS_EIO;
    }
  }
  if ((size_t)snprintf(path, cap, "%s/playstat.db", dir) >= cap) return PS_EINVAL;
  return PS_OK;
}

int ps_sqlite_connect(const char *path, sqlite3 **out) {
  sqlite3 *db = NULL;
  int rc = sqlite3_open_v2(path, &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           NULL);
  if (rc != SQLITE_OK) {
    ps_error_log("sqlite: cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    sqlite3_close(db);
    return PS_EIO;
  }
  sqlite3_busy_timeout(db, 10000);
  char pragmas[320];
  snprintf(pragmas, sizeof pragmas,
           "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
           "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=%d;"
           "PRAGMA journal_size_limit=%d; PRAGMA secure_delete=ON;",
           WAL_CHECKPOINT_PAGES, WAL_SIZE_LIMIT_BYTES);
  rc = ps_sqlite_exec(db, pragmas);
  if (rc == PS_OK) rc = migrate(db);
  if (rc != PS_OK) {
    sqlite3_close(db);
    return rc;
  }
  *out = db;
  return PS_OK;
}
