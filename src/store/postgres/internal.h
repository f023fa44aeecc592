/*
 * internal.h: what the files of the PostgreSQL state store share. Nothing outside
 * src/store/postgres/ includes it.
 *
 * The state store of every node of a deployment (`--state postgres://user@host:port/db?...`):
 * games, keys, read-API tokens, service accounts and the protocol state (state.h). Several
 * processes on several machines use one database at once, so every rule of state.h that the
 * SQLite store keeps with one connection under one lock is kept here by the database itself:
 * each call is one transaction (READ COMMITTED) committed with synchronous_commit = on, and
 * what two nodes may write at the same moment is written with INSERT ... ON CONFLICT and row
 * locks (state.c says which).
 *
 * Files, one concept each:
 *   conn.c      the connection pool, transactions (retried once after a lost connection or a
 *               serialisation failure), query helpers
 *   schema.c    the tables, their version and upgrades, under an advisory lock on open
 *   state.c     the handle and ops table, apply(), metrics-session and anonymity state
 *   games.c     games and read-API tokens;  accounts.c  service accounts
 *   export_log.c  what the raw exports wrote (the export log)
 *
 * The database must exist (it is not created). The URL is never logged: it may hold a password.
 */
#ifndef PS_STORE_POSTGRES_INTERNAL_H
#define PS_STORE_POSTGRES_INTERNAL_H

#include <libpq-fe.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "store/state.h"

/* ---- conn.c ---- */

typedef struct ps_pg_pool ps_pg_pool;

/* One connection of the pool, and what its last failed query said. */
typedef struct ps_pg_conn {
  PGconn *pg;
  char sqlstate[6]; /* SQLSTATE of the last failed query ("" when none or unknown) */
} ps_pg_conn;

/* Connections to conninfo (a libpq URI), at most max open at once, made on first need. Open
 * makes one at once, so that a wrong URL or a server down fails here: PS_OK, PS_EIO (logged)
 * or PS_ENOMEM. */
int ps_pg_pool_open(const char *conninfo, size_t max, ps_pg_pool **out);
void ps_pg_pool_close(ps_pg_pool *pool);

/* A transaction's work on conn, between BEGIN and COMMIT: returns PS_OK to commit, anything
 * else to roll back (returned by ps_pg_transaction). It may run twice (see below), so it sets
 * its outputs from scratch each time. */
typedef int (*ps_pg_work)(ps_pg_conn *conn, void *ctx);

/* Runs work in one transaction on a connection of the pool, and commits it (durable when
 * PS_OK is returned). A lost connection is reset and the whole transaction run once more; a
 * serialisation failure or deadlock (SQLSTATE 40001, 40P01) is run again up to 3 times.
 * what names the call in the log. */
int ps_pg_transaction(ps_pg_pool *pool, const char *what, ps_pg_work work, void *ctx);

/* Runs sql with text parameters (NULL ones as SQL NULL). PS_OK with *res set (PQclear it)
 * when res is not NULL; PS_EEXIST on a unique violation (SQLSTATE 23505, not logged); else
 * PS_EIO, logged with what. */
int ps_pg_query(ps_pg_conn *conn, const char *what, const char *sql, int nparams,
                const char *const *params, PGresult **res);
/* Logs libpq's message (several lines made one) after "postgres: what: ". */
void ps_pg_log(ps_log_level level, const char *what, const char *message);
/* The number of rows a command changed (INSERT, UPDATE, DELETE). */
int64_t ps_pg_changed(PGresult *res);
/* Text of an int64 parameter. */
typedef struct ps_pg_int {
  char text[24];
} ps_pg_int;
ps_pg_int ps_pg_int_text(int64_t v);
/* Row row, column col of res: as an int64 (0 when NULL), or copied into dst (cap bytes,
 * truncated, NUL-terminated; "" when NULL). */
int64_t ps_pg_get_int(PGresult *res, int row, int col);
void ps_pg_copy_text(char *dst, size_t cap, PGresult *res, int row, int col);

/* ---- schema.c ---- */

/* Brings the database's tables to the current version (creating them in an empty database),
 * under an advisory lock, so that nodes opening together do not race. PS_OK, PS_EIO (logged)
 * or PS_EUNSUPPORTED (a newer playstat wrote it). */
int ps_pg_schema_upgrade(ps_pg_pool *pool);

/* ---- the handle ---- */

typedef struct pg_state {
  ps_state_store base;
  ps_pg_pool *pool;
} pg_state;

static inline ps_pg_pool *ps_pg_pool_of(ps_state_store *store) {
  return ((pg_state *)store)->pool;
}

/* ---- games.c / accounts.c: the state store's calls ---- */
int ps_pg_game_create(ps_state_store *store, ps_game *game);
int ps_pg_game_list(ps_state_store *store, ps_game **games, size_t *count);
int ps_pg_game_find(ps_state_store *store, const char *game_key, int64_t id, ps_game *out);
int ps_pg_api_token_create(ps_state_store *store, const char *hash, const char *name,
                           const char *role);
int ps_pg_api_token_check(ps_state_store *store, const char *hash, char role[PS_ROLE_MAX]);
int ps_pg_service_account_create(ps_state_store *store, const ps_service_account *account);
int ps_pg_service_account_find(ps_state_store *store, const char *key_id,
                               ps_service_account *out);
int ps_pg_service_account_list(ps_state_store *store, const char *project_id,
                               ps_service_account **out, size_t *count);
int ps_pg_service_account_delete(ps_state_store *store, const char *key_id);

/* ---- export_log.c: the export log (state.h ps_export_object) ---- */
int ps_pg_export_record(ps_state_store *store, const ps_export_object *object);
int ps_pg_export_find(ps_state_store *store, const char *target, int64_t game_id,
                      const char *kind, const char *format, int64_t period_start_ms,
                      ps_export_object *out);

#endif
