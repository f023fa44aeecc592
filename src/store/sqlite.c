/*
 * sqlite.c: the embedded store, one SQLite database (DIR/playstat.db) in WAL mode.
 *
 * Durability: synchronous=FULL, so a COMMIT returns only once the WAL is fsync'ed; one write()
 * is one transaction, which is how the ingest writer's group commit pays one fsync for many
 * requests. Concurrency: the writer thread owns `writer`; the insights API's reads take one of
 * the read-only `readers` (sqlite_readers.c); every other call goes through `shared`,
 * serialised by shared_lock. Other processes (the CLI) open their own connections;
 * WAL lets them read while the server writes, and busy_timeout makes writers wait their turn.
 *
 * WAL bound: wal_autocheckpoint=1000 pages (4 MB of frames) and journal_size_limit=8 MB, so the
 * -wal file stays at 8 MB (briefly up to ~17 MB under load; at 10000 it reached 40-60 MB, which
 * a nearly full disk could not spare). The price: more frequent checkpoints on the writer's
 * commit path, up to a quarter of the raw insert rate with 5,000-row transactions
 * (docs/PERFORMANCE.md, "Ingest as the store grows").
 *
 * Layout (PRAGMA user_version = 7; every statement is idempotent, so upgrading runs them all):
 *   games(id, name, project_id, game_key, secret_key, metrics_key, token_secret, created_ms)
 *   events(id, game_id, category, event_uuid BLOB(16), client_ts, received_ms, user_id,
 *          session_id, body)            unique (game_id, ifnull(client_ts, 0), event_uuid)
 *                                       where uuid not null (events_by_ts_uuid, since v7)
 *   rejected_events(id, game_id, received_ms, event_index, category, body, errors)
 *   msessions(game_id, session_id, player, platform, portal, mod_ids, started_ms, last_ms,
 *             ended_ms, last_received_ms, max_order_id)      one row per metrics session
 *   msession_nonces(game_id, session_id, nonce, kind, order_id, ts_ms, received_ms)
 *                                                            one row per accepted request
 *   api_tokens(token_sha256, name, created_ms)                 read-API tokens (hashes only)
 *   msession_minutes(game_id, platform, portal, minute_ms, ccu, ugc)   rollups, nonzero only
 *   rollup_state(game_id, settled_ms)               rollups cover every minute before settled
 *   session observability tables: see sqlite_sessions.c; service accounts: sqlite_accounts.c;
 *   analytics-event rollups: sqlite_ga.c
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/clock.h"
#include "common/errors.h"
#include "common/log.h"
#include "common/encoding.h"
#include "store/sqlite_internal.h"
#include "store/store.h"

#define DEFAULT_REJECTED_KEEP 10000
#define SCHEMA_VERSION 7


static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS games("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL, project_id TEXT NOT NULL UNIQUE,"
    "  game_key TEXT NOT NULL UNIQUE, secret_key TEXT NOT NULL, metrics_key TEXT NOT NULL,"
    "  token_secret TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS events("
    "  id INTEGER PRIMARY KEY, game_id INTEGER NOT NULL, category TEXT NOT NULL,"
    "  event_uuid BLOB, client_ts INTEGER, received_ms INTEGER NOT NULL, user_id TEXT,"
    "  session_id TEXT, body TEXT NOT NULL);"
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
    "CREATE TABLE IF NOT EXISTS msessions("
    "  game_id INTEGER NOT NULL, session_id TEXT NOT NULL, player TEXT NOT NULL,"
    "  platform TEXT NOT NULL, portal TEXT NOT NULL, mod_ids TEXT NOT NULL,"
    "  started_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL, ended_ms INTEGER,"
    "  last_received_ms INTEGER NOT NULL, max_order_id INTEGER NOT NULL,"
    "  PRIMARY KEY(game_id, session_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS msession_nonces("
    "  game_id INTEGER NOT NULL, session_id TEXT NOT NULL, nonce TEXT NOT NULL,"
    "  kind INTEGER NOT NULL, order_id INTEGER NOT NULL, ts_ms INTEGER NOT NULL,"
    "  received_ms INTEGER NOT NULL, PRIMARY KEY(game_id, session_id, nonce)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS msessions_by_start ON msessions(game_id, started_ms);"
    "CREATE TABLE IF NOT EXISTS api_tokens("
    "  token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL);"
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
    "  game_id INTEGER PRIMARY KEY, settled_ms INTEGER NOT NULL);";

int ps_sqlite_exec(sqlite3 *db, const char *sql) {
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
    ps_error_log("sqlite: %s: %s", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return PS_EIO;
  }
  return PS_OK;
}

static int open_connection(const char *path, sqlite3 **out) {
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
  if (ps_sqlite_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
               "PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=1000;"
               "PRAGMA journal_size_limit=8388608;"
               "PRAGMA secure_delete=ON;") != PS_OK) {
    sqlite3_close(db);
    return PS_EIO;
  }
  *out = db;
  return PS_OK;
}

int ps_sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, out, NULL) != SQLITE_OK) {
    ps_error_log("sqlite: prepare %s: %s", sql, sqlite3_errmsg(db));
    return PS_EIO;
  }
  return PS_OK;
}

static int migrate(sqlite3 *db) {
  sqlite3_stmt *st = NULL;
  int version = 0;
  if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW)
    version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (version > SCHEMA_VERSION) {
    ps_error_log("sqlite: database schema version %d is newer than this playstat (%d)",
                 version, SCHEMA_VERSION);
    return PS_EUNSUPPORTED;
  }
  if (version == SCHEMA_VERSION) return PS_OK;
  if (ps_sqlite_exec(db, "BEGIN IMMEDIATE") != PS_OK) return PS_EIO;
  char set_version[64];
  snprintf(set_version, sizeof set_version, "PRAGMA user_version=%d", SCHEMA_VERSION);
  if (ps_sqlite_exec(db, schema_sql) != PS_OK ||
      ps_sqlite_exec(db, ps_sqlite_sessions_schema) != PS_OK ||
      ps_sqlite_exec(db, ps_sqlite_accounts_schema) != PS_OK ||
      ps_sqlite_exec(db, ps_sqlite_ga_schema) != PS_OK ||
      ps_sqlite_exec(db, set_version) != PS_OK) {
    ps_sqlite_exec(db, "ROLLBACK");
    return PS_EIO;
  }
  return ps_sqlite_exec(db, "COMMIT");
}

static void sqlite_close(ps_store *base) {
  sqlite_store *s = (sqlite_store *)base;
  if (!s) return;
  sqlite3_finalize(s->insert_event);
  sqlite3_finalize(s->insert_rejected);
  sqlite3_finalize(s->trim_rejected);
  sqlite3_finalize(s->msession_start);
  sqlite3_finalize(s->msession_advance);
  sqlite3_finalize(s->msession_nonce);
  ps_sqlite_sessions_close(s);
  ps_sqlite_readers_close(s);
  sqlite3_close(s->writer);
  sqlite3_close(s->shared);
  pthread_mutex_destroy(&s->shared_lock);
  free(s);
}

extern const ps_store_ops ps_sqlite_store_ops;

static int sqlite_open(const char *dir, const ps_store_options *options, ps_store **out) {
  int rc = PS_EIO;
  char path[4096];
  sqlite_store *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->base.ops = &ps_sqlite_store_ops;
  pthread_mutex_init(&s->shared_lock, NULL);
  s->rejected_keep = options && options->rejected_keep_per_game > 0
                         ? options->rejected_keep_per_game
                         : DEFAULT_REJECTED_KEEP;
  if (mkdir(dir, 0700) != 0) {
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
      ps_error_log("sqlite: data directory %s cannot be created", dir);
      goto out;
    }
  }
  if ((size_t)snprintf(path, sizeof path, "%s/playstat.db", dir) >= sizeof path) {
    rc = PS_EINVAL;
    goto out;
  }
  if ((rc = open_connection(path, &s->writer)) != PS_OK) goto out;
  if ((rc = migrate(s->writer)) != PS_OK) goto out;
  if ((rc = open_connection(path, &s->shared)) != PS_OK) goto out;
  if ((rc = ps_sqlite_readers_open(s, path)) != PS_OK) goto out;
  rc = PS_EIO;
  if (ps_sqlite_prepare(s->writer,
              "INSERT OR IGNORE INTO events(game_id, category, event_uuid, client_ts,"
              " received_ms, user_id, session_id, body) VALUES(?,?,?,?,?,?,?,?)",
              &s->insert_event) != PS_OK)
    goto out;
  if (ps_sqlite_prepare(s->writer,
              "INSERT INTO rejected_events(game_id, received_ms, event_index, category, body,"
              " errors) VALUES(?,?,?,?,?,?)",
              &s->insert_rejected) != PS_OK)
    goto out;
  if (ps_sqlite_prepare(s->writer,
              "DELETE FROM rejected_events WHERE game_id = ?1 AND id <= (SELECT id FROM"
              " rejected_events WHERE game_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)",
              &s->trim_rejected) != PS_OK)
    goto out;
  if (ps_sqlite_prepare(s->writer,
              "INSERT INTO msessions(game_id, session_id, player, platform, portal, mod_ids,"
              " started_ms, last_ms, ended_ms, last_received_ms, max_order_id)"
              " VALUES(?1,?2,?3,?4,?5,?6,?7,?7,NULL,?8,?9) ON CONFLICT DO NOTHING",
              &s->msession_start) != PS_OK ||
      ps_sqlite_prepare(s->writer,
              "UPDATE msessions SET last_ms = max(last_ms, ?3), last_received_ms = ?4,"
              " max_order_id = max(max_order_id, ?5),"
              " ended_ms = CASE WHEN ?6 THEN ?3 ELSE ended_ms END"
              " WHERE game_id = ?1 AND session_id = ?2",
              &s->msession_advance) != PS_OK ||
      ps_sqlite_prepare(s->writer,
              "INSERT OR IGNORE INTO msession_nonces(game_id, session_id, nonce, kind, order_id,"
              " ts_ms, received_ms) VALUES(?,?,?,?,?,?,?)",
              &s->msession_nonce) != PS_OK ||
      ps_sqlite_sessions_open(s) != PS_OK)
    goto out;
  *out = &s->base;
  s = NULL;
  rc = PS_OK;
out:
  sqlite_close(s ? &s->base : NULL);
  return rc;
}

/* ---- games ---- */

void ps_sqlite_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col) {
  const unsigned char *text = sqlite3_column_text(st, col);
  snprintf(dst, cap, "%s", text ? (const char *)text : "");
}

#define GAME_COLUMNS \
  "id, name, project_id, game_key, secret_key, metrics_key, token_secret, created_ms"

static void read_game(sqlite3_stmt *st, ps_game *g) {
  memset(g, 0, sizeof *g);
  g->id = sqlite3_column_int64(st, 0);
  ps_sqlite_copy_text(g->name, sizeof g->name, st, 1);
  ps_sqlite_copy_text(g->project_id, sizeof g->project_id, st, 2);
  ps_sqlite_copy_text(g->game_key, sizeof g->game_key, st, 3);
  ps_sqlite_copy_text(g->secret_key, sizeof g->secret_key, st, 4);
  ps_sqlite_copy_text(g->metrics_key, sizeof g->metrics_key, st, 5);
  ps_sqlite_copy_text(g->token_secret, sizeof g->token_secret, st, 6);
  g->created_ms = sqlite3_column_int64(st, 7);
}

static int sqlite_game_create(ps_store *base, ps_game *game) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  game->created_ms = ps_now_ms();
  if (sqlite3_prepare_v2(s->shared,
                         "INSERT INTO games(name, project_id, game_key, secret_key,"
                         " metrics_key, token_secret, created_ms) VALUES(?,?,?,?,?,?,?)",
                         -1, &st, NULL) != SQLITE_OK)
    goto out;
  sqlite3_bind_text(st, 1, game->name, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, game->project_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, game->game_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, game->secret_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, game->metrics_key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, game->token_secret, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, game->created_ms);
  int step = sqlite3_step(st);
  if (step == SQLITE_CONSTRAINT) {
    rc = PS_EEXIST;
    goto out;
  }
  if (step != SQLITE_DONE) {
    ps_error_log("sqlite: game create: %s", sqlite3_errmsg(s->shared));
    goto out;
  }
  game->id = sqlite3_last_insert_rowid(s->shared);
  rc = PS_OK;
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

static int sqlite_game_list(ps_store *base, ps_game **games, size_t *count) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st = NULL;
  ps_game *list = NULL;
  size_t n = 0, cap = 0;
  int rc = PS_EIO, step;
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared, "SELECT " GAME_COLUMNS " FROM games ORDER BY id", -1, &st,
                         NULL) != SQLITE_OK)
    goto out;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      ps_game *grown = realloc(list, cap * sizeof *list);
      if (!grown) {
        rc = PS_ENOMEM;
        goto out;
      }
      list = grown;
    }
    read_game(st, &list[n++]);
  }
  if (step != SQLITE_DONE) goto out;
  *games = list;
  *count = n;
  list = NULL;
  rc = PS_OK;
out:
  free(list);
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

static int find_game(sqlite_store *s, const char *where, const char *key, int64_t id,
                     ps_game *out) {
  char sql[256];
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  snprintf(sql, sizeof sql, "SELECT " GAME_COLUMNS " FROM games WHERE %s = ?", where);
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared, sql, -1, &st, NULL) != SQLITE_OK) goto out;
  if (key)
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  else
    sqlite3_bind_int64(st, 1, id);
  int step = sqlite3_step(st);
  if (step == SQLITE_ROW) {
    read_game(st, out);
    rc = PS_OK;
  } else if (step == SQLITE_DONE) {
    rc = PS_ENOTFOUND;
  }
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

static int sqlite_game_find_by_key(ps_store *base, const char *game_key, ps_game *out) {
  return find_game((sqlite_store *)base, "game_key", game_key, 0, out);
}

static int sqlite_game_find_by_id(ps_store *base, int64_t id, ps_game *out) {
  return find_game((sqlite_store *)base, "id", NULL, id, out);
}

/* ---- ingest ---- */

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

void ps_sqlite_bind_optional_text(sqlite3_stmt *st, int col, const char *text) {
  if (text)
    sqlite3_bind_text(st, col, text, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null(st, col);
}

static int insert_event(sqlite_store *s, ps_record *r) {
  sqlite3_stmt *st = s->insert_event;
  unsigned char uuid[16];
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
  int step = sqlite3_step(st);
  sqlite3_reset(st);
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
  int step = sqlite3_step(st);
  sqlite3_reset(st);
  return step == SQLITE_DONE ? PS_OK : PS_EIO;
}

static int trim_rejected(sqlite_store *s, int64_t game_id) {
  sqlite3_stmt *st = s->trim_rejected;
  sqlite3_bind_int64(st, 1, game_id);
  sqlite3_bind_int64(st, 2, s->rejected_keep);
  int step = sqlite3_step(st);
  sqlite3_reset(st);
  return step == SQLITE_DONE ? PS_OK : PS_EIO;
}

int ps_sqlite_step_and_reset(sqlite3_stmt *st) {
  int step = sqlite3_step(st);
  sqlite3_reset(st);
  return step == SQLITE_DONE ? PS_OK : PS_EIO;
}

/* Applies one accepted metrics-session request: create (start) or advance the session row,
 * and remember the nonce. */
static int write_msession(sqlite_store *s, const ps_record *r) {
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
  if (ps_sqlite_step_and_reset(st) != PS_OK) return PS_EIO;
  st = s->msession_nonce;
  sqlite3_bind_int64(st, 1, r->game_id);
  sqlite3_bind_text(st, 2, m->session_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, m->nonce, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, (int)m->kind);
  sqlite3_bind_int64(st, 5, m->order_id);
  sqlite3_bind_int64(st, 6, m->ts_ms);
  sqlite3_bind_int64(st, 7, r->received_ms);
  return ps_sqlite_step_and_reset(st);
}

static int sqlite_write(ps_store *base, ps_record_span *spans, size_t nspans) {
  sqlite_store *s = (sqlite_store *)base;
  int rc = PS_EIO;
  /* Games that got rejected events in this transaction, trimmed once each at the end. */
  int64_t trimmed[64];
  size_t ntrimmed = 0;
  if (ps_sqlite_exec(s->writer, "BEGIN IMMEDIATE") != PS_OK) return PS_EIO;
  for (size_t i = 0; i < nspans; i++) {
    for (size_t j = 0; j < spans[i].count; j++) {
      ps_record *r = &spans[i].records[j];
      if (r->kind == PS_RECORD_EVENT) {
        if (insert_event(s, r) != PS_OK) goto fail;
        continue;
      }
      if (r->kind == PS_RECORD_MSESSION) {
        if (write_msession(s, r) != PS_OK) goto fail;
        continue;
      }
      if (r->kind == PS_RECORD_SO_EVENT) {
        if (ps_sqlite_sessions_write(s, r, &r->duplicate) != PS_OK) goto fail;
        continue;
      }
      if (insert_rejected(s, r) != PS_OK) goto fail;
      size_t k = 0;
      while (k < ntrimmed && trimmed[k] != r->game_id) k++;
      if (k == ntrimmed) {
        if (ntrimmed < sizeof trimmed / sizeof *trimmed)
          trimmed[ntrimmed++] = r->game_id;
        else if (trim_rejected(s, r->game_id) != PS_OK) /* many games: trim at once */
          goto fail;
      }
    }
  }
  for (size_t k = 0; k < ntrimmed; k++)
    if (trim_rejected(s, trimmed[k]) != PS_OK) goto fail;
  if (ps_sqlite_exec(s->writer, "COMMIT") != PS_OK) goto fail;
  return PS_OK;
fail:
  ps_error_log("sqlite: write failed: %s", sqlite3_errmsg(s->writer));
  ps_sqlite_exec(s->writer, "ROLLBACK");
  return rc;
}

/* Steps st through its rows, handing each to row(); stops early when row() returns nonzero
 * and returns that value, else 0 at the end or PS_EIO on a step error. */
int ps_sqlite_each_row(sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx), void *ctx) {
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    int stop = row(st, ctx);
    if (stop) return stop;
  }
  return step == SQLITE_DONE ? PS_OK : PS_EIO;
}

typedef struct event_rows {
  int64_t game_id;
  ps_event_visitor visit;
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
  };
  return q->visit(&e, q->ctx);
}

static int sqlite_events_scan(ps_store *base, const ps_event_query *q, ps_event_visitor visit,
                              void *ctx) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  const char *sql =
      q->rejected
          ? "SELECT received_ms, category, body, event_index, errors FROM rejected_events"
            " WHERE game_id = ?1 AND (?2 IS NULL OR category = ?2) ORDER BY id"
          : "SELECT received_ms, category, body, 0, NULL FROM events"
            " WHERE game_id = ?1 AND (?2 IS NULL OR category = ?2) ORDER BY id";
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared, sql, -1, &st, NULL) != SQLITE_OK) goto out;
  sqlite3_bind_int64(st, 1, q->game_id);
  ps_sqlite_bind_optional_text(st, 2, q->category);
  event_rows rows = {q->game_id, visit, ctx};
  rc = ps_sqlite_each_row(st, event_row, &rows);
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* ---- metrics sessions ---- */

#define MSESSION_COLUMNS \
  "session_id, player, platform, portal, mod_ids, started_ms, last_ms, ended_ms," \
  " last_received_ms, max_order_id"

static void read_msession(sqlite3_stmt *st, ps_msession_state *m) {
  memset(m, 0, sizeof *m);
  ps_sqlite_copy_text(m->session_id, sizeof m->session_id, st, 0);
  ps_sqlite_copy_text(m->player, sizeof m->player, st, 1);
  ps_sqlite_copy_text(m->platform, sizeof m->platform, st, 2);
  ps_sqlite_copy_text(m->portal, sizeof m->portal, st, 3);
  ps_sqlite_copy_text(m->mod_ids, sizeof m->mod_ids, st, 4);
  m->started_ms = sqlite3_column_int64(st, 5);
  m->last_ms = sqlite3_column_int64(st, 6);
  m->ended_ms = sqlite3_column_type(st, 7) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 7);
  m->last_received_ms = sqlite3_column_int64(st, 8);
  m->max_order_id = sqlite3_column_int64(st, 9);
}

typedef struct nonce_rows {
  ps_nonce_visitor visit;
  void *ctx;
} nonce_rows;

static int nonce_row(sqlite3_stmt *st, void *arg) {
  const nonce_rows *q = arg;
  const unsigned char *nonce = sqlite3_column_text(st, 0);
  return q->visit(nonce ? (const char *)nonce : "", q->ctx);
}

typedef struct msession_rows {
  ps_msession_visitor visit;
  void *ctx;
  ps_msession_state state; /* decoded row, reused */
} msession_rows;

static int msession_row(sqlite3_stmt *st, void *arg) {
  msession_rows *q = arg;
  read_msession(st, &q->state);
  return q->visit(&q->state, q->ctx);
}

static int sqlite_msession_load(ps_store *base, int64_t game_id, const char *session_id,
                                ps_msession_state *out, ps_nonce_visitor visit, void *ctx) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO, step;
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared,
                         "SELECT " MSESSION_COLUMNS " FROM msessions"
                         " WHERE game_id = ? AND session_id = ?",
                         -1, &st, NULL) != SQLITE_OK)
    goto out;
  sqlite3_bind_int64(st, 1, game_id);
  sqlite3_bind_text(st, 2, session_id, -1, SQLITE_STATIC);
  step = sqlite3_step(st);
  if (step == SQLITE_DONE) rc = PS_ENOTFOUND;
  if (step != SQLITE_ROW) goto out;
  read_msession(st, out);
  sqlite3_finalize(st);
  st = NULL;
  if (sqlite3_prepare_v2(s->shared,
                         "SELECT nonce FROM msession_nonces WHERE game_id = ? AND session_id = ?",
                         -1, &st, NULL) != SQLITE_OK)
    goto out;
  sqlite3_bind_int64(st, 1, game_id);
  sqlite3_bind_text(st, 2, session_id, -1, SQLITE_STATIC);
  nonce_rows rows = {visit, ctx};
  rc = ps_sqlite_each_row(st, nonce_row, &rows);
out:
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

/* Visits the sessions selected by sql (game id bound as ?1, then from, to and open_since as
 * ?2, ?3, ?4 if used). */
static int visit_msessions(sqlite_store *s, const char *sql, int64_t game_id, int64_t from_ms,
                           int64_t to_ms, int64_t open_since_ms, ps_msession_visitor visit,
                           void *ctx) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) goto out;
  sqlite3_bind_int64(st, 1, game_id);
  if (sqlite3_bind_parameter_count(st) >= 4) {
    sqlite3_bind_int64(st, 2, from_ms);
    sqlite3_bind_int64(st, 3, to_ms);
    sqlite3_bind_int64(st, 4, open_since_ms);
  }
  msession_rows rows = {.visit = visit, .ctx = ctx};
  rc = ps_sqlite_each_row(st, msession_row, &rows);
out:
  sqlite3_finalize(st);
  ps_sqlite_reader_release(s, db);
  return rc;
}

static int sqlite_msessions_scan(ps_store *base, int64_t game_id, ps_msession_visitor visit,
                                 void *ctx) {
  return visit_msessions((sqlite_store *)base,
                         "SELECT " MSESSION_COLUMNS " FROM msessions WHERE game_id = ?1"
                         " ORDER BY started_ms, session_id",
                         game_id, 0, 0, 0, visit, ctx);
}

static int sqlite_msessions_range(ps_store *base, int64_t game_id, int64_t from_ms,
                                  int64_t to_ms, int64_t open_since_ms,
                                  ps_msession_visitor visit, void *ctx) {
  /* A union of two index ranges (msessions_by_last, msessions_by_received): recent ranges read
   * only recent sessions, however many the game has. The unary + keeps the planner off
   * msessions_by_start, which the ORDER BY would otherwise tempt it into (a full scan). */
  return visit_msessions((sqlite_store *)base,
                         "SELECT " MSESSION_COLUMNS " FROM msessions WHERE game_id = ?1"
                         " AND last_ms >= ?2 AND +started_ms < ?3"
                         " UNION SELECT " MSESSION_COLUMNS " FROM msessions WHERE game_id = ?1"
                         " AND ended_ms IS NULL AND last_received_ms >= ?4 AND +started_ms < ?3"
                         " ORDER BY started_ms, session_id",
                         game_id, from_ms, to_ms, open_since_ms, visit, ctx);
}

/* The one integer the query (game id bound as ?1) answers: PS_ENOTFOUND when no row or NULL. */
static int query_int64(sqlite_store *s, const char *sql, int64_t game_id, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  sqlite3 *db = ps_sqlite_reader_acquire(s);
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
  ps_sqlite_reader_release(s, db);
  return rc;
}

static int sqlite_msessions_first_start(ps_store *base, int64_t game_id, int64_t *out_ms) {
  return query_int64((sqlite_store *)base,
                     "SELECT min(started_ms) FROM msessions WHERE game_id = ?1", game_id, out_ms);
}

/* ---- rollups ---- */

static int sqlite_rollup_settled(ps_store *base, int64_t game_id, int64_t *settled_ms) {
  return query_int64((sqlite_store *)base,
                     "SELECT settled_ms FROM rollup_state WHERE game_id = ?1", game_id,
                     settled_ms);
}

static int sqlite_rollup_write(ps_store *base, int64_t game_id, const ps_rollup_row *rows,
                               size_t n, int64_t settled_ms) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *row = NULL, *state = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (ps_sqlite_exec(s->shared, "BEGIN IMMEDIATE") != PS_OK) goto out;
  if (sqlite3_prepare_v2(s->shared,
                         "INSERT OR REPLACE INTO msession_minutes(game_id, platform, portal,"
                         " minute_ms, ccu, ugc) VALUES(?,?,?,?,?,?)",
                         -1, &row, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(s->shared,
                         "INSERT OR REPLACE INTO rollup_state(game_id, settled_ms) VALUES(?,?)",
                         -1, &state, NULL) != SQLITE_OK)
    goto rollback;
  for (size_t i = 0; i < n; i++) {
    sqlite3_bind_int64(row, 1, game_id);
    sqlite3_bind_text(row, 2, rows[i].platform, -1, SQLITE_STATIC);
    sqlite3_bind_text(row, 3, rows[i].portal, -1, SQLITE_STATIC);
    sqlite3_bind_int64(row, 4, rows[i].minute_ms);
    sqlite3_bind_int64(row, 5, rows[i].ccu);
    sqlite3_bind_int64(row, 6, rows[i].ugc);
    if (ps_sqlite_step_and_reset(row) != PS_OK) goto rollback;
  }
  sqlite3_bind_int64(state, 1, game_id);
  sqlite3_bind_int64(state, 2, settled_ms);
  if (ps_sqlite_step_and_reset(state) != PS_OK) goto rollback;
  rc = ps_sqlite_exec(s->shared, "COMMIT");
  if (rc == PS_OK) goto out;
rollback:
  ps_sqlite_exec(s->shared, "ROLLBACK");
  rc = PS_EIO;
out:
  sqlite3_finalize(row);
  sqlite3_finalize(state);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
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

static int sqlite_rollup_scan(ps_store *base, int64_t game_id, const char *platform,
                              const char *portal, int64_t from_ms, int64_t to_ms,
                              ps_rollup_visitor visit, void *ctx) {
  sqlite_store *s = (sqlite_store *)base;
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

/* ---- read-API tokens ---- */

static int sqlite_api_token_create(ps_store *base, const char *hash, const char *name) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared,
                         "INSERT INTO api_tokens(token_sha256, name, created_ms) VALUES(?,?,?)",
                         -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, ps_now_ms());
    int step = sqlite3_step(st);
    rc = step == SQLITE_DONE ? PS_OK : step == SQLITE_CONSTRAINT ? PS_EEXIST : PS_EIO;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

static int sqlite_api_token_check(ps_store *base, const char *hash) {
  sqlite_store *s = (sqlite_store *)base;
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->shared_lock);
  if (sqlite3_prepare_v2(s->shared, "SELECT 1 FROM api_tokens WHERE token_sha256 = ?", -1, &st,
                         NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    rc = step == SQLITE_ROW ? PS_OK : step == SQLITE_DONE ? PS_ENOTFOUND : PS_EIO;
  }
  sqlite3_finalize(st);
  pthread_mutex_unlock(&s->shared_lock);
  return rc;
}

const ps_store_ops ps_sqlite_store_ops = {
    .name = "sqlite",
    .open = sqlite_open,
    .close = sqlite_close,
    .game_create = sqlite_game_create,
    .game_list = sqlite_game_list,
    .game_find_by_key = sqlite_game_find_by_key,
    .game_find_by_id = sqlite_game_find_by_id,
    .write = sqlite_write,
    .events_scan = sqlite_events_scan,
    .msession_load = sqlite_msession_load,
    .msessions_scan = sqlite_msessions_scan,
    .msessions_range = sqlite_msessions_range,
    .msessions_first_start = sqlite_msessions_first_start,
    .rollup_settled = sqlite_rollup_settled,
    .rollup_write = sqlite_rollup_write,
    .rollup_scan = sqlite_rollup_scan,
    .service_account_create = ps_sqlite_service_account_create,
    .service_account_find = ps_sqlite_service_account_find,
    .service_account_list = ps_sqlite_service_account_list,
    .service_account_delete = ps_sqlite_service_account_delete,
    .ga_events_after = ps_sqlite_ga_events_after,
    .ga_rollup_mark = ps_sqlite_ga_rollup_mark,
    .ga_user_get = ps_sqlite_ga_user_get,
    .ga_user_next_idx = ps_sqlite_ga_user_next_idx,
    .ga_rollup_apply = ps_sqlite_ga_rollup_apply,
    .ga_chunks = ps_sqlite_ga_chunks,
    .ga_aggs = ps_sqlite_ga_aggs,
    .so_session_get = ps_sqlite_so_session_get,
    .so_session_list = ps_sqlite_so_session_list,
    .so_session_players = ps_sqlite_so_session_players,
    .so_sessions_range = ps_sqlite_so_sessions_range,
    .so_expire = ps_sqlite_so_expire,
    .api_token_create = sqlite_api_token_create,
    .api_token_check = sqlite_api_token_check,
};
