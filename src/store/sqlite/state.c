/*
 * state.c: the SQLite state store: its handle and ops table, apply(), and the protocol state
 * it keeps (games and tokens: games.c; service accounts: accounts.c; the export log:
 * export_log.c).
 *
 *   msession_state(game_id, session_id, player, max_order_id, last_received_ms, ended)
 *   msession_nonces(game_id, session_id, nonce, kind, order_id, ts_ms, received_ms)
 *                                                            one row per accepted request
 *   so_anonymity(project_id, environment_id, session_id, salt, first_ms, match_created_ms)
 *   so_anonymity_players(project_id, environment_id, session_id, hash, number)
 *
 * One connection under one lock: each call is one transaction on it. apply() is idempotent:
 * a nonce is a key, a start inserts only a new session, an advance takes maxima; a salt is
 * kept from the session's first event and player numbers are keys. so_anonymity dates a
 * session as the event store does (the earliest match.created, else the earliest event), so
 * that expiry forgets the same sessions. Deletions run with secure_delete (db.c) and a WAL
 * truncation, so nothing forgotten stays in the files.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/sqlite/internal.h"
#include "store/sqlite/rates.h"

const char ps_sqlite_state_schema[] =
    "CREATE TABLE IF NOT EXISTS games("
    "  id INTEGER PRIMARY KEY, name TEXT NOT NULL, project_id TEXT NOT NULL UNIQUE,"
    "  game_key TEXT NOT NULL UNIQUE, secret_key TEXT NOT NULL, metrics_key TEXT NOT NULL,"
    "  token_secret TEXT NOT NULL, created_ms INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS api_tokens("
    "  token_sha256 TEXT PRIMARY KEY, name TEXT NOT NULL, created_ms INTEGER NOT NULL,"
    "  role TEXT NOT NULL DEFAULT 'viewer');"
    "CREATE TABLE IF NOT EXISTS msession_state("
    "  game_id INTEGER NOT NULL, session_id TEXT NOT NULL, player TEXT NOT NULL,"
    "  max_order_id INTEGER NOT NULL, last_received_ms INTEGER NOT NULL,"
    "  ended INTEGER NOT NULL, PRIMARY KEY(game_id, session_id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS msession_nonces("
    "  game_id INTEGER NOT NULL, session_id TEXT NOT NULL, nonce TEXT NOT NULL,"
    "  kind INTEGER NOT NULL, order_id INTEGER NOT NULL, ts_ms INTEGER NOT NULL,"
    "  received_ms INTEGER NOT NULL, PRIMARY KEY(game_id, session_id, nonce)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS so_anonymity("
    "  project_id TEXT NOT NULL, environment_id TEXT NOT NULL, session_id TEXT NOT NULL,"
    "  salt TEXT NOT NULL, first_ms INTEGER NOT NULL, match_created_ms INTEGER,"
    "  created_ms INTEGER GENERATED ALWAYS AS (coalesce(match_created_ms, first_ms)) VIRTUAL,"
    "  PRIMARY KEY(project_id, environment_id, session_id)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS so_anonymity_by_age ON so_anonymity(created_ms);"
    "CREATE TABLE IF NOT EXISTS so_anonymity_players("
    "  project_id TEXT NOT NULL, environment_id TEXT NOT NULL, session_id TEXT NOT NULL,"
    "  hash TEXT NOT NULL, number INTEGER NOT NULL,"
    "  PRIMARY KEY(project_id, environment_id, session_id, hash)) WITHOUT ROWID;";

/* ---- apply ---- */

/* Prepares sql into *cache once per connection (the statements stay for its life). */
static int run(sqlite3 *db, sqlite3_stmt **cache, const char *sql) {
  return *cache ? PS_OK : ps_sqlite_prepare(db, sql, cache);
}

typedef ps_sqlite_apply_statements apply_statements;

void ps_sqlite_apply_statements_free(ps_sqlite_apply_statements *q) {
  sqlite3_finalize(q->start);
  sqlite3_finalize(q->advance);
  sqlite3_finalize(q->nonce);
  sqlite3_finalize(q->salt);
  sqlite3_finalize(q->player);
  memset(q, 0, sizeof *q);
}

static int apply_msession(sqlite3 *db, apply_statements *q, const ps_record *r) {
  const ps_msession_record *m = r->msession;
  sqlite3_stmt *st;
  if (m->kind == PS_MSESSION_REC_START) {
    if (run(db, &q->start,
            "INSERT INTO msession_state(game_id, session_id, player, max_order_id,"
            " last_received_ms, ended) VALUES(?1,?2,?3,?4,?5,0) ON CONFLICT DO NOTHING") != PS_OK)
      return PS_EIO;
    st = q->start;
    sqlite3_bind_int64(st, 1, r->game_id);
    sqlite3_bind_text(st, 2, m->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, m->player, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, m->order_id);
    sqlite3_bind_int64(st, 5, r->received_ms);
  } else {
    if (run(db, &q->advance,
            "UPDATE msession_state SET max_order_id = max(max_order_id, ?3),"
            " last_received_ms = max(last_received_ms, ?4), ended = max(ended, ?5)"
            " WHERE game_id = ?1 AND session_id = ?2") != PS_OK)
      return PS_EIO;
    st = q->advance;
    sqlite3_bind_int64(st, 1, r->game_id);
    sqlite3_bind_text(st, 2, m->session_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, m->order_id);
    sqlite3_bind_int64(st, 4, r->received_ms);
    sqlite3_bind_int(st, 5, m->kind == PS_MSESSION_REC_END);
  }
  if (ps_sqlite_step_and_reset(st) != PS_OK) return PS_EIO;
  if (run(db, &q->nonce,
          "INSERT OR IGNORE INTO msession_nonces(game_id, session_id, nonce, kind, order_id,"
          " ts_ms, received_ms) VALUES(?,?,?,?,?,?,?)") != PS_OK)
    return PS_EIO;
  st = q->nonce;
  sqlite3_bind_int64(st, 1, r->game_id);
  sqlite3_bind_text(st, 2, m->session_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, m->nonce, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, (int)m->kind);
  sqlite3_bind_int64(st, 5, m->order_id);
  sqlite3_bind_int64(st, 6, m->ts_ms);
  sqlite3_bind_int64(st, 7, r->received_ms);
  return ps_sqlite_step_and_reset(st);
}

static void bind_key(sqlite3_stmt *st, const ps_so_key *key) {
  sqlite3_bind_text(st, 1, key->project_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, key->environment_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, key->session_id, -1, SQLITE_STATIC);
}

static int apply_so_event(sqlite3 *db, apply_statements *q, const ps_record *r) {
  const ps_so_event_record *e = r->so_event;
  if (run(db, &q->salt,
          "INSERT INTO so_anonymity(project_id, environment_id, session_id, salt, first_ms,"
          " match_created_ms) VALUES(?1,?2,?3,?4,?5,?6) ON CONFLICT DO UPDATE SET"
          " first_ms = min(first_ms, excluded.first_ms), match_created_ms ="
          " CASE WHEN match_created_ms IS NULL THEN excluded.match_created_ms"
          " ELSE min(match_created_ms, coalesce(excluded.match_created_ms, match_created_ms)) END") !=
          PS_OK ||
      run(db, &q->player,
          "INSERT OR IGNORE INTO so_anonymity_players(project_id, environment_id, session_id,"
          " hash, number) VALUES(?1,?2,?3,?4,?5)") != PS_OK)
    return PS_EIO;
  sqlite3_stmt *st = q->salt;
  bind_key(st, &e->session);
  sqlite3_bind_text(st, 4, e->salt ? e->salt : "", -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 5, e->ts_ms);
  if (strcmp(e->type, "match.created") == 0)
    sqlite3_bind_int64(st, 6, e->ts_ms);
  else
    sqlite3_bind_null(st, 6);
  if (ps_sqlite_step_and_reset(st) != PS_OK) return PS_EIO;
  for (size_t i = 0; i < e->nplayers; i++) {
    st = q->player;
    bind_key(st, &e->session);
    sqlite3_bind_text(st, 4, e->players[i].hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, e->players[i].number);
    if (ps_sqlite_step_and_reset(st) != PS_OK) return PS_EIO;
  }
  return PS_OK;
}

static int carries_state(const ps_record *r, unsigned kinds) {
  return (r->kind == PS_RECORD_MSESSION || r->kind == PS_RECORD_SO_EVENT) &&
         (kinds & PS_RECORD_BIT(r->kind));
}

static int any_state(const ps_record_span *spans, size_t nspans, unsigned kinds) {
  for (size_t i = 0; i < nspans; i++)
    for (size_t j = 0; j < spans[i].count; j++)
      if (carries_state(&spans[i].records[j], kinds)) return 1;
  return 0;
}

int ps_sqlite_state_apply_on(sqlite3 *db, ps_sqlite_apply_statements *q, const ps_record_span *spans,
                             size_t nspans, unsigned kinds) {
  if (!any_state(spans, nspans, kinds)) return PS_OK;
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < nspans; i++)
    for (size_t j = 0; rc == PS_OK && j < spans[i].count; j++) {
      const ps_record *r = &spans[i].records[j];
      if (!carries_state(r, kinds)) continue;
      if (r->kind == PS_RECORD_MSESSION)
        rc = apply_msession(db, q, r);
      else if (r->kind == PS_RECORD_SO_EVENT)
        rc = apply_so_event(db, q, r);
    }
  return rc;
}

static int sqlite_state_apply(ps_state_store *base, const ps_record_span *spans, size_t nspans,
                              unsigned kinds) {
  sqlite_state *s = (sqlite_state *)base;
  if (!any_state(spans, nspans, kinds)) return PS_OK;
  pthread_mutex_lock(&s->lock);
  int rc = ps_sqlite_exec(s->db, "BEGIN IMMEDIATE");
  if (rc == PS_OK) rc = ps_sqlite_state_apply_on(s->db, &s->apply, spans, nspans, kinds);
  if (rc == PS_OK) rc = ps_sqlite_exec(s->db, "COMMIT");
  if (rc != PS_OK) {
    ps_error_log("sqlite: state apply failed: %s", sqlite3_errmsg(s->db));
    ps_sqlite_exec(s->db, "ROLLBACK");
  }
  pthread_mutex_unlock(&s->lock);
  return rc;
}

/* ---- loads ---- */

/* What a load reads: a parent row (its key bound by bind) and its child rows (the same key).
 * parent() decodes the parent row, child() visits each child row. */
typedef struct load {
  const char *parent_sql, *child_sql;
  void (*bind)(sqlite3_stmt *st, const void *key);
  const void *key;
  void (*parent)(sqlite3_stmt *st, void *ctx);
  int (*child)(sqlite3_stmt *st, void *ctx);
  void *ctx;
} load;

/* Runs l in one read transaction, so the parent and its children are of the same moment:
 * PS_OK, PS_ENOTFOUND (no parent row), PS_EIO or what child() returned. */
static int run_load(sqlite_state *s, const load *l) {
  sqlite3_stmt *st = NULL;
  int rc = PS_EIO;
  pthread_mutex_lock(&s->lock);
  if (ps_sqlite_exec(s->db, "BEGIN") != PS_OK) goto out;
  if (sqlite3_prepare_v2(s->db, l->parent_sql, -1, &st, NULL) != SQLITE_OK) goto out;
  l->bind(st, l->key);
  int step = sqlite3_step(st);
  if (step == SQLITE_DONE) rc = PS_ENOTFOUND;
  if (step != SQLITE_ROW) goto out;
  l->parent(st, l->ctx);
  sqlite3_finalize(st);
  st = NULL;
  if (sqlite3_prepare_v2(s->db, l->child_sql, -1, &st, NULL) != SQLITE_OK) goto out;
  l->bind(st, l->key);
  rc = ps_sqlite_each_row(st, l->child, l->ctx);
out:
  sqlite3_finalize(st);
  ps_sqlite_exec(s->db, "COMMIT");
  pthread_mutex_unlock(&s->lock);
  return rc;
}

typedef struct msession_key {
  int64_t game_id;
  const char *session_id;
} msession_key;

typedef struct msession_load_ctx {
  ps_msession_state *out;
  ps_nonce_visitor visit;
  void *ctx;
} msession_load_ctx;

static void bind_msession(sqlite3_stmt *st, const void *key) {
  const msession_key *k = key;
  sqlite3_bind_int64(st, 1, k->game_id);
  sqlite3_bind_text(st, 2, k->session_id, -1, SQLITE_STATIC);
}

static void msession_row(sqlite3_stmt *st, void *arg) {
  ps_msession_state *out = ((msession_load_ctx *)arg)->out;
  memset(out, 0, sizeof *out);
  ps_sqlite_copy_text(out->player, sizeof out->player, st, 0);
  out->max_order_id = sqlite3_column_int64(st, 1);
  out->last_received_ms = sqlite3_column_int64(st, 2);
  out->ended = sqlite3_column_int(st, 3) != 0;
}

static int nonce_row(sqlite3_stmt *st, void *arg) {
  const msession_load_ctx *q = arg;
  const unsigned char *nonce = sqlite3_column_text(st, 0);
  ps_msession_nonce n = {nonce ? (const char *)nonce : "",
                         (ps_msession_rec_kind)sqlite3_column_int(st, 1),
                         sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
                         sqlite3_column_int64(st, 4)};
  return q->visit(&n, q->ctx);
}

static int sqlite_msession_load(ps_state_store *base, int64_t game_id, const char *session_id,
                                ps_msession_state *out, ps_nonce_visitor visit, void *ctx) {
  msession_key key = {game_id, session_id};
  msession_load_ctx c = {out, visit, ctx};
  load l = {"SELECT player, max_order_id, last_received_ms, ended FROM msession_state"
            " WHERE game_id = ?1 AND session_id = ?2",
            "SELECT nonce, kind, order_id, ts_ms, received_ms FROM msession_nonces"
            " WHERE game_id = ?1 AND session_id = ?2",
            bind_msession, &key, msession_row, nonce_row, &c};
  return run_load((sqlite_state *)base, &l);
}

typedef struct anonymity_load_ctx {
  char *salt;
  ps_so_player_visitor visit;
  void *ctx;
} anonymity_load_ctx;

static void bind_so_key(sqlite3_stmt *st, const void *key) { bind_key(st, key); }

static void salt_row(sqlite3_stmt *st, void *arg) {
  ps_sqlite_copy_text(((anonymity_load_ctx *)arg)->salt, 65, st, 0);
}

static int player_row(sqlite3_stmt *st, void *arg) {
  const anonymity_load_ctx *q = arg;
  ps_so_player p = {(const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1)};
  return q->visit(&p, q->ctx);
}

static int sqlite_so_anonymity_load(ps_state_store *base, const ps_so_key *key, char *salt,
                                    ps_so_player_visitor visit, void *ctx) {
  anonymity_load_ctx c = {salt, visit, ctx};
  load l = {"SELECT salt FROM so_anonymity WHERE project_id = ?1 AND environment_id = ?2"
            " AND session_id = ?3",
            "SELECT hash, number FROM so_anonymity_players WHERE project_id = ?1"
            " AND environment_id = ?2 AND session_id = ?3",
            bind_so_key, key, salt_row, player_row, &c};
  return run_load((sqlite_state *)base, &l);
}

/* Runs steps (each binding ?1 = i1 and, when t2 is not NULL, ?2 = t2) in one transaction,
 * then folds the WAL in and empties it when rows were deleted: the WAL may still hold them as
 * they were, and secure_delete (db.c) zeroed the freed content of the pages. A reader can make
 * the checkpoint fail; the next deletion on this connection tries again. */
static int delete_steps(sqlite_state *s, const char *const *steps, size_t n, int64_t i1,
                        const char *t2, const char *what) {
  int rc = PS_OK, deleted = 0;
  pthread_mutex_lock(&s->lock);
  if (ps_sqlite_exec(s->db, "BEGIN IMMEDIATE") != PS_OK) {
    pthread_mutex_unlock(&s->lock);
    return PS_EIO;
  }
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(s->db, steps[i], -1, &st, NULL) == SQLITE_OK ? PS_OK : PS_EIO;
    if (rc == PS_OK) {
      sqlite3_bind_int64(st, 1, i1);
      if (t2) sqlite3_bind_text(st, 2, t2, -1, SQLITE_STATIC);
      rc = sqlite3_step(st) == SQLITE_DONE ? PS_OK : PS_EIO;
      deleted += sqlite3_changes(s->db);
    }
    sqlite3_finalize(st);
  }
  rc = rc == PS_OK ? ps_sqlite_exec(s->db, "COMMIT") : rc;
  if (rc != PS_OK) ps_sqlite_exec(s->db, "ROLLBACK");
  if (rc == PS_OK && deleted > 0 &&
      sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL) != SQLITE_OK)
    ps_warn("sqlite: checkpoint after %s: %s (tried again at the next one)", what,
            sqlite3_errmsg(s->db));
  pthread_mutex_unlock(&s->lock);
  return rc;
}

static int sqlite_so_anonymity_expire(ps_state_store *base, int64_t before_ms) {
  static const char *const steps[] = {
      "DELETE FROM so_anonymity_players WHERE (project_id, environment_id, session_id) IN"
      " (SELECT project_id, environment_id, session_id FROM so_anonymity WHERE created_ms < ?1)",
      "DELETE FROM so_anonymity WHERE created_ms < ?1",
  };
  return delete_steps((sqlite_state *)base, steps, sizeof steps / sizeof *steps, before_ms,
                      NULL, "expiry");
}

/* The player's metrics sessions: their nonces, then their state (which names the player). */
static int sqlite_msession_forget_player(ps_state_store *base, int64_t game_id,
                                         const char *player) {
  static const char *const steps[] = {
      "DELETE FROM msession_nonces WHERE game_id = ?1 AND session_id IN"
      " (SELECT session_id FROM msession_state WHERE game_id = ?1 AND player = ?2)",
      "DELETE FROM msession_state WHERE game_id = ?1 AND player = ?2",
  };
  return delete_steps((sqlite_state *)base, steps, sizeof steps / sizeof *steps, game_id,
                      player, "a player's deletion");
}

/* ---- the handle ---- */

static void sqlite_state_close(ps_state_store *base) {
  sqlite_state *s = (sqlite_state *)base;
  if (!s) return;
  ps_sqlite_apply_statements_free(&s->apply);
  sqlite3_close(s->db);
  pthread_mutex_destroy(&s->lock);
  free(s);
}

extern const ps_state_store_ops ps_sqlite_state_ops;

static int sqlite_state_open(const char *dir, const ps_store_options *options,
                             ps_state_store **out) {
  char path[4096];
  int rc = ps_sqlite_path(dir, path, sizeof path);
  if (rc != PS_OK) return rc;
  sqlite_state *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  s->base.ops = &ps_sqlite_state_ops;
  pthread_mutex_init(&s->lock, NULL);
  if ((rc = ps_sqlite_connect(path, &s->db)) != PS_OK) {
    sqlite_state_close(&s->base);
    return rc;
  }
  *out = &s->base;
  return PS_OK;
}

const ps_state_store_ops ps_sqlite_state_ops = {
    .name = "sqlite",
    .open = sqlite_state_open,
    .close = sqlite_state_close,
    .game_create = ps_sqlite_game_create,
    .game_list = ps_sqlite_game_list,
    .game_find = ps_sqlite_game_find,
    .api_token_create = ps_sqlite_api_token_create,
    .api_token_check = ps_sqlite_api_token_check,
    .service_account_create = ps_sqlite_service_account_create,
    .service_account_find = ps_sqlite_service_account_find,
    .service_account_list = ps_sqlite_service_account_list,
    .service_account_delete = ps_sqlite_service_account_delete,
    .apply = sqlite_state_apply,
    .msession_load = sqlite_msession_load,
    .so_anonymity_load = sqlite_so_anonymity_load,
    .export_record = ps_sqlite_export_record,
    .export_find = ps_sqlite_export_find,
    .so_anonymity_expire = sqlite_so_anonymity_expire,
    .msession_forget_player = sqlite_msession_forget_player,
    .rates_put = ps_sqlite_rates_put,
    .rates_read = ps_sqlite_rates_read,
    .game_currency_set = ps_sqlite_game_currency_set,
    .game_currency_get = ps_sqlite_game_currency_get,
};
