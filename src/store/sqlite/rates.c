/*
 * rates.c: exchange rates and each game's reporting currency in the SQLite state store
 * (state.h: rates_put, rates_read, game_currency_set, game_currency_get).
 *
 *   exchange_rates(day, currency, per_eur)  PRIMARY KEY(day, currency)   units per euro
 *   game_currency(game_id PRIMARY KEY, currency)                         reporting currency
 *
 * Guarantees: rates_put checks every rate before it writes any (ps_rate_valid), then writes
 * them all in one transaction (INSERT OR REPLACE: loading a file again changes nothing);
 * rates_read answers in (day, currency) order, the primary key's, so it reads one index range.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/currency.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/rates.h"

const char ps_sqlite_rates_schema[] =
    "CREATE TABLE IF NOT EXISTS exchange_rates("
    "  day INTEGER NOT NULL, currency TEXT NOT NULL, per_eur REAL NOT NULL,"
    "  PRIMARY KEY(day, currency)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS game_currency("
    "  game_id INTEGER PRIMARY KEY, currency TEXT NOT NULL);";

int ps_sqlite_rates_put(ps_state_store *base, const ps_rate *rates, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!ps_rate_valid(&rates[i])) return PS_EINVAL;
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  pthread_mutex_lock(&s->lock);
  int rc = ps_sqlite_exec(s->db, "BEGIN IMMEDIATE");
  if (rc == PS_OK)
    rc = ps_sqlite_prepare(s->db,
                           "INSERT OR REPLACE INTO exchange_rates(day, currency, per_eur)"
                           " VALUES(?,?,?)",
                           &st);
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    sqlite3_bind_int64(st, 1, rates[i].day);
    sqlite3_bind_text(st, 2, rates[i].currency, -1, SQLITE_STATIC);
    sqlite3_bind_double(st, 3, rates[i].per_eur);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->db, "COMMIT");
  if (rc != PS_OK) {
    ps_error_log("sqlite: rates put: %s", sqlite3_errmsg(s->db));
    ps_sqlite_exec(s->db, "ROLLBACK");
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int ps_sqlite_rates_read(ps_state_store *base, int64_t from_day, int64_t to_day,
                         ps_rate_visitor visit, void *ctx) {
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  pthread_mutex_lock(&s->lock);
  int rc = ps_sqlite_prepare(s->db,
                             "SELECT day, currency, per_eur FROM exchange_rates"
                             " WHERE day >= ? AND day < ? ORDER BY day, currency",
                             &st);
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, from_day);
    sqlite3_bind_int64(st, 2, to_day);
  }
  int step = SQLITE_DONE;
  while (rc == PS_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
    ps_rate r = {.day = sqlite3_column_int64(st, 0), .per_eur = sqlite3_column_double(st, 2)};
    ps_sqlite_copy_text(r.currency, sizeof r.currency, st, 1);
    rc = visit(&r, ctx);
  }
  if (rc == PS_OK && step != SQLITE_DONE) rc = PS_EIO;
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int ps_sqlite_game_currency_set(ps_state_store *base, int64_t game_id, const char *currency) {
  if (!ps_currency_code_valid(currency)) return PS_EINVAL;
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  pthread_mutex_lock(&s->lock);
  int rc = ps_sqlite_prepare(
      s->db, "INSERT OR REPLACE INTO game_currency(game_id, currency) VALUES(?,?)", &st);
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, currency, -1, SQLITE_STATIC);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}

int ps_sqlite_game_currency_get(ps_state_store *base, int64_t game_id, char currency[4]) {
  sqlite_state *s = (sqlite_state *)base;
  sqlite3_stmt *st = NULL;
  pthread_mutex_lock(&s->lock);
  int rc = ps_sqlite_prepare(s->db, "SELECT currency FROM game_currency WHERE game_id = ?", &st);
  if (rc == PS_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
      ps_sqlite_copy_text(currency, 4, st, 0);
    rc = step == SQLITE_ROW ? PS_OK : step == SQLITE_DONE ? PS_ENOTFOUND : PS_EIO;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->lock);
  return rc;
}
