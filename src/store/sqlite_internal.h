/*
 * sqlite_internal.h: what the files of the SQLite backend share (sqlite.c: the connections,
 * the schema, games, analytics events, metrics sessions, rollups, tokens; sqlite_sessions.c:
 * session observability; sqlite_accounts.c: service accounts; sqlite_ga.c: analytics-event
 * rollups). Nothing outside src/store/ includes it.
 *
 * The writer connection belongs to the ingest writer thread (write() only); the insights
 * API's reads take a read-only connection of the readers (sqlite_readers.c); every other
 * operation uses the shared connection under shared_lock.
 */
#ifndef PS_STORE_SQLITE_INTERNAL_H
#define PS_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>

#include "store/store.h"

typedef struct ps_sqlite_sessions ps_sqlite_sessions;
typedef struct ps_sqlite_readers ps_sqlite_readers;

typedef struct sqlite_store {
  ps_store base;
  sqlite3 *writer; /* write() only: the ingest writer thread */
  sqlite3 *shared; /* every call but write(), any thread, under shared_lock */
  pthread_mutex_t shared_lock;
  sqlite3_stmt *insert_event;
  sqlite3_stmt *insert_rejected;
  sqlite3_stmt *trim_rejected;
  sqlite3_stmt *msession_start, *msession_advance, *msession_nonce;
  int64_t rejected_keep;
  ps_sqlite_sessions *sessions; /* sqlite_sessions.c's statements */
  ps_sqlite_readers *readers;   /* sqlite_readers.c: read-only connections for insights */
} sqlite_store;

/* sqlite_readers.c: opens (PS_OK, or an error with what is open left for close) and closes
 * the read-only connections; acquire waits for a free one, release gives it back. */
int ps_sqlite_readers_open(sqlite_store *s, const char *path);
void ps_sqlite_readers_close(sqlite_store *s);
sqlite3 *ps_sqlite_reader_acquire(sqlite_store *s);
void ps_sqlite_reader_release(sqlite_store *s, sqlite3 *db);

/* sqlite3_exec with the error logged: PS_OK or PS_EIO. */
int ps_sqlite_exec(sqlite3 *db, const char *sql);
/* A persistent prepared statement: PS_OK or PS_EIO (logged). */
int ps_sqlite_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **out);
/* Copies text column col into dst (cap bytes, truncated, NUL-terminated; "" for NULL). */
void ps_sqlite_copy_text(char *dst, size_t cap, sqlite3_stmt *st, int col);
/* Binds text, or NULL when text is NULL (SQLITE_STATIC: text must outlive the step). */
void ps_sqlite_bind_optional_text(sqlite3_stmt *st, int col, const char *text);
/* Steps a statement that returns no row, then resets it: PS_OK or PS_EIO. */
int ps_sqlite_step_and_reset(sqlite3_stmt *st);
/* Calls row() for each row until it returns nonzero (returned as is): PS_OK, PS_EIO or that. */
int ps_sqlite_each_row(sqlite3_stmt *st, int (*row)(sqlite3_stmt *st, void *ctx), void *ctx);

/* sqlite_sessions.c: its schema (idempotent statements run by the migration), its writer
 * statements (prepared on open, finalized on close), one record of write(), and its ops. */
extern const char ps_sqlite_sessions_schema[];
int ps_sqlite_sessions_open(sqlite_store *s);
void ps_sqlite_sessions_close(sqlite_store *s);
int ps_sqlite_sessions_write(sqlite_store *s, const ps_record *r, int *duplicate);
int ps_sqlite_so_session_get(ps_store *store, const ps_so_key *key, ps_so_session *out,
                             ps_so_event_visitor visit, void *ctx);
int ps_sqlite_so_session_list(ps_store *store, const ps_so_query *q, ps_so_session **out,
                              size_t *count, int64_t *snapshot_seq);
int ps_sqlite_so_session_players(ps_store *store, const ps_so_key *key, char *salt,
                                 ps_so_player_visitor visit, void *ctx);
int ps_sqlite_so_sessions_range(ps_store *store, const char *project_id, int64_t from_ms,
                                int64_t to_ms, int (*visit)(const ps_so_session *s, void *ctx),
                                void *ctx);
int ps_sqlite_so_expire(ps_store *store, int64_t before_ms, int64_t *deleted);

/* sqlite_accounts.c: service accounts. */
extern const char ps_sqlite_accounts_schema[];
int ps_sqlite_service_account_create(ps_store *store, const ps_service_account *account);
int ps_sqlite_service_account_find(ps_store *store, const char *key_id, ps_service_account *out);
int ps_sqlite_service_account_list(ps_store *store, const char *project_id,
                                   ps_service_account **out, size_t *count);
int ps_sqlite_service_account_delete(ps_store *store, const char *key_id);

/* sqlite_playtime.c: playtime rollups of metrics sessions. */
extern const char ps_sqlite_playtime_schema[];
int ps_sqlite_playtime_settled(ps_store *store, int64_t game_id, int64_t *settled_ms);
int ps_sqlite_playtime_players(ps_store *store, int64_t game_id, const char *const *players,
                               size_t n, uint32_t *numbers, int assign);
int ps_sqlite_playtime_write(ps_store *store, int64_t game_id, const ps_playtime_row *rows,
                             size_t n, int64_t settled_ms);
int ps_sqlite_playtime_scan(ps_store *store, int64_t game_id, int64_t span_ms,
                            const char *platform, const char *portal, int64_t from_ms,
                            int64_t to_ms, int with_players, ps_playtime_visitor visit,
                            ps_playtime_mod_visitor visit_mod, void *ctx, int64_t *settled_ms);

/* sqlite_ga.c: analytics-event rollups. */
extern const char ps_sqlite_ga_schema[];
int ps_sqlite_ga_events_after(ps_store *store, int64_t game_id, int64_t after_id, size_t limit,
                              ps_ga_event_visitor visit, void *ctx);
int ps_sqlite_ga_rollup_mark(ps_store *store, int64_t game_id, int64_t *last_event_id);
int ps_sqlite_ga_user_get(ps_store *store, int64_t game_id, const char *user_id, ps_ga_user *out);
int ps_sqlite_ga_user_next_idx(ps_store *store, int64_t game_id, int64_t *idx);
int ps_sqlite_ga_rollup_apply(ps_store *store, int64_t game_id, const ps_ga_delta *delta);
int ps_sqlite_ga_chunks(ps_store *store, int64_t game_id, char kind, int dim, const char *value,
                        int64_t from_day, int64_t to_day, ps_ga_chunk_visitor visit, void *ctx);
int ps_sqlite_ga_aggs(ps_store *store, int64_t game_id, const char *kind, int dim,
                      const char *value, int64_t from_day, int64_t to_day,
                      ps_ga_agg_visitor visit, void *ctx);

#endif
