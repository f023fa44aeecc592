/*
 * playtime_tables.c: the tables of the playtime rollups of metrics sessions (see
 * playtime_rollup.h for what they mean).
 *
 * Layout:
 *   playtime_players(game_id, player, idx)        dense player numbers, unique (game_id, idx)
 *   playtime_rollups(game_id, span_ms, platform, portal, t_ms, started, started_mods, ended,
 *                    ended_ms, len0..len4, ccu, ugc, players BLOB)
 *                                                 one hour or day of one (platform, portal)
 *   playtime_mods(game_id, span_ms, platform, portal, t_ms, mod_id, ms)
 *                                                 playtime of each mod within that hour / day
 *   playtime_state(game_id, settled_ms)           the rollups cover every hour before it
 *   playtime_forgets(game_id, epoch)              bumped by every player deletion
 *                                                 (playtime_lifecycle.c)
 *   playtime_recompute(game_id, day_ms)           days whose rows a deletion must still
 *                                                 compute again
 *   playtime_retention(game_id, dropped_until_ms) retention dropped sessions that were over
 *                                                 before it: days up to it are never computed
 *                                                 again (their rows keep what they hold)
 *
 * A forgotten player's playtime_players row keeps its number, with the id replaced by a blob
 * of the number (a blob never equals the text of a player id), so that the number, which may
 * still be in the sets of days no longer computable, is never given to another player.
 *
 * Rollup writes check the epoch their pass read before loading its sessions (PS_EEXPIRED when
 * a deletion came in between: the pass computed with a player who is gone, and is run again).
 *
 * Writes (the rollup worker's) run on the shared connection in one IMMEDIATE transaction;
 * reads take a reader and run in one read transaction, so that the settled mark and the rows
 * they return belong to the same commit (a query must not add a day row written after the
 * mark it read to the live tail it computes from that mark).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/playtime_rollup.h"

const char ps_sqlite_playtime_rollup_schema[] =
    "CREATE TABLE IF NOT EXISTS playtime_players("
    "  game_id INTEGER NOT NULL, player TEXT NOT NULL, idx INTEGER NOT NULL,"
    "  PRIMARY KEY(game_id, player)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX IF NOT EXISTS playtime_players_by_idx ON playtime_players(game_id, idx);"
    "CREATE TABLE IF NOT EXISTS playtime_rollups("
    "  game_id INTEGER NOT NULL, span_ms INTEGER NOT NULL, platform TEXT NOT NULL,"
    "  portal TEXT NOT NULL, t_ms INTEGER NOT NULL, started INTEGER NOT NULL,"
    "  started_mods INTEGER NOT NULL, ended INTEGER NOT NULL, ended_ms INTEGER NOT NULL,"
    "  len0 INTEGER NOT NULL, len1 INTEGER NOT NULL, len2 INTEGER NOT NULL,"
    "  len3 INTEGER NOT NULL, len4 INTEGER NOT NULL, ccu INTEGER NOT NULL, ugc INTEGER NOT NULL,"
    "  players BLOB NOT NULL,"
    "  PRIMARY KEY(game_id, span_ms, platform, portal, t_ms)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS playtime_rollups_by_portal"
    "  ON playtime_rollups(game_id, span_ms, portal, t_ms);"
    "CREATE TABLE IF NOT EXISTS playtime_mods("
    "  game_id INTEGER NOT NULL, span_ms INTEGER NOT NULL, platform TEXT NOT NULL,"
    "  portal TEXT NOT NULL, t_ms INTEGER NOT NULL, mod_id INTEGER NOT NULL, ms INTEGER NOT NULL,"
    "  PRIMARY KEY(game_id, span_ms, platform, portal, t_ms, mod_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS playtime_state("
    "  game_id INTEGER PRIMARY KEY, settled_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS playtime_forgets("
    "  game_id INTEGER PRIMARY KEY, epoch INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS playtime_recompute("
    "  game_id INTEGER NOT NULL, day_ms INTEGER NOT NULL,"
    "  PRIMARY KEY(game_id, day_ms)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS playtime_retention("
    "  game_id INTEGER PRIMARY KEY, dropped_until_ms INTEGER NOT NULL);";

/* ---- the settled mark ---- */

int ps_sqlite_playtime_settled_on(sqlite3 *db, int64_t game_id, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db, "SELECT settled_ms FROM playtime_state WHERE game_id = ?1", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      *out = sqlite3_column_int64(st, 0);
      rc = PS_OK;
    } else if (step == SQLITE_DONE) {
      rc = PS_ENOTFOUND;
    }
  }
  sqlite3_finalize(st);
  return rc;
}

/* fn(db, game_id, out) on a reader. */
static int on_reader(sqlite_store *s, int (*fn)(sqlite3 *, int64_t, int64_t *), int64_t game_id,
                     int64_t *out) {
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  int rc = fn(db, game_id, out);
  ps_sqlite_reader_release(s, db);
  return rc;
}

int ps_sqlite_playtime_settled(sqlite_store *s, int64_t game_id, int64_t *settled_ms) {
  return on_reader(s, ps_sqlite_playtime_settled_on, game_id, settled_ms);
}

/* ---- deletions: the epoch, and the combinations a table holds ---- */

int ps_sqlite_playtime_epoch_on(sqlite3 *db, int64_t game_id, int64_t *epoch) {
  int rc = ps_sqlite_query_int64(db, "SELECT epoch FROM playtime_forgets WHERE game_id = ?1",
                                 game_id, epoch);
  if (rc == PS_ENOTFOUND) {
    *epoch = 0;
    rc = PS_OK;
  }
  return rc;
}

int ps_sqlite_playtime_epoch(sqlite_store *s, int64_t game_id, int64_t *epoch) {
  return on_reader(s, ps_sqlite_playtime_epoch_on, game_id, epoch);
}

int ps_sqlite_playtime_epoch_check(sqlite3 *db, int64_t game_id, int64_t epoch) {
  int64_t now = 0;
  int rc = ps_sqlite_playtime_epoch_on(db, game_id, &now);
  return rc != PS_OK ? rc : now == epoch ? PS_OK : PS_EEXPIRED;
}

int ps_sqlite_rollup_pass_write(sqlite_store *s, int64_t game_id, int64_t epoch,
                                ps_rows_writer put, const void *rows, size_t n,
                                const char *mark_sql, int64_t mark) {
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE") == PS_OK) {
    rc = ps_sqlite_playtime_epoch_check(s->shared, game_id, epoch);
    if (rc == PS_OK) rc = put(s->shared, game_id, rows, n);
    if (rc == PS_OK) rc = ps_sqlite_commit_with_mark(s->shared, mark_sql, game_id, mark);
    else ps_sqlite_exec(s->shared, "ROLLBACK");
  }
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* What a rollup table's rows are keyed by after the game: (span_ms,) platform, portal, time. */
typedef struct rows_range {
  sqlite3 *db;
  const char *table, *t_column;
  int64_t game_id, span_ms, from_ms, to_ms;
} rows_range;

typedef int (*combination_fn)(const char *platform, const char *portal, const rows_range *r);

/* fn for each distinct (platform, portal) of r's table among the rows of r's game (and span,
 * when >= 0). */
static int each_combination(const rows_range *r, combination_fn fn) {
  sqlite3 *db = r->db;
  const char *table = r->table;
  int64_t game_id = r->game_id, span_ms = r->span_ms;
  /* A loose index scan: one seek on the primary key per combination. */
  char first[256], next[320];
  const char *span = span_ms >= 0 ? "span_ms = ?2" : "?2 IS NULL";
  snprintf(first, sizeof first,
           "SELECT platform, portal FROM %s WHERE game_id = ?1 AND %s"
           " ORDER BY platform, portal LIMIT 1", table, span);
  snprintf(next, sizeof next,
           "SELECT platform, portal FROM %s WHERE game_id = ?1 AND %s"
           " AND (platform, portal) > (?3, ?4) ORDER BY platform, portal LIMIT 1", table, span);
  char platform[256] = "", portal[256] = ""; /* the rows hold at most 15 bytes of each */
  int rc = PS_OK;
  for (int found = 1, k = 0; rc == PS_OK && found; k++) {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, k ? next : first, -1, &st, NULL) != SQLITE_OK) {
      sqlite3_finalize(st);
      return PS_EIO;
    }
    sqlite3_bind_int64(st, 1, game_id);
    if (span_ms >= 0) sqlite3_bind_int64(st, 2, span_ms);
    else sqlite3_bind_null(st, 2);
    if (k) {
      sqlite3_bind_text(st, 3, platform, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text(st, 4, portal, -1, SQLITE_TRANSIENT);
    }
    int step = sqlite3_step(st);
    found = step == SQLITE_ROW;
    if (found) {
      ps_sqlite_copy_text(platform, sizeof platform, st, 0);
      ps_sqlite_copy_text(portal, sizeof portal, st, 1);
    } else if (step != SQLITE_DONE) {
      rc = PS_EIO;
    }
    sqlite3_finalize(st);
    if (found && rc == PS_OK) rc = fn(platform, portal, r);
  }
  return rc;
}

/* ---- player numbers ---- */

static int number_players(sqlite3 *db, int64_t game_id, const char *const *players, size_t n,
                          uint32_t *numbers, int assign) {
  sqlite3_stmt *find = NULL, *add = NULL, *next = NULL;
  int rc = PS_EIO;
  int64_t next_idx = 0;
  if (sqlite3_prepare_v2(db, "SELECT idx FROM playtime_players WHERE game_id = ?1 AND player = ?2",
                         -1, &find, NULL) != SQLITE_OK)
    goto out;
  if (assign) {
    if (sqlite3_prepare_v2(db, "SELECT coalesce(max(idx) + 1, 0) FROM playtime_players"
                               " WHERE game_id = ?1", -1, &next, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO playtime_players(game_id, player, idx) VALUES(?,?,?)",
                           -1, &add, NULL) != SQLITE_OK)
      goto out;
    sqlite3_bind_int64(next, 1, game_id);
    if (sqlite3_step(next) != SQLITE_ROW) goto out;
    next_idx = sqlite3_column_int64(next, 0);
  }
  sqlite3_bind_int64(find, 1, game_id);
  for (size_t i = 0; i < n; i++) {
    sqlite3_bind_text(find, 2, players[i], -1, SQLITE_STATIC);
    int step = sqlite3_step(find);
    if (step == SQLITE_ROW) {
      numbers[i] = (uint32_t)sqlite3_column_int64(find, 0);
    } else if (step != SQLITE_DONE) {
      goto out;
    } else if (!assign) {
      numbers[i] = UINT32_MAX;
    } else {
      if (next_idx >= UINT32_MAX) goto out; /* four billion players */
      sqlite3_bind_int64(add, 1, game_id);
      sqlite3_bind_text(add, 2, players[i], -1, SQLITE_STATIC);
      sqlite3_bind_int64(add, 3, next_idx);
      if (ps_sqlite_step_and_reset(add) != PS_OK) goto out;
      numbers[i] = (uint32_t)next_idx++;
    }
    sqlite3_reset(find);
  }
  rc = PS_OK;
out:
  sqlite3_finalize(find);
  sqlite3_finalize(add);
  sqlite3_finalize(next);
  return rc;
}

int ps_sqlite_playtime_players(sqlite_store *s, int64_t game_id, const char *const *players,
                               size_t n, uint32_t *numbers, int assign) {
  int rc;
  if (!assign) {
    sqlite3 *db = ps_sqlite_reader_acquire(s);
    rc = number_players(db, game_id, players, n, numbers, 0);
    ps_sqlite_reader_release(s, db);
    return rc;
  }
  pthread_mutex_lock(&s->shared_lock);
  rc = ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE");
  if (rc == PS_OK) rc = number_players(s->shared, game_id, players, n, numbers, 1);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
  else ps_sqlite_exec(s->shared, "ROLLBACK");
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* Deletes r's rows of one combination, with time in [from, to) (a primary-key range). */
static int drop_combination(const char *platform, const char *portal, const rows_range *r) {
  char sql[256];
  snprintf(sql, sizeof sql,
           "DELETE FROM %s WHERE game_id = ?1 AND %s AND platform = ?3 AND portal = ?4"
           " AND %s >= ?5 AND %s < ?6",
           r->table, r->span_ms >= 0 ? "span_ms = ?2" : "?2 IS NULL", r->t_column, r->t_column);
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, r->game_id);
    if (r->span_ms >= 0) sqlite3_bind_int64(st, 2, r->span_ms);
    else sqlite3_bind_null(st, 2);
    sqlite3_bind_text(st, 3, platform, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, portal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->from_ms);
    sqlite3_bind_int64(st, 6, r->to_ms);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

int ps_sqlite_rollup_rows_drop(sqlite3 *db, const char *table, const char *t_column,
                               int64_t game_id, int64_t span_ms, int64_t from_ms, int64_t to_ms) {
  rows_range r = {db, table, t_column, game_id, span_ms, from_ms, to_ms};
  return each_combination(&r, drop_combination);
}

int ps_sqlite_playtime_player_forget_on(sqlite3 *db, int64_t game_id, const char *player) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db,
                         "UPDATE playtime_players SET player = CAST(CAST(idx AS TEXT) AS BLOB)"
                         " WHERE game_id = ?1 AND player = ?2",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, player, -1, SQLITE_STATIC);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

/* ---- writing ---- */

/* Inserts rows (replacing those of the same keys, and their mods) on db, inside the caller's
 * transaction. */
static int put_rows(sqlite3 *db, int64_t game_id, const void *playtime_rows, size_t n) {
  const ps_playtime_row *rows = playtime_rows;
  sqlite3_stmt *row = NULL, *drop_mods = NULL, *mod = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db,
                         "INSERT OR REPLACE INTO playtime_rollups(game_id, span_ms, platform,"
                         " portal, t_ms, started, started_mods, ended, ended_ms, len0, len1, len2,"
                         " len3, len4, ccu, ugc, players)"
                         " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         -1, &row, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "DELETE FROM playtime_mods WHERE game_id = ?1 AND span_ms = ?2"
                         " AND platform = ?3 AND portal = ?4 AND t_ms = ?5",
                         -1, &drop_mods, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(db,
                         "INSERT INTO playtime_mods(game_id, span_ms, platform, portal, t_ms,"
                         " mod_id, ms) VALUES(?,?,?,?,?,?,?)",
                         -1, &mod, NULL) != SQLITE_OK)
    goto out;
  for (size_t i = 0; i < n; i++) {
    const ps_playtime_row *r = &rows[i];
    int64_t v[] = {r->started, r->started_mods, r->ended, r->ended_ms, r->lengths[0],
                   r->lengths[1], r->lengths[2], r->lengths[3], r->lengths[4], r->ccu, r->ugc};
    sqlite3_bind_int64(row, 1, game_id);
    sqlite3_bind_int64(row, 2, r->span_ms);
    sqlite3_bind_text(row, 3, r->platform, -1, SQLITE_STATIC);
    sqlite3_bind_text(row, 4, r->portal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(row, 5, r->t_ms);
    for (int k = 0; k < 11; k++) sqlite3_bind_int64(row, 6 + k, v[k]);
    sqlite3_bind_blob(row, 17, r->players ? r->players : "", (int)r->players_len, SQLITE_STATIC);
    if (ps_sqlite_step_and_reset(row) != PS_OK) goto out;
    sqlite3_stmt *keyed[] = {drop_mods, mod};
    for (int k = 0; k < 2; k++) {
      sqlite3_bind_int64(keyed[k], 1, game_id);
      sqlite3_bind_int64(keyed[k], 2, r->span_ms);
      sqlite3_bind_text(keyed[k], 3, r->platform, -1, SQLITE_STATIC);
      sqlite3_bind_text(keyed[k], 4, r->portal, -1, SQLITE_STATIC);
      sqlite3_bind_int64(keyed[k], 5, r->t_ms);
    }
    if (ps_sqlite_step_and_reset(drop_mods) != PS_OK) goto out;
    for (size_t m = 0; m < r->nmods; m++) {
      sqlite3_bind_int64(mod, 6, r->mods[2 * m]);
      sqlite3_bind_int64(mod, 7, r->mods[2 * m + 1]);
      if (ps_sqlite_step_and_reset(mod) != PS_OK) goto out;
    }
  }
  rc = PS_OK;
out:
  sqlite3_finalize(row);
  sqlite3_finalize(drop_mods);
  sqlite3_finalize(mod);
  return rc;
}

int ps_sqlite_playtime_write(sqlite_store *s, int64_t game_id, const ps_playtime_row *rows,
                             size_t n, int64_t settled_ms, int64_t epoch) {
  return ps_sqlite_rollup_pass_write(
      s, game_id, epoch, put_rows, rows, n,
      "INSERT OR REPLACE INTO playtime_state(game_id, settled_ms) VALUES(?,?)", settled_ms);
}

int ps_sqlite_playtime_replace_on(sqlite3 *db, int64_t game_id, const ps_playtime_row *rows,
                                  size_t n, int64_t day_ms, int64_t to_ms) {
  static const char *const tables[] = {"playtime_rollups", "playtime_mods"};
  int rc = PS_OK;
  for (size_t t = 0; rc == PS_OK && t < 2; t++) {
    rc = ps_sqlite_rollup_rows_drop(db, tables[t], "t_ms", game_id, PS_PLAYTIME_HOUR_MS, day_ms,
                                    to_ms);
    if (rc == PS_OK)
      rc = ps_sqlite_rollup_rows_drop(db, tables[t], "t_ms", game_id, PS_PLAYTIME_DAY_MS, day_ms,
                                      day_ms + 1);
  }
  return rc == PS_OK ? put_rows(db, game_id, rows, n) : rc;
}

/* ---- reading ---- */

typedef struct scan {
  int with_players;
  ps_playtime_row_visitor visit;
  ps_playtime_mod_visitor visit_mod;
  void *ctx;
} scan;

static int rollup_row(sqlite3_stmt *st, void *arg) {
  const scan *q = arg;
  ps_playtime_row r;
  memset(&r, 0, sizeof r);
  r.span_ms = sqlite3_column_int64(st, 0);
  ps_sqlite_copy_text(r.platform, sizeof r.platform, st, 1);
  ps_sqlite_copy_text(r.portal, sizeof r.portal, st, 2);
  r.t_ms = sqlite3_column_int64(st, 3);
  int64_t *v[] = {&r.started, &r.started_mods, &r.ended, &r.ended_ms, &r.lengths[0],
                  &r.lengths[1], &r.lengths[2], &r.lengths[3], &r.lengths[4], &r.ccu, &r.ugc};
  for (int k = 0; k < 11; k++) *v[k] = sqlite3_column_int64(st, 4 + k);
  if (q->with_players) { /* else its overflow pages are not even read */
    r.players = sqlite3_column_blob(st, 15);
    r.players_len = (size_t)sqlite3_column_bytes(st, 15);
  }
  return q->visit(&r, q->ctx);
}

static int mod_row(sqlite3_stmt *st, void *arg) {
  const scan *q = arg;
  return q->visit_mod((const char *)sqlite3_column_text(st, 0),
                      (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
                      sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4), q->ctx);
}

/* Runs "SELECT columns FROM table WHERE <game, span, platform, portal, t range>" with each row
 * given to fn. */
static int select_rows(sqlite3 *db, const char *columns, const char *table, int64_t game_id,
                       int64_t span_ms, const char *platform, const char *portal,
                       int64_t from_ms, int64_t to_ms, int (*fn)(sqlite3_stmt *, void *),
                       void *ctx) {
  char sql[512];
  snprintf(sql, sizeof sql,
           "SELECT %s FROM %s WHERE game_id = ?1 AND span_ms = ?2 AND %s AND %s"
           " AND t_ms >= ?5 AND t_ms < ?6",
           columns, table, platform ? "platform = ?3" : "1", portal ? "portal = ?4" : "1");
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, span_ms);
    if (platform) sqlite3_bind_text(st, 3, platform, -1, SQLITE_STATIC);
    if (portal) sqlite3_bind_text(st, 4, portal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, from_ms);
    sqlite3_bind_int64(st, 6, to_ms);
    rc = ps_sqlite_each_row(st, fn, ctx);
  }
  sqlite3_finalize(st);
  return rc;
}

int ps_sqlite_playtime_scan(sqlite_store *s, int64_t game_id, int64_t span_ms,
                            const char *platform, const char *portal, int64_t from_ms,
                            int64_t to_ms, int with_players, ps_playtime_row_visitor visit,
                            ps_playtime_mod_visitor visit_mod, void *ctx, int64_t *settled_ms) {
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  scan q = {with_players, visit, visit_mod, ctx};
  int rc = ps_sqlite_exec(db, "BEGIN");
  if (rc == PS_OK) {
    rc = ps_sqlite_playtime_settled_on(db, game_id, settled_ms);
    if (rc == PS_ENOTFOUND) {
      *settled_ms = INT64_MIN;
      rc = PS_OK;
    }
    if (rc == PS_OK)
      rc = select_rows(db,
                       with_players
                           ? "span_ms, platform, portal, t_ms, started, started_mods, ended,"
                             " ended_ms, len0, len1, len2, len3, len4, ccu, ugc, players"
                           : "span_ms, platform, portal, t_ms, started, started_mods, ended,"
                             " ended_ms, len0, len1, len2, len3, len4, ccu, ugc",
                       "playtime_rollups", game_id, span_ms, platform, portal, from_ms, to_ms,
                       rollup_row, &q);
    if (rc == PS_OK && visit_mod)
      rc = select_rows(db, "platform, portal, t_ms, mod_id, ms", "playtime_mods", game_id,
                       span_ms, platform, portal, from_ms, to_ms, mod_row, &q);
    ps_sqlite_exec(db, "COMMIT");
  }
  ps_sqlite_reader_release(s, db);
  return rc;
}
