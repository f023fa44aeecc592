/*
 * event_lifecycle.c: see lifecycle.h. Deleting one player's analytics events, rejected events
 * and part of the event rollups (then its metrics sessions, playtime_lifecycle.c), and dropping
 * raw events past retention while the rollups keep their figures.
 *
 *   forget_journal(game_id, user_id, next_event_id, next_rejected_id)  deletions under way
 *   forget_days(game_id, user_id, day)   days whose aggregates a deletion still has to rebuild
 *
 * A deletion, step by step (each step idempotent, so a crash anywhere is finished by doing
 * them all again, which the next call for the player or maintain() does):
 *   1. the journal row, in a transaction of its own;
 *   2. the rollups caught up, so every event of the player stored before the call is folded;
 *   3. the player's events, walked by row id in windows of WINDOW_IDS ids up to the rollups'
 *      mark, one transaction per window (ingest waits at most for one window): the days they
 *      were folded into are noted in forget_days, the rows deleted, the walk's position kept
 *      in the journal. Only folded events (id <= mark) are deleted: a rollup pass never reads
 *      those, so none can fold a deleted event back in (passes of another process included);
 *   4. the rejected events whose body names the user id as a JSON string, walked the same way;
 *   5. the user in the rollups: its bit cleared in every bitmap of every day (active, paying,
 *      new), its events taken out of the funnels' rollup (every day, ga_funnel_times.h), its
 *      row renamed to a tombstone (ga_tables.c);
 *   6. the aggregates of the noted days rebuilt from their remaining events (one walk over
 *      the game's events, ps_ga_rollup_rebuild_days, with the fold a pass uses); a day whose
 *      raw rows retention dropped cannot be rebuilt and keeps the player's share of its
 *      aggregates (sessions, session lengths, revenue and the families' counts, sums and
 *      extremes) while its user-counting metrics (dau, wau, mau, new users, paying users,
 *      retention) lose the player;
 *   7. the player's metrics sessions (ps_sqlite_playtime_forget);
 *   8. the journal row and its days deleted, then the write-ahead log checkpointed and
 *      truncated (TRUNCATE), and the database file searched for the id: rebuilt (VACUUM)
 *      when it still holds it (scrub_files says why that can be).
 *
 * Nothing of the user id is left in the files: the player's rows are first overwritten in
 * place with as many NUL bytes (same size, so SQLite rewrites each cell where it is and moves
 * none), then deleted with secure_delete on (db.c), which zeroes deleted cells and freed
 * pages; the truncation removes the log's older copies of the pages (the journal's own rows
 * included); a copy left elsewhere by earlier B-tree balancing is caught by step 8's search. A truncation needs a moment
 * without a writer or an old reader; the checkpointer thread (checkpointer.c) only runs
 * PASSIVE checkpoints, which a TRUNCATE waits for (busy handler) or retries. When it keeps
 * failing the call returns PS_EIO, with everything deleted, and maintain() tries the
 * truncation again.
 *
 * Concurrency: append() goes on during a deletion (every transaction here is short); an event
 * of the player appended meanwhile may stay (a player who plays again is a player again).
 * forget_lock makes deletions of one process one at a time, and maintain() resumes journalled
 * deletions only when none is running (trylock). A deletion run by another process (the CLI)
 * while the server runs may be finished partly by the server's maintain(); each reports what it
 * removed itself.
 *
 * Rejected events are matched by instr(body, json_quote(user_id)): the id as a JSON string
 * anywhere in the body. That is the privacy-safe side: every rejected event that names the
 * player in any member (user_id or another, valid or not) goes, and the price is that an event
 * of someone else that mentions the id as a string value goes too (rejected events are kept
 * for diagnosis only). A body that escapes characters of the id differently (\u0041 for A) is
 * not matched; clients send ids as they are.
 *
 * Retention (events_drop_before) deletes, per game, events that arrived before the bound and
 * that the rollups folded, and rejected events, a few thousand per transaction in arrival
 * order, noting in ga_raw_dropped the days the dropped events were folded into. No event
 * metric of this backend reads raw events: ga_query.c and ga_family.c answer every one (dau,
 * wau, mau, new_users, sessions, avg_session_length, sessions_per_user, revenue, paying_users,
 * arpdau, arppu, conversion, retention, progression, funnel, resources, design, errors, ads)
 * from ga_bits and ga_aggs (per-user funnels from ga_funnel_times; one with a filter value the
 * combos cannot tell, empty or of 64 bytes or more, reads raw events and no longer counts the
 * dropped ones), so each answers as before for the dropped days. What needs the raw
 * rows: ranged scans (export), which no longer visit them, and a later deletion's exact rebuild
 * of those days (step 6).
 */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/array.h"
#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/ga_rollup.h"
#include "store/sqlite/lifecycle.h"

#define WINDOW_IDS 20000     /* row ids per transaction of a deletion's walk */
#define RETENTION_ROWS 5000  /* rows per transaction of retention */
#define TRUNCATE_TRIES 50    /* 20 ms apart */

const char ps_sqlite_lifecycle_schema[] =
    "CREATE TABLE IF NOT EXISTS forget_journal("
    "  game_id INTEGER NOT NULL, user_id TEXT NOT NULL,"
    "  next_event_id INTEGER NOT NULL DEFAULT 0, next_rejected_id INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY(game_id, user_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS forget_days("
    "  game_id INTEGER NOT NULL, user_id TEXT NOT NULL, day INTEGER NOT NULL,"
    "  PRIMARY KEY(game_id, user_id, day)) WITHOUT ROWID;";

/* ---- statements on the shared connection (shared_lock held by the caller) ---- */

/* Runs sql with ?1 game_id, ?2 user_id (NULL: not bound), ?3 a, ?4 b; adds the rows it changed
 * to *changes (may be NULL). PS_OK or PS_EIO (logged). */
static int run(sqlite_store *s, const char *sql, int64_t game_id, const char *user_id,
               int64_t a, int64_t b, int64_t *changes) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(s->shared, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    if (user_id) sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 3) sqlite3_bind_int64(st, 3, a);
    if (sqlite3_bind_parameter_count(st) >= 4) sqlite3_bind_int64(st, 4, b);
    rc = ps_sqlite_step_and_reset(st);
    if (rc == PS_OK && changes) *changes += sqlite3_changes(s->shared);
  }
  if (rc != PS_OK) ps_error_log("sqlite: %s: %s", sql, sqlite3_errmsg(s->shared));
  sqlite3_finalize(st);
  return rc;
}

/* The one integer of sql (bound as run() binds), fallback when no row or NULL. */
static int one(sqlite_store *s, const char *sql, int64_t game_id, const char *user_id,
               int64_t fallback, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(s->shared, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    if (user_id) sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW || step == SQLITE_DONE) {
      *out = step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                 ? sqlite3_column_int64(st, 0)
                 : fallback;
      rc = PS_OK;
    }
  }
  if (rc != PS_OK) ps_error_log("sqlite: %s: %s", sql, sqlite3_errmsg(s->shared));
  sqlite3_finalize(st);
  return rc;
}

static int begin(sqlite_store *s) { return ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE"); }

/* Commits when rc is PS_OK, else rolls back; returns rc or the commit's error. */
static int end(sqlite_store *s, int rc) {
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "COMMIT");
  if (rc != PS_OK) ps_sqlite_exec(s->shared, "ROLLBACK");
  return rc;
}

/* Event ids never go back. SQLite gives a new row the largest id + 1 (events has no
 * AUTOINCREMENT, and adding it would rewrite the table), so a deletion that took the newest
 * rows (a player's latest events, or retention of a game that went quiet) would hand their
 * ids to the next events; those ids are at or below the rollups' mark (deletions take only
 * folded events), and the passes would never read them. So a deletion runs through this:
 * when it took the newest row, a placeholder row of game 0 (no game: every read, pass,
 * export and deletion names its game) keeps that id taken, and earlier placeholders go. */
static int delete_events(sqlite_store *s, const char *sql, int64_t game_id, const char *user_id,
                         int64_t a, int64_t b, int64_t *removed) {
  int64_t newest = 0;
  int rc = one(s, "SELECT max(id) FROM events", 0, NULL, 0, &newest);
  if (rc == PS_OK) rc = run(s, sql, game_id, user_id, a, b, removed);
  if (rc == PS_OK && newest > 0)
    rc = run(s, "INSERT INTO events(id, game_id, category, received_ms, body)"
                " SELECT ?3, 0, '', 0, '' WHERE ?3 > ifnull((SELECT max(id) FROM events), 0)",
             0, NULL, newest, 0, NULL);
  if (rc == PS_OK)
    rc = run(s, "DELETE FROM events WHERE game_id = 0 AND id < (SELECT max(id) FROM events)", 0,
             NULL, 0, 0, NULL);
  return rc;
}

/* ---- a deletion's steps ---- */

static const char mark_sql[] = "SELECT last_event_id FROM ga_mark WHERE game_id = ?1";

/* A walk of steps 3 and 4 over one table of the game by row id (?3 < id <= ?4), each window
 * one transaction: its statements take ?1 game_id, ?2 user_id, ?3 and ?4. */
typedef struct walk {
  const char *end_sql;      /* where the walk ends (?1 only) */
  const char *note_sql;     /* run first; NULL: none */
  const char *erase_sql;    /* overwrites the rows' personal columns in place */
  const char *delete_sql;   /* deletes the erased rows: its changes are what the walk removed */
  const char *progress_sql; /* keeps the window's end (?3) in the journal */
  int deletes_events;       /* the table is events: delete_sql runs through delete_events */
} walk;

/* The text of as many NUL bytes as col has (NULL stays NULL): a row whose columns become this
 * keeps its size, so SQLite overwrites its cell where it is instead of moving it. */
#define ERASED(col)                                                                  \
  "CASE WHEN " col " IS NULL THEN NULL ELSE CAST(zeroblob(length(CAST(" col " AS BLOB)))" \
  " AS TEXT) END"

/* Step 3: the player's folded events (up to the mark), with the days they were folded into.
 * The unary + keeps the planner on the rowid range (not events_by_arrival, by game). */
static const walk event_walk = {
    mark_sql,
    "INSERT OR IGNORE INTO forget_days(game_id, user_id, day) SELECT DISTINCT ?1, ?2, day"
    " FROM events WHERE id > ?3 AND id <= ?4 AND +game_id = ?1 AND user_id = ?2"
    " AND day IS NOT NULL",
    "UPDATE events SET user_id = " ERASED("user_id") ", session_id = " ERASED("session_id")
    ", body = " ERASED("body") " WHERE id > ?3 AND id <= ?4 AND +game_id = ?1 AND user_id = ?2",
    "DELETE FROM events WHERE id > ?3 AND id <= ?4 AND +game_id = ?1 AND user_id = " ERASED("?2"),
    "UPDATE forget_journal SET next_event_id = ?3 WHERE game_id = ?1 AND user_id = ?2", 1};

/* Step 4: the rejected events naming the player, up to the newest (rejected_by_game). */
static const walk rejected_walk = {
    "SELECT max(id) FROM rejected_events WHERE game_id = ?1", NULL,
    "UPDATE rejected_events INDEXED BY rejected_by_game SET body = " ERASED("body")
    ", errors = " ERASED("errors") ", category = " ERASED("category") " WHERE game_id = ?1"
    " AND id > ?3 AND id <= ?4 AND instr(body, json_quote(?2)) > 0",
    "DELETE FROM rejected_events INDEXED BY rejected_by_game WHERE game_id = ?1 AND id > ?3"
    " AND id <= ?4 AND body = " ERASED("body"),
    "UPDATE forget_journal SET next_rejected_id = ?3 WHERE game_id = ?1 AND user_id = ?2", 0};

/* One window of w: ids in (*next, *next + WINDOW_IDS] below the walk's end; *next moves to the
 * window's end, *removed counts the rows deleted, *done: the walk reached its end. */
static int walk_window(sqlite_store *s, const walk *w, int64_t game_id, const char *user_id,
                       int64_t *next, int64_t *removed, int *done) {
  int64_t last = 0, lo = *next, hi = 0;
  pthread_mutex_lock(&s->shared_lock);
  int rc = begin(s);
  if (rc == PS_OK) rc = one(s, w->end_sql, game_id, NULL, 0, &last);
  hi = lo + WINDOW_IDS < last ? lo + WINDOW_IDS : last;
  *done = hi >= last;
  if (rc == PS_OK && hi > lo) {
    if (w->note_sql) rc = run(s, w->note_sql, game_id, user_id, lo, hi, NULL);
    if (rc == PS_OK) rc = run(s, w->erase_sql, game_id, user_id, lo, hi, NULL);
    if (rc == PS_OK)
      rc = w->deletes_events ? delete_events(s, w->delete_sql, game_id, user_id, lo, hi, removed)
                             : run(s, w->delete_sql, game_id, user_id, lo, hi, removed);
    if (rc == PS_OK) rc = run(s, w->progress_sql, game_id, user_id, hi, 0, NULL);
  }
  rc = end(s, rc);
  pthread_mutex_unlock(&s->shared_lock);
  if (rc == PS_OK && hi > lo) *next = hi;
  return rc;
}

/* Step 6: rebuilds the noted days (forgotten with the journal row, at the end). */
static int rebuild_days(sqlite_store *s, int64_t game_id, const char *user_id) {
  int64_t *days = NULL;
  size_t ndays = 0, cap = 0, rebuilt = 0;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared,
                         "SELECT day FROM forget_days WHERE game_id = ?1 AND user_id = ?2",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, game_id);
    sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    int step;
    rc = PS_OK;
    while (rc == PS_OK && (step = sqlite3_step(st)) == SQLITE_ROW) {
      if (PS_ARRAY_RESERVE(days, ndays, cap)) rc = PS_ENOMEM;
      else days[ndays++] = sqlite3_column_int64(st, 0);
    }
    if (rc == PS_OK && step != SQLITE_DONE) rc = PS_EIO;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  if (rc == PS_OK && ndays) rc = ps_ga_rollup_rebuild_days(s, game_id, days, ndays, &rebuilt);
  if (rc == PS_OK && rebuilt < ndays)
    ps_info("player deletion: game %lld: %zu of %zu days keep the player's aggregates (their"
            " raw events were dropped by retention)", (long long)game_id, ndays - rebuilt, ndays);
  free(days);
  return rc;
}

/* Step 8's end: folds the write-ahead log into the database and truncates it. */
static int truncate_log(sqlite_store *s) {
  int rc = SQLITE_BUSY;
  for (int i = 0; i < TRUNCATE_TRIES && rc != SQLITE_OK; i++) {
    if (i) nanosleep(&(struct timespec){0, 20 * 1000 * 1000}, NULL);
    pthread_mutex_lock(&s->shared_lock);
    rc = sqlite3_wal_checkpoint_v2(s->shared, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
    pthread_mutex_unlock(&s->shared_lock);
  }
  s->forget_checkpoint_due = rc != SQLITE_OK;
  if (rc == SQLITE_OK) return PS_OK;
  ps_warn("sqlite: truncating the log after a player deletion: %s (tried again by the upkeep)",
          sqlite3_errstr(rc));
  return PS_EIO;
}

#define SCAN_BYTES (1 << 20) /* read at a time when searching the database file */

/* Whether the file at path holds text (len bytes), read SCAN_BYTES at a time. A missing file
 * holds nothing. PS_OK, PS_ENOMEM or PS_EIO. */
static int file_holds(const char *path, const char *text, size_t len, int *found) {
  *found = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno == ENOENT ? PS_OK : PS_EIO;
  char *buf = malloc(SCAN_BYTES + len);
  int rc = buf ? PS_OK : PS_ENOMEM;
  size_t kept = 0; /* the last len - 1 bytes of the previous read, at buf's start */
  while (rc == PS_OK && !*found) {
    ssize_t n = read(fd, buf + kept, SCAN_BYTES);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) rc = PS_EIO;
    if (n <= 0) break;
    size_t have = kept + (size_t)n;
    *found = memmem(buf, have, text, len) != NULL;
    kept = have < len - 1 ? have : len - 1;
    memmove(buf, buf + have - kept, kept);
  }
  free(buf);
  close(fd);
  return rc;
}

/* Step 8's check: deleting cells zeroes them (secure_delete, and the erase before), but a
 * row that B-tree balancing moved before (an earlier deletion, retention, an upgrade's
 * rewrite) may have left a stale copy in a page's unallocated space, which nothing in SQLite
 * reaches but a rebuild of the file. So the database file is searched for the id, and when it
 * holds it (a stale copy, or another live value that contains the id) it is rebuilt: VACUUM,
 * with its temporary copy in a file (temp_store=MEMORY would hold the whole database in
 * memory), then the log truncated again. A VACUUM holds the write lock while it copies the
 * database: appends wait meanwhile (and fail after the busy timeout on a large store). */
static int scrub_files(sqlite_store *s, const char *user_id) {
  char path[sizeof s->wal_path];
  size_t n = strlen(s->wal_path) - 4; /* DIR/playstat.db-wal */
  memcpy(path, s->wal_path, n);
  path[n] = '\0';
  int found = 0, rc = file_holds(path, user_id, strlen(user_id), &found);
  if (rc != PS_OK || !found) return rc;
  ps_info("player deletion: the database file still holds the id (a stale copy in a page's"
          " free space, or a value containing it): rebuilding it (VACUUM)");
  pthread_mutex_lock(&s->shared_lock);
  rc = ps_sqlite_exec(s->shared, "PRAGMA temp_store=FILE");
  if (rc == PS_OK) rc = ps_sqlite_exec(s->shared, "VACUUM");
  ps_sqlite_exec(s->shared, "PRAGMA temp_store=MEMORY");
  pthread_mutex_unlock(&s->shared_lock);
  return rc == PS_OK ? truncate_log(s) : rc;
}

/* Steps 2 to 8 of a journalled deletion; *out gets what they removed. */
static int finish(sqlite_store *s, int64_t game_id, const char *user_id, ps_forget_report *out) {
  int64_t next_event = 0, next_rejected = 0;
  int rc = ps_ga_rollup_catch_up(s, game_id);
  pthread_mutex_lock(&s->shared_lock);
  if (rc == PS_OK)
    rc = one(s, "SELECT next_event_id FROM forget_journal WHERE game_id = ?1 AND user_id = ?2",
             game_id, user_id, 0, &next_event);
  if (rc == PS_OK)
    rc = one(s, "SELECT next_rejected_id FROM forget_journal WHERE game_id = ?1 AND user_id = ?2",
             game_id, user_id, 0, &next_rejected);
  pthread_mutex_unlock(&s->shared_lock);
  for (int done = 0; rc == PS_OK && !done;)
    rc = walk_window(s, &event_walk, game_id, user_id, &next_event, &out->events, &done);
  for (int done = 0; rc == PS_OK && !done;)
    rc = walk_window(s, &rejected_walk, game_id, user_id, &next_rejected, &out->rejected, &done);
  int found = 0;
  if (rc == PS_OK) rc = ps_sqlite_ga_user_forget(s, game_id, user_id, &found);
  if (rc == PS_OK) rc = rebuild_days(s, game_id, user_id);
  if (rc == PS_OK) {
    int64_t sessions = 0;
    rc = ps_sqlite_playtime_forget(s, game_id, user_id, &sessions);
    if (rc == PS_EUNSUPPORTED) rc = PS_OK, sessions = 0; /* until the playtime part lands */
    out->msessions += sessions;
  }
  if (rc == PS_OK) {
    pthread_mutex_lock(&s->shared_lock);
    rc = begin(s);
    if (rc == PS_OK)
      rc = run(s, "DELETE FROM forget_days WHERE game_id = ?1 AND user_id = ?2", game_id,
               user_id, 0, 0, NULL);
    if (rc == PS_OK)
      rc = run(s, "DELETE FROM forget_journal WHERE game_id = ?1 AND user_id = ?2", game_id,
               user_id, 0, 0, NULL);
    rc = end(s, rc);
    pthread_mutex_unlock(&s->shared_lock);
  }
  if (rc == PS_OK) rc = truncate_log(s);
  if (rc == PS_OK) rc = scrub_files(s, user_id);
  return rc;
}

int ps_sqlite_forget_player(sqlite_store *s, int64_t game_id, const char *user_id,
                            ps_forget_report *out) {
  *out = (ps_forget_report){0};
  if (!user_id || !*user_id) return PS_EINVAL;
  pthread_mutex_lock(&s->forget_lock);
  pthread_mutex_lock(&s->shared_lock);
  int rc = run(s, "INSERT OR IGNORE INTO forget_journal(game_id, user_id) VALUES(?1, ?2)",
               game_id, user_id, 0, 0, NULL);
  pthread_mutex_unlock(&s->shared_lock);
  if (rc == PS_OK) rc = finish(s, game_id, user_id, out);
  pthread_mutex_unlock(&s->forget_lock);
  return rc;
}

/* The journal's first deletion after (game_id, user_id) in key order, into *game_id and user
 * (cap bytes); PS_ENOTFOUND when none. */
static int next_journalled(sqlite_store *s, int64_t *game_id, char *user, size_t cap) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared,
                         "SELECT game_id, user_id FROM forget_journal WHERE (game_id, user_id) >"
                         " (?1, ?2) ORDER BY game_id, user_id LIMIT 1",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(st, 1, *game_id);
    sqlite3_bind_text(st, 2, user, -1, SQLITE_TRANSIENT);
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
      *game_id = sqlite3_column_int64(st, 0);
      ps_sqlite_copy_text(user, cap, st, 1);
      rc = PS_OK;
    } else if (step == SQLITE_DONE) {
      rc = PS_ENOTFOUND;
    }
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

int ps_sqlite_forget_resume(sqlite_store *s) {
  if (pthread_mutex_trylock(&s->forget_lock) != 0) return PS_OK; /* one is running */
  int64_t game_id = INT64_MIN;
  char user[4096] = "";
  int rc = PS_OK, one_rc;
  while ((one_rc = next_journalled(s, &game_id, user, sizeof user)) == PS_OK) {
    ps_forget_report report = {0};
    ps_info("player deletion: game %lld: resuming one cut short", (long long)game_id);
    int done = finish(s, game_id, user, &report);
    if (done != PS_OK && rc == PS_OK) rc = done;
  }
  if (one_rc != PS_ENOTFOUND && rc == PS_OK) rc = one_rc;
  if (rc == PS_OK && s->forget_checkpoint_due) rc = truncate_log(s);
  pthread_mutex_unlock(&s->forget_lock);
  return rc;
}

/* ---- retention ---- */

#define PS_STRINGIFY_(x) #x
#define PS_STRINGIFY(x) PS_STRINGIFY_(x)
/* The rows of one batch, the same in both statements of a transaction (arrival order). */
#define OLD_EVENTS                                                                         \
  "SELECT id FROM events INDEXED BY events_by_arrival WHERE game_id = ?1 AND received_ms < ?3" \
  " AND id <= ?4 ORDER BY received_ms, id LIMIT " PS_STRINGIFY(RETENTION_ROWS)

/* Drops one game's old events (folded ones) and old rejected events, a batch per transaction. */
static int drop_game(sqlite_store *s, int64_t game_id, int64_t before_ms, int64_t *dropped) {
  int rc = PS_OK;
  for (int64_t n = RETENTION_ROWS; rc == PS_OK && n == RETENTION_ROWS;) {
    int64_t mark = 0;
    n = 0;
    pthread_mutex_lock(&s->shared_lock);
    rc = begin(s);
    if (rc == PS_OK) rc = one(s, mark_sql, game_id, NULL, 0, &mark);
    if (rc == PS_OK)
      rc = run(s, "INSERT OR IGNORE INTO ga_raw_dropped(game_id, day) SELECT DISTINCT ?1, day"
                  " FROM events WHERE id IN (" OLD_EVENTS ") AND day IS NOT NULL",
               game_id, NULL, before_ms, mark, NULL);
    if (rc == PS_OK)
      rc = delete_events(s, "DELETE FROM events WHERE id IN (" OLD_EVENTS ")", game_id, NULL,
                         before_ms, mark, &n);
    rc = end(s, rc);
    pthread_mutex_unlock(&s->shared_lock);
    if (rc == PS_OK) *dropped += n;
  }
  for (int64_t n = RETENTION_ROWS; rc == PS_OK && n == RETENTION_ROWS;) {
    n = 0;
    pthread_mutex_lock(&s->shared_lock);
    rc = run(s, "DELETE FROM rejected_events WHERE id IN (SELECT id FROM rejected_events"
                " INDEXED BY rejected_by_arrival WHERE game_id = ?1 AND received_ms < ?3"
                " ORDER BY received_ms, id LIMIT " PS_STRINGIFY(RETENTION_ROWS) ")",
             game_id, NULL, before_ms, 0, &n);
    pthread_mutex_unlock(&s->shared_lock);
    if (rc == PS_OK) *dropped += n;
  }
  return rc;
}

int ps_sqlite_events_drop_before(sqlite_store *s, int64_t before_ms, int64_t *dropped) {
  int64_t *games = NULL;
  size_t n = 0;
  *dropped = 0;
  int rc = ps_sqlite_event_games(s, &games, &n);
  for (size_t i = 0; rc == PS_OK && i < n; i++) rc = drop_game(s, games[i], before_ms, dropped);
  free(games);
  return rc;
}
