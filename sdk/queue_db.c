/* queue_db.c: see queue_db.h. */
#include "sdk/queue_db.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "sdk/hot.h"

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " category TEXT NOT NULL, priority INTEGER NOT NULL, size INTEGER NOT NULL,"
    " body TEXT NOT NULL);"
    "CREATE INDEX IF NOT EXISTS events_by_priority ON events(priority, id);"
    "CREATE TABLE IF NOT EXISTS state(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS progression(id TEXT PRIMARY KEY, attempts INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS session(slot INTEGER PRIMARY KEY CHECK (slot = 1),"
    " session_id TEXT NOT NULL, start_ts INTEGER NOT NULL, last_ts INTEGER NOT NULL,"
    " annotations TEXT NOT NULL);";

/* The statements of the hot path (an event call), prepared once. */
enum { ST_BEGIN, ST_COMMIT, ST_INSERT, ST_VICTIM, ST_DELETE, ST_TOUCH, ST_COUNT };
static const char *const statement_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_INSERT] = "INSERT INTO events(category, priority, size, body) VALUES (?, ?, ?, ?)",
    [ST_VICTIM] = "SELECT id, priority, size FROM events WHERE priority <= ?"
                  " ORDER BY priority, id LIMIT 1",
    [ST_DELETE] = "DELETE FROM events WHERE id = ? RETURNING size, priority",
    [ST_TOUCH] = "UPDATE session SET last_ts = max(last_ts, ?) WHERE slot = 1",
};

struct ps_queue_db {
  sqlite3 *db;
  sqlite3_stmt *st[ST_COUNT];
  int log_frames; /* ps_qdb_on_log_growth */
  void (*log_grown)(void *ctx);
  void *log_ctx;
  int in_tx;
  uint64_t events; /* queued count and total size, kept in step with the table */
  uint64_t bytes;
  uint64_t bytes_at[4]; /* the total size by priority */
};

PS_SDK_HOT int ps_sdk_category_priority(const char *category) {
  static const struct {
    const char *category;
    int priority;
  } table[] = {
      {"design", 0},      {"error", 1},       {"ads", 1},      {"impression", 1},
      {"resource", 1},    {"progression", 2}, {"business", 3}, {"user", 3},
      {"session_end", 3},
  };
  for (size_t i = 0; category && i < sizeof table / sizeof table[0]; i++)
    if (strcmp(table[i].category, category) == 0) return table[i].priority;
  return 0;
}

static int fail(ps_queue_db *db) {
  int code = sqlite3_errcode(db->db);
  return code == SQLITE_NOMEM ? PS_ENOMEM : PS_EIO;
}

/* Runs a prepared statement to completion (no rows wanted). */
static int run(ps_queue_db *db, sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  while (rc == SQLITE_ROW) rc = sqlite3_step(st);
  int ok = rc == SQLITE_DONE;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return ok ? PS_OK : fail(db);
}

static int read_totals(ps_queue_db *db) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  if (sqlite3_prepare_v2(db->db, "SELECT priority, count(*), coalesce(sum(size), 0) FROM events"
                         " GROUP BY priority", -1, &st, NULL) != SQLITE_OK)
    return fail(db);
  uint64_t events = 0, bytes = 0, at[4] = {0};
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    int p = sqlite3_column_int(st, 0);
    uint64_t size = (uint64_t)sqlite3_column_int64(st, 2);
    events += (uint64_t)sqlite3_column_int64(st, 1);
    bytes += size;
    at[p < 0 ? 0 : p > 3 ? 3 : p] += size;
  }
  if (step == SQLITE_DONE) {
    db->events = events;
    db->bytes = bytes;
    memcpy(db->bytes_at, at, sizeof at);
    rc = PS_OK;
  }
  sqlite3_finalize(st);
  return rc;
}

/* Ends a failed open: err says why (SQLite's message); returns PS_ENOMEM or PS_EIO. */
static int open_failed(ps_queue_db *db, const char *path, char *err, size_t errlen) {
  snprintf(err, errlen, "database %s: %s", path,
           db->db ? sqlite3_errmsg(db->db) : "cannot open");
  int rc = db->db && sqlite3_errcode(db->db) == SQLITE_NOMEM ? PS_ENOMEM : PS_EIO;
  ps_qdb_close(db);
  return rc;
}

/* A new connection to path (flags of sqlite3_open_v2) with a busy timeout. */
static int connect(const char *path, int flags, ps_queue_db **out, char *err, size_t errlen) {
  *out = NULL;
  ps_queue_db *db = calloc(1, sizeof *db);
  if (!db) {
    snprintf(err, errlen, "out of memory");
    return PS_ENOMEM;
  }
  if (sqlite3_open_v2(path, &db->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    return open_failed(db, path, err, errlen);
  sqlite3_busy_timeout(db->db, 2000);
  *out = db;
  return PS_OK;
}

int ps_qdb_open(const char *path, int durable, ps_queue_db **out, char *err, size_t errlen) {
  *out = NULL;
  ps_queue_db *db;
  int rc = connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db, err, errlen);
  if (rc != PS_OK) return rc;
  char pragmas[160];
  snprintf(pragmas, sizeof pragmas,
           "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=OFF;"
           "PRAGMA wal_autocheckpoint=0;", /* ps_qdb_checkpoint, from the library's thread */
           durable ? "FULL" : "NORMAL");
  if (sqlite3_exec(db->db, pragmas, NULL, NULL, NULL) != SQLITE_OK ||
      sqlite3_exec(db->db, schema_sql, NULL, NULL, NULL) != SQLITE_OK)
    return open_failed(db, path, err, errlen);
  for (int i = 0; i < ST_COUNT; i++)
    if (sqlite3_prepare_v3(db->db, statement_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &db->st[i],
                           NULL) != SQLITE_OK)
      return open_failed(db, path, err, errlen);
  if (read_totals(db) != PS_OK) return open_failed(db, path, err, errlen);
  *out = db;
  return PS_OK;
}

int ps_qdb_open_reader(const char *path, ps_queue_db **out, char *err, size_t errlen) {
  /* read-write: a checkpoint writes the database file */
  return connect(path, SQLITE_OPEN_READWRITE, out, err, errlen);
}

int ps_qdb_checkpoint(ps_queue_db *reader) {
  /* The game may commit while a pass copies: a few more passes (each copies only what came
   * meanwhile) catch up with it, so that its next commit can start the log over instead of
   * growing it (a growing log makes every read of it and every fsync slower). */
  for (int pass = 0; pass < 8; pass++) {
    int in_log = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(reader->db, NULL, SQLITE_CHECKPOINT_PASSIVE, &in_log,
                                       &copied);
    if (rc == SQLITE_BUSY) return PS_OK;
    if (rc != SQLITE_OK) return fail(reader);
    if (copied >= in_log) return PS_OK;
  }
  return PS_OK;
}

static int wal_committed(void *arg, sqlite3 *conn, const char *schema, int frames) {
  (void)conn;
  (void)schema;
  ps_queue_db *db = arg;
  if (frames >= db->log_frames) db->log_grown(db->log_ctx);
  return SQLITE_OK;
}

void ps_qdb_on_log_growth(ps_queue_db *db, int frames, void (*grown)(void *ctx), void *ctx) {
  db->log_frames = frames;
  db->log_grown = grown;
  db->log_ctx = ctx;
  sqlite3_wal_hook(db->db, wal_committed, db); /* replaces automatic checkpoints, as well */
}

void ps_qdb_close(ps_queue_db *db) {
  if (!db) return;
  for (int i = 0; i < ST_COUNT; i++) sqlite3_finalize(db->st[i]);
  sqlite3_close(db->db);
  free(db);
}

const char *ps_qdb_errmsg(ps_queue_db *db) { return sqlite3_errmsg(db->db); }

int ps_qdb_begin(ps_queue_db *db) {
  int rc = run(db, db->st[ST_BEGIN]);
  if (rc == PS_OK) db->in_tx = 1;
  return rc;
}

int ps_qdb_commit(ps_queue_db *db) {
  int rc = run(db, db->st[ST_COMMIT]);
  if (rc == PS_OK) db->in_tx = 0;
  else ps_qdb_rollback(db);
  return rc;
}

void ps_qdb_rollback(ps_queue_db *db) {
  if (!sqlite3_get_autocommit(db->db)) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
  db->in_tx = 0;
  if (read_totals(db) != PS_OK) { /* keep the old totals; the next open re-reads them */
  }
}

/* Prepares a one-off statement. */
static int prepare(ps_queue_db *db, const char *sql, sqlite3_stmt **st) {
  return sqlite3_prepare_v2(db->db, sql, -1, st, NULL) == SQLITE_OK ? PS_OK : fail(db);
}

int ps_qdb_state_get(ps_queue_db *db, const char *key, char *out, size_t cap) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, "SELECT value FROM state WHERE key = ?", &st);
  if (rc != PS_OK) return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (cap) out[0] = '\0';
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    if (cap) snprintf(out, cap, "%s", v ? v : "");
    rc = 1;
  } else {
    rc = step == SQLITE_DONE ? 0 : fail(db);
  }
  sqlite3_finalize(st);
  return rc;
}

int ps_qdb_state_set(ps_queue_db *db, const char *key, const char *value) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, "INSERT INTO state(key, value) VALUES (?, ?)"
                       " ON CONFLICT(key) DO UPDATE SET value = excluded.value", &st);
  if (rc != PS_OK) return rc;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  rc = sqlite3_step(st) == SQLITE_DONE ? PS_OK : fail(db);
  sqlite3_finalize(st);
  return rc;
}

int ps_qdb_state_increment(ps_queue_db *db, const char *key, int64_t *out) {
  char text[32];
  int rc = ps_qdb_state_get(db, key, text, sizeof text);
  if (rc < 0) return rc;
  int64_t v = (rc == 1 ? strtoll(text, NULL, 10) : 0) + 1;
  snprintf(text, sizeof text, "%lld", (long long)v);
  rc = ps_qdb_state_set(db, key, text);
  if (rc == PS_OK) *out = v;
  return rc;
}

/* The stored attempts of a progression id (0 when none). */
static int attempts_of(ps_queue_db *db, const char *id, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, "SELECT attempts FROM progression WHERE id = ?", &st);
  if (rc != PS_OK) return rc;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int step = sqlite3_step(st);
  *out = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
  rc = step == SQLITE_ROW || step == SQLITE_DONE ? PS_OK : fail(db);
  sqlite3_finalize(st);
  return rc;
}

static int exec_with_id(ps_queue_db *db, const char *sql, const char *id, int64_t n) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, sql, &st);
  if (rc != PS_OK) return rc;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (sqlite3_bind_parameter_count(st) > 1) sqlite3_bind_int64(st, 2, n);
  rc = sqlite3_step(st) == SQLITE_DONE ? PS_OK : fail(db);
  sqlite3_finalize(st);
  return rc;
}

int ps_qdb_progression_fail(ps_queue_db *db, const char *id, int64_t *attempt) {
  int64_t n = 0;
  int rc = attempts_of(db, id, &n);
  if (rc != PS_OK) return rc;
  rc = exec_with_id(db,
                    "INSERT INTO progression(id, attempts) VALUES (?, ?)"
                    " ON CONFLICT(id) DO UPDATE SET attempts = excluded.attempts",
                    id, n + 1);
  if (rc == PS_OK) *attempt = n + 1;
  return rc;
}

int ps_qdb_progression_complete(ps_queue_db *db, const char *id, int64_t *attempt) {
  int64_t n = 0;
  int rc = attempts_of(db, id, &n);
  if (rc != PS_OK) return rc;
  rc = exec_with_id(db, "DELETE FROM progression WHERE id = ?", id, 0);
  if (rc == PS_OK) *attempt = n + 1;
  return rc;
}

/* Deletes one event by id; *size gets its size (0 when it was already gone). */
static int delete_one(ps_queue_db *db, int64_t id, uint64_t *size) {
  sqlite3_stmt *st = db->st[ST_DELETE];
  sqlite3_bind_int64(st, 1, id);
  *size = 0;
  int step = sqlite3_step(st);
  int found = step == SQLITE_ROW;
  int p = 0;
  if (found) {
    *size = (uint64_t)sqlite3_column_int64(st, 0);
    p = sqlite3_column_int(st, 1);
    p = p < 0 ? 0 : p > 3 ? 3 : p;
  }
  while (step == SQLITE_ROW) step = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (step != SQLITE_DONE) return fail(db);
  if (found) {
    db->events--;
    db->bytes -= *size;
    db->bytes_at[p] -= *size;
  }
  return PS_OK;
}

/* Finds the next event that may make room for one of priority p: 1 found, 0 none, <0. */
static int next_victim(ps_queue_db *db, int p, int64_t *id, int *priority) {
  sqlite3_stmt *st = db->st[ST_VICTIM];
  sqlite3_bind_int(st, 1, p);
  int step = sqlite3_step(st);
  int rc = 0;
  if (step == SQLITE_ROW) {
    *id = sqlite3_column_int64(st, 0);
    *priority = sqlite3_column_int(st, 1);
    rc = 1;
  } else if (step != SQLITE_DONE) {
    rc = fail(db);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

int ps_qdb_append(ps_queue_db *db, const char *category, const char *body, size_t len,
                  uint64_t max_bytes, ps_qdb_evicted *evicted) {
  int priority = ps_sdk_category_priority(category);
  evicted->events = 0;
  evicted->bytes = 0;
  evicted->lowest_priority = -1;
  if (len > max_bytes) return PS_EFULL;
  /* Decide first, evict after: a refused event changes nothing. */
  if (db->bytes + len > max_bytes) {
    sqlite3_stmt *st = NULL;
    int rc = prepare(db, "SELECT coalesce(sum(size), 0) FROM events WHERE priority <= ?", &st);
    if (rc != PS_OK) return rc;
    sqlite3_bind_int(st, 1, priority);
    uint64_t evictable = sqlite3_step(st) == SQLITE_ROW ? (uint64_t)sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    if (db->bytes - evictable + len > max_bytes) return PS_EFULL;
  }
  while (db->bytes + len > max_bytes) {
    int64_t id = 0;
    int p = 0;
    uint64_t size = 0;
    int rc = next_victim(db, priority, &id, &p);
    if (rc < 0) return rc;
    if (rc == 0) return PS_EFULL; /* cannot happen after the check above */
    if ((rc = delete_one(db, id, &size)) != PS_OK) return rc;
    evicted->events++;
    evicted->bytes += size;
    if (evicted->lowest_priority < 0 || p < evicted->lowest_priority) evicted->lowest_priority = p;
  }
  sqlite3_stmt *st = db->st[ST_INSERT];
  sqlite3_bind_text(st, 1, category, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, priority);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)len);
  sqlite3_bind_text(st, 4, body, (int)len, SQLITE_STATIC);
  int rc = run(db, st);
  if (rc != PS_OK) return rc;
  db->events++;
  db->bytes += len;
  db->bytes_at[priority] += len;
  return PS_OK;
}

void ps_qdb_rows_free(ps_qdb_row *rows, size_t n) {
  for (size_t i = 0; rows && i < n; i++) free(rows[i].body);
  free(rows);
}

int ps_qdb_peek(ps_queue_db *db, size_t max_events, ps_qdb_row **rows, size_t *n) {
  *rows = NULL;
  *n = 0;
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, "SELECT id, body FROM events ORDER BY id LIMIT ?", &st);
  if (rc != PS_OK) return rc;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)max_events);
  ps_qdb_row *out = NULL;
  size_t count = 0, cap = 0;
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (count == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      ps_qdb_row *grown = realloc(out, ncap * sizeof *out);
      if (!grown) goto oom;
      out = grown;
      cap = ncap;
    }
    const char *text = (const char *)sqlite3_column_text(st, 1);
    size_t len = (size_t)sqlite3_column_bytes(st, 1);
    char *copy = malloc(len + 1);
    if (!copy || !text) {
      free(copy);
      goto oom;
    }
    memcpy(copy, text, len + 1);
    out[count++] = (ps_qdb_row){.id = sqlite3_column_int64(st, 0), .body = copy, .len = len};
  }
  sqlite3_finalize(st);
  if (step != SQLITE_DONE) {
    ps_qdb_rows_free(out, count);
    return fail(db);
  }
  *rows = out;
  *n = count;
  return PS_OK;
oom:
  sqlite3_finalize(st);
  ps_qdb_rows_free(out, count);
  return PS_ENOMEM;
}

int ps_qdb_delete(ps_queue_db *db, const ps_qdb_row *rows, size_t n) {
  int rc = ps_qdb_begin(db);
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    uint64_t size;
    rc = delete_one(db, rows[i].id, &size);
  }
  if (rc == PS_OK) return ps_qdb_commit(db);
  ps_qdb_rollback(db);
  return rc;
}

uint64_t ps_qdb_queued_events(const ps_queue_db *db) { return db->events; }
uint64_t ps_qdb_queued_bytes(const ps_queue_db *db) { return db->bytes; }

uint64_t ps_qdb_queued_bytes_at(const ps_queue_db *db, int priority) {
  return priority >= 0 && priority < 4 ? db->bytes_at[priority] : 0;
}

int ps_qdb_progression_set(ps_queue_db *db, const char *id, int64_t attempts) {
  if (attempts <= 0) return exec_with_id(db, "DELETE FROM progression WHERE id = ?", id, 0);
  return exec_with_id(db,
                      "INSERT INTO progression(id, attempts) VALUES (?, ?)"
                      " ON CONFLICT(id) DO UPDATE SET attempts = excluded.attempts",
                      id, attempts);
}

int ps_qdb_progression_each(ps_queue_db *db, int (*fn)(void *ctx, const char *id, int64_t attempts),
                            void *ctx) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, "SELECT id, attempts FROM progression", &st);
  if (rc != PS_OK) return rc;
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *id = (const char *)sqlite3_column_text(st, 0);
    if (id && (rc = fn(ctx, id, sqlite3_column_int64(st, 1))) != PS_OK) break;
  }
  if (rc == PS_OK && step != SQLITE_DONE) rc = fail(db);
  sqlite3_finalize(st);
  return rc;
}

int ps_qdb_session_put(ps_queue_db *db, const char *session_id, int64_t start_ts,
                       const char *annotations) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, "INSERT OR REPLACE INTO session(slot, session_id, start_ts, last_ts,"
                       " annotations) VALUES (1, ?, ?, ?, ?)", &st);
  if (rc != PS_OK) return rc;
  sqlite3_bind_text(st, 1, session_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, start_ts);
  sqlite3_bind_int64(st, 3, start_ts);
  sqlite3_bind_text(st, 4, annotations, -1, SQLITE_STATIC);
  rc = sqlite3_step(st) == SQLITE_DONE ? PS_OK : fail(db);
  sqlite3_finalize(st);
  return rc;
}

int ps_qdb_session_annotate(ps_queue_db *db, const char *annotations) {
  sqlite3_stmt *st = NULL;
  int rc = prepare(db, "UPDATE session SET annotations = ? WHERE slot = 1", &st);
  if (rc != PS_OK) return rc;
  sqlite3_bind_text(st, 1, annotations, -1, SQLITE_STATIC);
  rc = sqlite3_step(st) == SQLITE_DONE ? PS_OK : fail(db);
  sqlite3_finalize(st);
  return rc;
}

int ps_qdb_session_touch(ps_queue_db *db, int64_t last_ts) {
  sqlite3_stmt *st = db->st[ST_TOUCH];
  sqlite3_bind_int64(st, 1, last_ts);
  return run(db, st);
}

int ps_qdb_session_get(ps_queue_db *db, char session_id[37], int64_t *start_ts,
                       int64_t *last_ts, char **annotations) {
  sqlite3_stmt *st = NULL;
  *annotations = NULL;
  int rc = prepare(db, "SELECT session_id, start_ts, last_ts, annotations FROM session", &st);
  if (rc != PS_OK) return rc;
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    const char *sid = (const char *)sqlite3_column_text(st, 0);
    const char *ann = (const char *)sqlite3_column_text(st, 3);
    snprintf(session_id, 37, "%s", sid ? sid : "");
    *start_ts = sqlite3_column_int64(st, 1);
    *last_ts = sqlite3_column_int64(st, 2);
    *annotations = strdup(ann ? ann : "{}");
    rc = *annotations ? 1 : PS_ENOMEM;
  } else {
    rc = step == SQLITE_DONE ? 0 : fail(db);
  }
  sqlite3_finalize(st);
  return rc;
}

int ps_qdb_session_clear(ps_queue_db *db) {
  return sqlite3_exec(db->db, "DELETE FROM session", NULL, NULL, NULL) == SQLITE_OK ? PS_OK
                                                                                    : fail(db);
}
