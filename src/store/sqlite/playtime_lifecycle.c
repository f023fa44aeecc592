/*
 * playtime_lifecycle.c: see lifecycle.h. Deleting one player's metrics sessions with their
 * part of every playtime rollup, and dropping settled sessions past retention.
 *
 * Deleting a player, so that every playtime metric answers as if they had never played:
 *   1. one transaction: the days the player's sessions touched are listed in
 *      playtime_recompute, the sessions deleted, the player's number kept without its id
 *      (playtime_tables.c), and the game's deletion epoch bumped;
 *   2. each listed day is computed again from the sessions that remain, by the code the
 *      rollup passes run (ps_rollup_minutes_compute, ps_playtime_rollup_compute), and its
 *      minute, hour and day rows replaced in one transaction that also takes it off the list;
 *   3. the caller (event_lifecycle.c, step 8) checkpoints and truncates the write-ahead log,
 *      retrying while a writer or the checkpointer thread is busy (secure_delete zeroed the
 *      freed cells in the database file), so the id is in no file any more.
 * A crash after 1 leaves the list: the rollup upkeep (ps_rollup_advance) finishes it first, as
 * does the next deletion. Against the rollup passes (this process's maintain(), or another
 * process's): a pass reads the epoch before loading its sessions and its write is void
 * (PS_EEXPIRED) if a deletion came in between; a day's write here is void if the epoch or the
 * settled marks moved while it computed, and is computed again (RECOMPUTE_TRIES). Writes take
 * shared_lock, as the passes' writes do. Days whose sessions retention dropped are not
 * computed again (they could not be): there the player's part stays, as an anonymous number.
 *
 * Retention (PS_RAW_MSESSIONS) drops sessions over before before_ms (events.h: the arrival of
 * the end, or the last request plus the session timeout) whose every minute, hour and day the
 * rollups hold for good: last session_ts before the minute rollups' settled mark and before the
 * start of the day holding the hourly rollups' mark (that day's row is computed again as the
 * mark moves). DROP_CHUNK sessions per transaction. What stays computable once they are gone:
 *   - from the rollups, unchanged: every playtime metric with hour or day buckets filtered or
 *     grouped by at most one of platform and portal; ccu and concurrent_ugc with minute
 *     buckets (per-minute peaks); live() (sessions being played now are never dropped);
 *   - needing the raw sessions, so no longer counting the dropped ones: total_players,
 *     sessions, avg_playtime, avg_ugc_per_session, session_length_histogram and top_mods with
 *     minute buckets (not a multiple of an hour); every metric (ccu included) constrained by
 *     both platform and portal (a filter on each, or a filter on one and group_by the other);
 *     the ranged scans (export) of those sessions; and deleting a player from those days.
 */
#include <stdlib.h>
#include <string.h>

#include "common/array.h"
#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/lifecycle.h"
#include "store/sqlite/playtime_rollup.h"
#include "store/sqlite/rollup.h"
#include "store/sqlite/session_set.h"

#define DAY_MS PS_PLAYTIME_DAY_MS
#define RECOMPUTE_TRIES 8
#define DROP_CHUNK 1000
#define NONE INT64_MIN

static int64_t day_of(int64_t t) { return t - ((t % DAY_MS) + DAY_MS) % DAY_MS; }
static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* ---- what a day's computation depends on ---- */

typedef struct marks {
  int64_t epoch;
  int64_t minutes, hours; /* the settled marks (NONE: never written) */
  int64_t dropped_until;  /* retention dropped sessions whose last session_ts is before it */
} marks;

static int optional_int64(sqlite3 *db, const char *sql, int64_t game_id, int64_t *out) {
  int rc = ps_sqlite_query_int64(db, sql, game_id, out);
  if (rc == PS_ENOTFOUND) {
    *out = NONE;
    rc = PS_OK;
  }
  return rc;
}

static int read_marks(sqlite3 *db, int64_t game_id, marks *m) {
  int rc = ps_sqlite_playtime_epoch_on(db, game_id, &m->epoch);
  if (rc == PS_OK)
    rc = optional_int64(db, "SELECT settled_ms FROM rollup_state WHERE game_id = ?1", game_id,
                        &m->minutes);
  if (rc == PS_OK)
    rc = optional_int64(db, "SELECT settled_ms FROM playtime_state WHERE game_id = ?1", game_id,
                        &m->hours);
  if (rc == PS_OK)
    rc = optional_int64(db, "SELECT dropped_until_ms FROM playtime_retention WHERE game_id = ?1",
                        game_id, &m->dropped_until);
  return rc;
}

/* One statement with (game, a, b) bound as ?1..?3 (b unused when the statement has two). */
static int run3(sqlite3 *db, const char *sql, int64_t game_id, int64_t a, int64_t b) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_int64(st, 2, a);
    if (sqlite3_bind_parameter_count(st) >= 3) sqlite3_bind_int64(st, 3, b);
    rc = ps_sqlite_step_and_reset(st);
  }
  sqlite3_finalize(st);
  return rc;
}

/* ---- computing a day again ---- */

/* What one day's computation wrote: minute rows of [day, minutes_to), hour rows of
 * [day, hours_to) and the day row over it. */
typedef struct day_rows {
  int64_t day, minutes_to, hours_to;
  int skip; /* retention dropped sessions of it: left as it is */
  ps_rollup_row *minutes;
  size_t nminutes;
  ps_playtime_rows hours;
} day_rows;

static int compute_day(sqlite_store *s, int64_t game_id, const marks *m, day_rows *d) {
  d->minutes_to = m->minutes == NONE ? d->day : min64(d->day + DAY_MS, m->minutes);
  d->hours_to = m->hours == NONE ? d->day : min64(d->day + DAY_MS, m->hours);
  d->skip = m->dropped_until != NONE && d->day <= day_of(m->dropped_until);
  int64_t to = d->minutes_to > d->hours_to ? d->minutes_to : d->hours_to;
  if (d->skip || to <= d->day) return PS_OK;
  ps_session_set set;
  int rc = ps_session_set_load(s, game_id, d->day, to, ps_now_ms(), s->msession_timeout_ms,
                               NULL, NULL, &set);
  if (rc == PS_OK && d->minutes_to > d->day)
    rc = ps_rollup_minutes_compute(&set, d->day, d->minutes_to, &d->minutes, &d->nminutes);
  if (rc == PS_OK && d->hours_to > d->day)
    rc = ps_playtime_rollup_compute(s, game_id, &set, d->day, d->day, d->hours_to, &d->hours);
  ps_session_set_free(&set);
  return rc;
}

/* Writes d and takes its day off the list, if nothing it was computed from moved since m. */
static int write_day(sqlite_store *s, int64_t game_id, const marks *m, const day_rows *d) {
  marks now;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE") == PS_OK) {
    rc = read_marks(s->shared, game_id, &now);
    if (rc == PS_OK && (now.epoch != m->epoch || now.minutes != m->minutes ||
                        now.hours != m->hours || now.dropped_until != m->dropped_until))
      rc = PS_EEXPIRED;
    if (rc == PS_OK && !d->skip && d->minutes_to > d->day)
      rc = ps_sqlite_rollup_replace_on(s->shared, game_id, d->minutes, d->nminutes, d->day,
                                       d->minutes_to);
    if (rc == PS_OK && !d->skip && d->hours_to > d->day)
      rc = ps_sqlite_playtime_replace_on(s->shared, game_id, d->hours.items, d->hours.n, d->day,
                                         d->hours_to);
    if (rc == PS_OK)
      rc = run3(s->shared, "DELETE FROM playtime_recompute WHERE game_id = ?1 AND day_ms = ?2",
                game_id, d->day, 0);
    if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
    if (rc != PS_OK) ps_sqlite_exec(s->shared, "ROLLBACK");
  }
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* Computes day again from the sessions stored now; PS_EEXPIRED when a pass or a deletion
 * wrote while it computed. */
static int recompute_day(sqlite_store *s, int64_t game_id, int64_t day) {
  marks m;
  day_rows d = {.day = day};
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  int rc = ps_sqlite_exec(db, "BEGIN"); /* the marks of one moment */
  if (rc == PS_OK) {
    rc = read_marks(db, game_id, &m);
    ps_sqlite_exec(db, "COMMIT");
  }
  ps_sqlite_reader_release(s, db);
  if (rc == PS_OK) rc = compute_day(s, game_id, &m, &d);
  if (rc == PS_OK) rc = write_day(s, game_id, &m, &d);
  free(d.minutes);
  ps_playtime_rows_free(&d.hours);
  return rc;
}

int ps_sqlite_playtime_recompute_pending(sqlite_store *s, int64_t game_id) {
  for (;;) {
    int64_t day;
    sqlite3 *db = ps_sqlite_reader_acquire(s);
    int rc = ps_sqlite_query_int64(db, "SELECT min(day_ms) FROM playtime_recompute"
                                       " WHERE game_id = ?1", game_id, &day);
    ps_sqlite_reader_release(s, db);
    if (rc == PS_ENOTFOUND) return PS_OK;
    for (int tries = 1; rc == PS_OK || (rc == PS_EEXPIRED && tries < RECOMPUTE_TRIES); tries++)
      if ((rc = recompute_day(s, game_id, day)) == PS_OK) break;
    if (rc != PS_OK) return rc;
  }
}

/* ---- deleting a player ---- */

typedef struct days {
  int64_t *items;
  size_t n, cap;
} days;

static int cmp_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* The UTC days the sessions of set touch (from their start's to their end's), once each. */
static int days_touched(const ps_session_set *set, days *out) {
  for (size_t i = 0; i < set->n; i++)
    for (int64_t d = day_of(set->items[i].start_ms); d <= day_of(set->items[i].end_ms);
         d += DAY_MS) {
      if (PS_ARRAY_RESERVE(out->items, out->n, out->cap)) return PS_ENOMEM;
      out->items[out->n++] = d;
    }
  if (out->n) qsort(out->items, out->n, sizeof *out->items, cmp_int64);
  size_t k = 0;
  for (size_t i = 0; i < out->n; i++)
    if (k == 0 || out->items[k - 1] != out->items[i]) out->items[k++] = out->items[i];
  out->n = k;
  return PS_OK;
}

/* Step 1, in one transaction on the shared connection (lock held): the sessions are read in
 * it, under the write lock, so none of the player's can be appended between the read and the
 * delete (and no reader is waited for while the lock is held). */
static int delete_sessions(sqlite_store *s, int64_t game_id, const char *player,
                           int64_t *removed) {
  ps_session_set set = {0};
  days touched = {0};
  sqlite3_stmt *st = NULL;
  if (ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE") != PS_OK) return PS_EIO;
  int rc = ps_session_set_load_player(s->shared, game_id, player, ps_now_ms(),
                                      s->msession_timeout_ms, &set);
  if (rc == PS_OK) rc = days_touched(&set, &touched);
  for (size_t i = 0; rc == PS_OK && i < touched.n; i++)
    rc = run3(s->shared, "INSERT OR IGNORE INTO playtime_recompute(game_id, day_ms) VALUES(?1, ?2)",
              game_id, touched.items[i], 0);
  if (rc == PS_OK) {
    rc = PS_EIO;
    if (sqlite3_prepare_v2(s->shared, "DELETE FROM msessions WHERE game_id = ?1 AND player = ?2",
                           -1, &st, NULL) == SQLITE_OK) {
      sqlite3_bind_int64(st, 1, game_id);
      sqlite3_bind_text(st, 2, player, -1, SQLITE_STATIC);
      rc = ps_sqlite_step_and_reset(st);
      *removed = sqlite3_changes(s->shared);
    }
    sqlite3_finalize(st);
  }
  if (rc == PS_OK) rc = ps_sqlite_playtime_player_forget_on(s->shared, game_id, player);
  if (rc == PS_OK && (*removed > 0 || touched.n > 0))
    rc = run3(s->shared,
              "INSERT INTO playtime_forgets(game_id, epoch) VALUES(?1, ?2)"
              " ON CONFLICT(game_id) DO UPDATE SET epoch = epoch + 1",
              game_id, 1, 0);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
  if (rc != PS_OK) {
    ps_sqlite_exec(s->shared, "ROLLBACK");
    *removed = 0;
  }
  free(touched.items);
  ps_session_set_free(&set);
  return rc;
}

int ps_sqlite_playtime_forget(sqlite_store *s, int64_t game_id, const char *player,
                              int64_t *removed) {
  *removed = 0;
  pthread_mutex_lock(&s->shared_lock);
  int rc = delete_sessions(s, game_id, player, removed);
  pthread_mutex_unlock(&s->shared_lock);
  if (rc == PS_OK) rc = ps_sqlite_playtime_recompute_pending(s, game_id);
  return rc;
}

/* ---- retention ---- */

/* The sessions of a game that one transaction drops: over before ?2 (timeout ?4, now ?5) and
 * last heard of before ?3 (what the rollups hold for good). */
static const char droppable_sql[] =
    "SELECT session_id, last_ms FROM msessions INDEXED BY msessions_by_end_arrival"
    " WHERE game_id = ?1 AND ended_received_ms < ?2 AND ended_ms IS NOT NULL AND last_ms < ?3"
    " UNION ALL SELECT session_id, last_ms FROM msessions INDEXED BY msessions_by_received"
    " WHERE game_id = ?1"
    " AND ended_ms IS NULL AND last_received_ms < ?2 - ?4 AND last_received_ms + ?4 < ?5"
    " AND last_ms < ?3 LIMIT ?6";

typedef struct droppable {
  char (*ids)[129];
  int64_t last_ms;
  size_t n, cap;
} droppable;

static int droppable_row(sqlite3_stmt *st, void *arg) {
  droppable *d = arg;
  if (PS_ARRAY_RESERVE(d->ids, d->n, d->cap)) return PS_ENOMEM;
  ps_sqlite_copy_text(d->ids[d->n++], sizeof d->ids[0], st, 0);
  if (sqlite3_column_int64(st, 1) > d->last_ms) d->last_ms = sqlite3_column_int64(st, 1);
  return 0;
}

/* One chunk of one game, in one transaction (lock held): *n sessions dropped. */
static int drop_chunk(sqlite_store *s, int64_t game_id, int64_t before_ms, size_t *n) {
  marks m;
  droppable d = {.last_ms = NONE};
  sqlite3_stmt *select = NULL, *del = NULL;
  *n = 0;
  if (ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE") != PS_OK) return PS_EIO;
  int rc = read_marks(s->shared, game_id, &m);
  if (rc == PS_OK && (m.minutes == NONE || m.hours == NONE)) goto commit; /* nothing settled */
  if (rc == PS_OK) {
    int64_t held = min64(m.minutes, day_of(m.hours));
    rc = PS_EIO;
    if (sqlite3_prepare_v2(s->shared, droppable_sql, -1, &select, NULL) == SQLITE_OK) {
      sqlite3_bind_int64(select, 1, game_id);
      sqlite3_bind_int64(select, 2, before_ms);
      sqlite3_bind_int64(select, 3, held);
      sqlite3_bind_int64(select, 4, s->msession_timeout_ms);
      sqlite3_bind_int64(select, 5, ps_now_ms());
      sqlite3_bind_int64(select, 6, DROP_CHUNK);
      rc = ps_sqlite_each_row(select, droppable_row, &d);
    }
  }
  if (rc == PS_OK && d.n) {
    rc = sqlite3_prepare_v2(s->shared, "DELETE FROM msessions WHERE game_id = ?1 AND session_id = ?2",
                            -1, &del, NULL) == SQLITE_OK ? PS_OK : PS_EIO;
    for (size_t i = 0; rc == PS_OK && i < d.n; i++) {
      sqlite3_bind_int64(del, 1, game_id);
      sqlite3_bind_text(del, 2, d.ids[i], -1, SQLITE_STATIC);
      rc = ps_sqlite_step_and_reset(del);
    }
    if (rc == PS_OK)
      rc = run3(s->shared,
                "INSERT INTO playtime_retention(game_id, dropped_until_ms) VALUES(?1, ?2)"
                " ON CONFLICT(game_id) DO UPDATE SET"
                "  dropped_until_ms = max(dropped_until_ms, excluded.dropped_until_ms)",
                game_id, d.last_ms, 0);
  }
commit:
  sqlite3_finalize(select);
  sqlite3_finalize(del);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
  if (rc != PS_OK) ps_sqlite_exec(s->shared, "ROLLBACK");
  else *n = d.n;
  free(d.ids);
  return rc;
}

int ps_sqlite_playtime_drop_before(sqlite_store *s, int64_t before_ms, int64_t *dropped) {
  int64_t *games = NULL;
  size_t ngames = 0;
  *dropped = 0;
  int rc = ps_sqlite_event_games(s, &games, &ngames);
  for (size_t g = 0; rc == PS_OK && g < ngames; g++) {
    size_t n = DROP_CHUNK;
    while (rc == PS_OK && n == DROP_CHUNK) {
      pthread_mutex_lock(&s->shared_lock);
      rc = drop_chunk(s, games[g], before_ms, &n);
      pthread_mutex_unlock(&s->shared_lock);
      if (rc == PS_OK) *dropped += (int64_t)n;
    }
  }
  free(games);
  return rc;
}
