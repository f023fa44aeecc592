/*
 * sqlite_ga.c: the analytics-event rollups in the SQLite backend (see store.h and
 * insights/ga_rollup.h for what they mean).
 *
 * Layout:
 *   ga_users(game_id, user_id, idx, first_day, dim1..dim6, dim7)  unique (game_id, idx)
 *                                     (dim7, the country, since v10: country.c)
 *   ga_bits(game_id, kind, dim, value, day, chunk, bits)      user bitmaps (ga_chunk_codec.h)
 *   ga_aggs(game_id, kind, dim, value, day, key, n, sum, mn, mx)  counts, sums, extremes
 *   ga_mark(game_id, last_event_id)                           rolled up to this event
 *   ga_combos(id, game_id, dims)      a dense id per combination of dimension values seen
 *                                     (v10, ga_combos.h); ga_aggs rows with dim -1 by combo
 *   ga_funnel_times(...)              the funnels' rollup (v11, ga_funnel_times.h)
 *   ga_ltv_spend, ga_ltv_cohorts      the LTV rollup (v13, ga_ltv_rollup.h)
 *   ga_raw_dropped(game_id, day)      days some of whose events retention dropped (v9): their
 *                                     aggregates can no longer be rebuilt from events
 *
 * ga_rollup_apply runs on the shared connection in one IMMEDIATE transaction: bitmap chunks
 * are read, edited (bits cleared then set) and written back; aggregates add up in an upsert;
 * only while the mark is still the one the pass started from (a pass of another process may
 * have applied in between). A replacement of days (ga_days_replace) is one such transaction
 * too.
 * A user's forgetting (ga_user_forget) clears the user's bit in every bitmap, a few hundred
 * rows per transaction so that ingest never waits long, removes the user's events from the
 * funnels' rollup (ga_funnel_times.h, likewise in batches), then, in one transaction under the
 * store's rollup_lock (no pass of the process between), takes its amounts out of the LTV
 * rollup (ga_ltv_rollup.h) and renames the user's row to a tombstone that keeps its dense
 * number taken (a bit left set by a pass that ran meanwhile never passes to someone else).
 * The insights API's reads (ps_sqlite_ga_chunks, ps_sqlite_ga_aggs) take a reader instead, so
 * they never wait for a pass.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "store/sqlite/ga_chunk_codec.h"
#include "store/sqlite/ga_funnel.h"
#include "store/sqlite/ga_funnel_times.h"
#include "store/sqlite/ga_ltv_rollup.h"
#include "store/sqlite/internal.h"

const char ps_sqlite_ga_schema[] =
    "CREATE TABLE IF NOT EXISTS ga_users("
    "  game_id INTEGER NOT NULL, user_id TEXT NOT NULL, idx INTEGER NOT NULL,"
    "  first_day INTEGER NOT NULL, dim1 TEXT, dim2 TEXT, dim3 TEXT, dim4 TEXT, dim5 TEXT,"
    "  dim6 TEXT, dim7 TEXT, PRIMARY KEY(game_id, user_id)) WITHOUT ROWID;"
    "CREATE UNIQUE INDEX IF NOT EXISTS ga_users_by_idx ON ga_users(game_id, idx);"
    "CREATE TABLE IF NOT EXISTS ga_bits("
    "  game_id INTEGER NOT NULL, kind TEXT NOT NULL, dim INTEGER NOT NULL, value TEXT NOT NULL,"
    "  day INTEGER NOT NULL, chunk INTEGER NOT NULL, bits BLOB NOT NULL,"
    "  PRIMARY KEY(game_id, kind, dim, value, day, chunk)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS ga_bits_by_day ON ga_bits(game_id, kind, dim, day);"
    "CREATE TABLE IF NOT EXISTS ga_aggs("
    "  game_id INTEGER NOT NULL, kind TEXT NOT NULL, dim INTEGER NOT NULL, value TEXT NOT NULL,"
    "  day INTEGER NOT NULL, key TEXT NOT NULL, n INTEGER NOT NULL, sum REAL NOT NULL,"
    "  mn REAL NOT NULL, mx REAL NOT NULL,"
    "  PRIMARY KEY(game_id, kind, dim, value, day, key)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS ga_aggs_by_day ON ga_aggs(game_id, kind, dim, day);"
    "CREATE TABLE IF NOT EXISTS ga_mark("
    "  game_id INTEGER PRIMARY KEY, last_event_id INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS ga_raw_dropped("
    "  game_id INTEGER NOT NULL, day INTEGER NOT NULL, PRIMARY KEY(game_id, day)) WITHOUT ROWID;"
    /* v10: combinations of dimension values (ga_combos.h) */
    "CREATE TABLE IF NOT EXISTS ga_combos(id INTEGER PRIMARY KEY, game_id INTEGER NOT NULL,"
    "  dims TEXT NOT NULL, UNIQUE(game_id, dims));";

/* Prepares sql on the shared connection (lock held by the caller). */
static sqlite3_stmt *prepare_shared(sqlite_store *s, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(s->shared, sql, -1, &st, NULL) != SQLITE_OK) return NULL;
  return st;
}

typedef struct event_rows {
  ps_ga_event_visitor visit;
  void *ctx;
} event_rows;

static const char *optional_text(sqlite3_stmt *st, int col) {
  return (const char *)sqlite3_column_text(st, col); /* NULL for NULL */
}

static int event_row(sqlite3_stmt *st, void *arg) {
  const event_rows *q = arg;
  ps_ga_stored_event e = {.id = sqlite3_column_int64(st, 0),
                          .category = optional_text(st, 1),
                          .user_id = optional_text(st, 2),
                          .folds = sqlite3_column_type(st, 3) != SQLITE_NULL};
  if (e.folds) {
    e.day = sqlite3_column_int64(st, 3);
    for (int d = 1; d < PS_GA_DIM_COUNTRY; d++) e.dims[d] = optional_text(st, 3 + d);
    e.agg_key = optional_text(st, 10);
    e.agg_value = sqlite3_column_double(st, 11);
    e.dims[PS_GA_DIM_COUNTRY] = optional_text(st, 12);
    e.time_s = sqlite3_column_int64(st, 13);
    if (sqlite3_column_type(st, 14) == SQLITE_TEXT) e.item = optional_text(st, 14);
  }
  return q->visit(&e, q->ctx);
}

int ps_sqlite_ga_events_after(sqlite_store *s, int64_t game_id, int64_t after_id, size_t limit,
                              ps_ga_event_visitor visit, void *ctx) {
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  /* events has no index on (game_id, id): the rowid range keeps this an id-ordered scan. The
   * unary + keeps the planner off events_by_arrival (game_id, received_ms), which it would
   * otherwise pick for game_id and then sort the whole game by id. */
  sqlite3_stmt *st = prepare_shared(
      s, "SELECT id, category, user_id, day, platform, build, os_version, custom_01, custom_02,"
         " custom_03, agg_key, agg_value, country, " PS_SQLITE_EVENT_TIME ","
         " CASE WHEN category = 'business' THEN " PS_SQLITE_BUSINESS_ID " END"
         " FROM events WHERE id > ? AND +game_id = ? ORDER BY id LIMIT ?");
  if (st) {
    sqlite3_bind_int64(st, 1, after_id);
    sqlite3_bind_int64(st, 2, game_id);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    event_rows rows = {visit, ctx};
    rc = ps_sqlite_each_row(st, event_row, &rows);
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* The single integer of sql with game_id bound as ?1 (fallback when no row or NULL). */
static int one_integer(sqlite_store *s, const char *sql, int64_t game_id, int64_t fallback,
                       int64_t *out) {
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  sqlite3_stmt *st = prepare_shared(s, sql);
  if (st) {
    sqlite3_bind_int64(st, 1, game_id);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW || step == SQLITE_DONE) {
      *out = step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                 ? sqlite3_column_int64(st, 0)
                 : fallback;
      rc = PS_OK;
    }
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

int ps_sqlite_ga_rollup_mark(sqlite_store *s, int64_t game_id, int64_t *last_event_id) {
  return one_integer(s,
                     "SELECT last_event_id FROM ga_mark WHERE game_id = ?1", game_id, 0,
                     last_event_id);
}

int ps_sqlite_ga_user_next_idx(sqlite_store *s, int64_t game_id, int64_t *idx) {
  return one_integer(s,
                     "SELECT max(idx) + 1 FROM ga_users WHERE game_id = ?1", game_id, 0, idx);
}

int ps_sqlite_ga_user_get(sqlite_store *s, int64_t game_id, const char *user_id,
                          ps_ga_user *out) {
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  /* Kept prepared (a pass looks up every user it meets; a prepare cost more than the lookup). */
  if (!s->ga_user_get)
    ps_sqlite_prepare(s->shared,
                      "SELECT idx, first_day, dim1, dim2, dim3, dim4, dim5, dim6, dim7 FROM ga_users"
                      " WHERE game_id = ? AND user_id = ?",
                      &s->ga_user_get);
  sqlite3_stmt *st = s->ga_user_get;
  if (st) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      memset(out, 0, sizeof *out);
      snprintf(out->user_id, sizeof out->user_id, "%s", user_id);
      out->idx = sqlite3_column_int64(st, 0);
      out->first_day = sqlite3_column_int64(st, 1);
      for (int d = 1; d < PS_GA_DIMS; d++)
        ps_sqlite_copy_text(out->first_dims[d], sizeof out->first_dims[d], st, 1 + d);
      rc = PS_OK;
    } else if (step == SQLITE_DONE) {
      rc = PS_ENOTFOUND;
    }
  }
  sqlite3_reset(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* ---- one pass ---- */

static int apply_users(sqlite_store *s, int64_t game_id, const ps_ga_delta *d) {
  sqlite3_stmt *st = prepare_shared(
      s, "INSERT OR REPLACE INTO ga_users(game_id, user_id, idx, first_day, dim1, dim2, dim3,"
         " dim4, dim5, dim6, dim7) VALUES(?,?,?,?,?,?,?,?,?,?,?)");
  int rc = st ? PS_OK : PS_EIO;
  for (size_t i = 0; rc == PS_OK && i < d->nusers; i++) {
    const ps_ga_user *u = &d->users[i];
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, u->user_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, u->idx);
    sqlite3_bind_int64(st, 4, u->first_day);
    for (int k = 1; k < PS_GA_DIMS; k++)
      sqlite3_bind_text(st, 4 + k, u->first_dims[k], -1, SQLITE_STATIC);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

static int apply_chunks(sqlite_store *s, int64_t game_id, const ps_ga_delta *d) {
  sqlite3_stmt *get = prepare_shared(
      s, "SELECT bits FROM ga_bits WHERE game_id = ? AND kind = ? AND dim = ? AND value = ?"
         " AND day = ? AND chunk = ?");
  sqlite3_stmt *put = prepare_shared(
      s, "INSERT OR REPLACE INTO ga_bits(game_id, kind, dim, value, day, chunk, bits)"
         " VALUES(?,?,?,?,?,?,?)");
  int rc = get && put ? PS_OK : PS_EIO;
  unsigned char bits[PS_GA_CHUNK_BYTES], row[PS_GA_CHUNK_BYTES];
  for (size_t i = 0; rc == PS_OK && i < d->nchunks; i++) {
    const ps_ga_chunk_edit *c = d->chunks[i];
    char kind[2] = {c->kind, 0};
    sqlite3_stmt *both[] = {get, put};
    for (int k = 0; k < 2; k++) {
      sqlite3_bind_int64(both[k], 1, game_id);
      sqlite3_bind_text(both[k], 2, kind, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int(both[k], 3, c->dim);
      sqlite3_bind_text(both[k], 4, c->value, -1, SQLITE_STATIC);
      sqlite3_bind_int64(both[k], 5, c->day);
      sqlite3_bind_int64(both[k], 6, c->chunk);
    }
    memset(bits, 0, sizeof bits);
    int step = sqlite3_step(get);
    if (step == SQLITE_ROW)
      ps_ga_chunk_decode(sqlite3_column_blob(get, 0), (size_t)sqlite3_column_bytes(get, 0), bits);
    else if (step != SQLITE_DONE)
      rc = PS_EIO;
    sqlite3_reset(get);
    for (size_t b = 0; b < sizeof bits; b++) bits[b] = (unsigned char)((bits[b] & ~c->clear[b]) | c->set[b]);
    sqlite3_bind_blob(put, 7, row, (int)ps_ga_chunk_encode(bits, row), SQLITE_STATIC);
    if (rc == PS_OK) rc = ps_sqlite_step_and_reset(put);
  }
  sqlite3_finalize(get);
  sqlite3_finalize(put);
  return rc;
}

static int apply_aggs(sqlite_store *s, int64_t game_id, const ps_ga_delta *d) {
  sqlite3_stmt *st = prepare_shared(
      s, "INSERT INTO ga_aggs(game_id, kind, dim, value, day, key, n, sum, mn, mx)"
         " VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO UPDATE SET n = n + excluded.n,"
         " sum = sum + excluded.sum, mn = min(mn, excluded.mn), mx = max(mx, excluded.mx)");
  int rc = st ? PS_OK : PS_EIO;
  for (size_t i = 0; rc == PS_OK && i < d->naggs; i++) {
    const ps_ga_agg_add *a = d->aggs[i];
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, a->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, a->dim);
    sqlite3_bind_text(st, 4, a->value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, a->day);
    sqlite3_bind_text(st, 6, a->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 7, a->n);
    sqlite3_bind_double(st, 8, a->sum);
    sqlite3_bind_double(st, 9, a->min);
    sqlite3_bind_double(st, 10, a->max);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

/* PS_OK when the game's mark (0 when none) is still expected, PS_EEXPIRED when it moved; inside
 * the caller's transaction on the shared connection. */
static int mark_is(sqlite_store *s, int64_t game_id, int64_t expected) {
  sqlite3_stmt *st = prepare_shared(s, "SELECT last_event_id FROM ga_mark WHERE game_id = ?");
  if (!st) return PS_EIO;
  sqlite3_bind_int64(st, 1, game_id);
  int step = sqlite3_step(st);
  int64_t mark = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  sqlite3_finalize(st);
  if (step != SQLITE_ROW && step != SQLITE_DONE) return PS_EIO;
  return mark == expected ? PS_OK : PS_EEXPIRED;
}

int ps_sqlite_ga_rollup_apply(sqlite_store *s, int64_t game_id, const ps_ga_delta *d) {
  pthread_mutex_lock(&s->shared_lock);
  int rc = ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE");
  if (rc == PS_OK) rc = mark_is(s, game_id, d->first_event_id);
  if (rc == PS_OK) rc = apply_users(s, game_id, d);
  if (rc == PS_OK) rc = apply_chunks(s, game_id, d);
  if (rc == PS_OK) rc = apply_aggs(s, game_id, d);
  if (rc == PS_OK && d->funnel_times) rc = ps_funnel_times_write(s->shared, game_id, d->funnel_times);
  if (rc == PS_OK && d->ltv) rc = ps_ltv_delta_write(s->shared, game_id, d->ltv);
  if (rc == PS_OK) {
    sqlite3_stmt *st = prepare_shared(
        s, "INSERT OR REPLACE INTO ga_mark(game_id, last_event_id) VALUES(?,?)");
    if (st) {
      sqlite3_bind_int64(st, 1, game_id);
      sqlite3_bind_int64(st, 2, d->last_event_id);
      rc = ps_sqlite_step_and_reset(st);
    } else {
      rc = PS_EIO;
    }
    sqlite3_finalize(st);
  }
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
  if (rc != PS_OK) ps_sqlite_exec(s->shared, "ROLLBACK");
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* ---- a day rebuilt, a user forgotten ---- */

/* Whether retention dropped raw rows of the day (inside the caller's transaction). */
static int day_dropped(sqlite_store *s, int64_t game_id, int64_t day, int *dropped) {
  sqlite3_stmt *st = prepare_shared(s, "SELECT 1 FROM ga_raw_dropped WHERE game_id = ? AND day = ?");
  if (!st) return PS_EIO;
  sqlite3_bind_int64(st, 1, game_id);
  sqlite3_bind_int64(st, 2, day);
  int step = sqlite3_step(st);
  sqlite3_finalize(st);
  *dropped = step == SQLITE_ROW;
  return step == SQLITE_ROW || step == SQLITE_DONE ? PS_OK : PS_EIO;
}

/* Deletes the aggregates of one day (inside the caller's transaction). */
static int delete_day(sqlite_store *s, int64_t game_id, int64_t day) {
  sqlite3_stmt *st = prepare_shared(s, "DELETE FROM ga_aggs WHERE game_id = ? AND day = ?");
  if (!st) return PS_EIO;
  sqlite3_bind_int64(st, 1, game_id);
  sqlite3_bind_int64(st, 2, day);
  int rc = ps_sqlite_step_and_reset(st);
  sqlite3_finalize(st);
  return rc;
}

static int cmp_day(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

int ps_sqlite_ga_days_replace(sqlite_store *s, int64_t game_id, const int64_t *days,
                              size_t ndays, const ps_ga_agg_add *const *aggs, size_t naggs,
                              int64_t mark, int *outcome, size_t *replaced) {
  *outcome = PS_GA_DAY_MARK_MOVED;
  *replaced = 0;
  int64_t *kept = malloc((ndays ? ndays : 1) * sizeof *kept); /* the days replaced, sorted */
  const ps_ga_agg_add **adds = malloc((naggs ? naggs : 1) * sizeof *adds);
  size_t nkept = 0, nadds = 0;
  int rc = kept && adds ? PS_OK : PS_ENOMEM;
  pthread_mutex_lock(&s->shared_lock);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE");
  if (rc == PS_OK) rc = mark_is(s, game_id, mark);
  for (size_t i = 0; rc == PS_OK && i < ndays; i++) {
    int dropped = 0;
    rc = day_dropped(s, game_id, days[i], &dropped);
    if (rc == PS_OK && !dropped) {
      rc = delete_day(s, game_id, days[i]);
      kept[nkept++] = days[i];
    }
  }
  for (size_t i = 0; rc == PS_OK && i < naggs; i++)
    if (bsearch(&aggs[i]->day, kept, nkept, sizeof *kept, cmp_day)) adds[nadds++] = aggs[i];
  ps_ga_delta d = {.aggs = adds, .naggs = nadds};
  if (rc == PS_OK) rc = apply_aggs(s, game_id, &d);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
  if (rc != PS_OK) ps_sqlite_exec(s->shared, "ROLLBACK");
  pthread_mutex_unlock(&s->shared_lock);
  if (rc == PS_OK) {
    *outcome = PS_GA_DAY_REPLACED;
    *replaced = nkept;
  }
  if (rc == PS_EEXPIRED) rc = PS_OK; /* *outcome says the mark moved */
  free(kept);
  free((void *)adds);
  return rc;
}

#define FORGET_ROWS 256 /* bitmap rows read per transaction */

/* The key of a ga_bits row of one chunk, and its bits when the user's bit is set in them. */
typedef struct bits_row {
  char kind[2];
  int dim;
  char value[65];
  int64_t day;
  int set;
  unsigned char bits[PS_GA_CHUNK_BYTES];
} bits_row;

/* One transaction: clears bit in the rows of chunk after the key *last (updated) in primary
 * key order, at most FORGET_ROWS of them (kind "" is before every row). *more: a full batch
 * was read. */
static int clear_bits_batch(sqlite_store *s, int64_t game_id, int64_t chunk, int64_t bit,
                            bits_row *rows, bits_row *last, int *more) {
  sqlite3_stmt *get = prepare_shared(
      s, "SELECT kind, dim, value, day, bits FROM ga_bits WHERE game_id = ?1 AND chunk = ?2"
         " AND (kind, dim, value, day) > (?3, ?4, ?5, ?6) ORDER BY kind, dim, value, day"
         " LIMIT ?7");
  sqlite3_stmt *put = prepare_shared(
      s, "UPDATE ga_bits SET bits = ?1 WHERE game_id = ?2 AND kind = ?3 AND dim = ?4"
         " AND value = ?5 AND day = ?6 AND chunk = ?7");
  int rc = get && put ? ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE") : PS_EIO;
  size_t n = 0;
  if (rc == PS_OK) {
    sqlite3_bind_int64(get, 1, game_id);
    sqlite3_bind_int64(get, 2, chunk);
    sqlite3_bind_text(get, 3, last->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(get, 4, last->dim);
    sqlite3_bind_text(get, 5, last->value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(get, 6, last->day);
    sqlite3_bind_int(get, 7, FORGET_ROWS);
    int step;
    size_t byte = (size_t)(bit / 8);
    unsigned char mask = (unsigned char)(1u << (bit % 8));
    while ((step = sqlite3_step(get)) == SQLITE_ROW) {
      bits_row *r = &rows[n++];
      ps_sqlite_copy_text(r->kind, sizeof r->kind, get, 0);
      r->dim = sqlite3_column_int(get, 1);
      ps_sqlite_copy_text(r->value, sizeof r->value, get, 2);
      r->day = sqlite3_column_int64(get, 3);
      ps_ga_chunk_decode(sqlite3_column_blob(get, 4), (size_t)sqlite3_column_bytes(get, 4),
                         r->bits);
      r->set = (r->bits[byte] & mask) != 0;
      if (r->set) r->bits[byte] &= (unsigned char)~mask;
    }
    if (step != SQLITE_DONE) rc = PS_EIO;
  }
  unsigned char encoded[PS_GA_CHUNK_BYTES];
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    if (!rows[i].set) continue;
    sqlite3_bind_blob(put, 1, encoded, (int)ps_ga_chunk_encode(rows[i].bits, encoded),
                      SQLITE_STATIC);
    sqlite3_bind_int64(put, 2, game_id);
    sqlite3_bind_text(put, 3, rows[i].kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(put, 4, rows[i].dim);
    sqlite3_bind_text(put, 5, rows[i].value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(put, 6, rows[i].day);
    sqlite3_bind_int64(put, 7, chunk);
    rc = ps_sqlite_step_and_reset(put);
  }
  sqlite3_finalize(get);
  sqlite3_finalize(put);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
  else ps_sqlite_exec(s->shared, "ROLLBACK");
  if (rc == PS_OK && n) *last = rows[n - 1];
  *more = rc == PS_OK && n == FORGET_ROWS;
  return rc;
}

/* Renames the user's row to a tombstone that keeps its number (no user id can be it: ids are
 * printable). */
static int tombstone_user(sqlite_store *s, int64_t game_id, const char *user_id) {
  sqlite3_stmt *st = prepare_shared(
      s, "UPDATE ga_users SET user_id = char(1) || 'forgotten ' || idx, first_day = -1,"
         " dim1 = '', dim2 = '', dim3 = '', dim4 = '', dim5 = '', dim6 = '', dim7 = ''"
         " WHERE game_id = ? AND user_id = ?");
  int rc = st ? PS_OK : PS_EIO;
  if (st) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

#define FORGET_TRIES 5 /* passes of another process moved the mark meanwhile */

/* The user's amounts out of the LTV rollup and its tombstone, in one transaction, while the
 * mark is still the one the amounts were read at (else read again). */
static int forget_ltv_and_tombstone(sqlite_store *s, int64_t game_id, const char *user_id) {
  int rc = PS_EEXPIRED;
  pthread_mutex_lock(&s->rollup_lock);
  for (int attempt = 0; rc == PS_EEXPIRED && attempt < FORGET_TRIES; attempt++) {
    ps_ga_user user;
    ps_ltv_delta ltv = {0};
    ps_ga_combo_cache combos = {0};
    int64_t mark = 0;
    rc = ps_sqlite_ga_rollup_mark(s, game_id, &mark);
    if (rc == PS_OK) rc = ps_sqlite_ga_user_get(s, game_id, user_id, &user);
    if (rc == PS_OK) rc = ps_ltv_delta_move(&ltv, s, game_id, &combos, &user, NULL);
    if (rc == PS_OK) {
      pthread_mutex_lock(&s->shared_lock);
      rc = ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE");
      if (rc == PS_OK) rc = mark_is(s, game_id, mark);
      if (rc == PS_OK) rc = ps_ltv_delta_write(s->shared, game_id, &ltv);
      if (rc == PS_OK) rc = tombstone_user(s, game_id, user_id);
      if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
      else ps_sqlite_exec(s->shared, "ROLLBACK");
      pthread_mutex_unlock(&s->shared_lock);
    }
    if (rc == PS_ENOTFOUND) rc = PS_OK; /* tombstoned meanwhile */
    ps_ltv_delta_destroy(&ltv);
    ps_ga_combo_cache_destroy(&combos);
  }
  pthread_mutex_unlock(&s->rollup_lock);
  return rc == PS_EEXPIRED ? PS_EIO : rc;
}

int ps_sqlite_ga_user_forget(sqlite_store *s, int64_t game_id, const char *user_id, int *found) {
  ps_ga_user user;
  *found = 0;
  int rc = ps_sqlite_ga_user_get(s, game_id, user_id, &user);
  if (rc == PS_ENOTFOUND) return PS_OK;
  if (rc != PS_OK) return rc;
  *found = 1;
  bits_row *rows = malloc(FORGET_ROWS * sizeof *rows);
  if (!rows) return PS_ENOMEM;
  bits_row last = {.kind = "", .dim = -1, .day = INT64_MIN};
  int more = 1;
  int64_t chunk = user.idx / PS_GA_CHUNK_BITS, bit = user.idx % PS_GA_CHUNK_BITS;
  while (rc == PS_OK && more) {
    pthread_mutex_lock(&s->shared_lock);
    rc = clear_bits_batch(s, game_id, chunk, bit, rows, &last, &more);
    pthread_mutex_unlock(&s->shared_lock);
  }
  free(rows);
  if (rc == PS_OK) rc = ps_sqlite_funnel_times_forget(s, game_id, (uint32_t)user.idx);
  if (rc == PS_OK) rc = forget_ltv_and_tombstone(s, game_id, user_id);
  return rc;
}

/* ---- reads ---- */

typedef struct chunk_rows {
  ps_ga_chunk_visitor visit;
  void *ctx;
} chunk_rows;

static int chunk_row(sqlite3_stmt *st, void *arg) {
  const chunk_rows *q = arg;
  return q->visit((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                  sqlite3_column_int64(st, 2), sqlite3_column_blob(st, 3),
                  (size_t)sqlite3_column_bytes(st, 3), q->ctx);
}

typedef struct agg_rows {
  ps_ga_agg_visitor visit;
  void *ctx;
} agg_rows;

static int agg_row(sqlite3_stmt *st, void *arg) {
  const agg_rows *q = arg;
  return q->visit((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
                  (const char *)sqlite3_column_text(st, 2), sqlite3_column_int64(st, 3),
                  sqlite3_column_double(st, 4), sqlite3_column_double(st, 5),
                  sqlite3_column_double(st, 6), q->ctx);
}

/* Runs a rollup read: columns selected from table for (game, kind, dim[, value]) and days. */
static int read_rows(sqlite_store *s, const char *columns, const char *table, int64_t game_id,
                     const char *kind, int dim, const char *value, int64_t from_day,
                     int64_t to_day, int (*row)(sqlite3_stmt *st, void *ctx), void *ctx) {
  char sql[384];
  snprintf(sql, sizeof sql,
           "SELECT %s FROM %s WHERE game_id = ?1 AND kind = ?2 AND dim = ?3%s"
           " AND day >= ?5 AND day < ?6",
           columns, table, value ? " AND value = ?4" : "");
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, dim);
    if (value) sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, from_day);
    sqlite3_bind_int64(st, 6, to_day);
    rc = ps_sqlite_each_row(st, row, ctx);
  }
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  return rc;
}

int ps_sqlite_ga_chunks(sqlite_store *s, int64_t game_id, char kind, int dim, const char *value,
                        int64_t from_day, int64_t to_day, ps_ga_chunk_visitor visit, void *ctx) {
  char k[2] = {kind, 0};
  chunk_rows rows = {visit, ctx};
  return read_rows(s, "value, day, chunk, bits", "ga_bits", game_id, k, dim,
                   value, from_day, to_day, chunk_row, &rows);
}

int ps_sqlite_ga_aggs(sqlite_store *s, int64_t game_id, const char *kind, int dim,
                      const char *value, int64_t from_day, int64_t to_day,
                      ps_ga_agg_visitor visit, void *ctx) {
  agg_rows rows = {visit, ctx};
  return read_rows(s, "value, day, key, n, sum, mn, mx", "ga_aggs", game_id, kind,
                   dim, value, from_day, to_day, agg_row, &rows);
}
