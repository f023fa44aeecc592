/*
 * internal.h: what the files of the SQLite backend share. Nothing outside src/store/sqlite/
 * includes it.
 *
 * Both stores live in one database file, DIR/playstat.db (WAL), in tables of their own: the
 * state store (state.c) opens one connection, used under its lock; the event store (events.c)
 * opens a writer connection (append() only: the ingest writer thread), a shared connection for
 * its upkeep and lookups (under shared_lock), and the read-only readers (readers.c) that the
 * metric answers take. db.c holds the schema, its migrations and the statement helpers.
 *
 * Files, one concept each:
 *   db.c                connections, schema versions and upgrades, statement helpers
 *   state.c             the state store: handle, apply(), metrics-session and anonymity state
 *   games.c             games and read-API tokens;  accounts.c  service accounts
 *   export_log.c        what the raw exports wrote (the export log)
 *   events.c            the event store: handle, append(), metric(), live(), scan(), maintain()
 *   event_log.c         analytics events and rejected events;  latest_events.c  the newest
 *                       of a game (the live feed)
 *   country.c           the country columns' upgrade (schema 10)
 *   playtime_sessions.c metrics sessions as intervals, and their per-minute rollups' tables
 *   playtime_tables.c   the hourly and daily playtime rollups' tables
 *   ga_tables.c         the analytics-event rollups' tables;  so_sessions.c  multiplayer sessions
 *   ga_facts.c          what the rollups need of one analytics event, made when it is appended
 *   readers.c           the read-only connections
 *   checkpointer.c      the thread that checkpoints the WAL off the writer's commits
 *   playtime_lifecycle.c deleting a player's metrics sessions and their part of the rollups,
 *                       retention of settled sessions (lifecycle.h); so_scan.c  multiplayer
 *                       session events by arrival; event_lifecycle.c the analytics events'
 *                       part and the deletion journal
 *   and the algorithms behind the answers: ga_rollup.c, ga_query.c, ga_family.c (analytics
 *   events), rollup.c, playtime_rollup.c, session_query.c, session_set.c, session_metrics.c
 *   (metrics sessions),
 *   match_metrics.c (multiplayer sessions).
 */
#ifndef PS_STORE_SQLITE_INTERNAL_H
#define PS_STORE_SQLITE_INTERNAL_H

#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/events.h"
#include "store/ga_digest.h"
#include "store/state.h"
#include "store/store.h"

typedef struct ps_sqlite_sessions ps_sqlite_sessions;
typedef struct ps_sqlite_readers ps_sqlite_readers;
typedef struct ps_sqlite_checkpointer ps_sqlite_checkpointer;

/* The statements of the state's apply() on one connection, prepared on first use. */
typedef struct ps_sqlite_apply_statements {
  sqlite3_stmt *start, *advance, *nonce, *salt, *player;
} ps_sqlite_apply_statements;

/* The event store's handle. */
typedef struct sqlite_store {
  ps_event_store base;
  sqlite3 *writer; /* append() only: the ingest writer thread */
  sqlite3 *shared; /* upkeep and lookups, any thread, under shared_lock */
  pthread_mutex_t shared_lock;
  /* Held by an event-rollup pass and by a day's rebuild from their first read to their write
   * (ga_rollup.c), so the mark never moves under them within the process. */
  pthread_mutex_t rollup_lock;
  pthread_mutex_t forget_lock; /* event_lifecycle.c: one player deletion at a time */
  int forget_checkpoint_due;   /* event_lifecycle.c: a deletion's log truncation is owed */
  sqlite3_stmt *insert_event, *insert_rejected, *trim_rejected, *list_game; /* writer */
  sqlite3_stmt *ga_user_get; /* shared, prepared on first use (ga_tables.c) */
  sqlite3_stmt *msession_start, *msession_advance;
  int64_t rejected_keep;
  int64_t msession_timeout_ms, msession_window_ms;
  int64_t last_playtime_rollup_ms; /* maintain(): when the per-minute rollups last advanced */
  ps_sqlite_sessions *sessions; /* so_sessions.c's statements */
  ps_sqlite_readers *readers;   /* readers.c: read-only connections for metric answers */
  ps_sqlite_checkpointer *checkpointer; /* checkpointer.c: the WAL's checkpoints */
  ps_sqlite_apply_statements apply;     /* the state's apply() on the writer (group commit) */
  int wal_fd;          /* wal_sync.c: the write-ahead log, flushed by ps_sqlite_sync */
  char wal_path[4100]; /* DIR/playstat.db-wal */
} sqlite_store;

/* The state store's handle. */
typedef struct sqlite_state {
  ps_state_store base;
  sqlite3 *db;
  pthread_mutex_t lock;
  ps_sqlite_apply_statements apply;
} sqlite_state;

/* For tools that time the SQLite backend's own parts (bench/): opens the stores of url (any
 * form ps_stores_open takes) and sets *events to the event store's handle. PS_EINVAL when url
 * names another backend (nothing stays open); else what ps_stores_open returns, with the
 * reason printed on stderr after the tool's name. */
int ps_sqlite_stores_open(const char *tool, const char *url, ps_stores *out, sqlite_store **events);

/* ---- wal_sync.c ---- */

/* The writer commits with synchronous=NORMAL and the write-ahead log is flushed by
 * ps_sqlite_sync (wal_sync.c says why and what it guarantees). init names the log of the
 * database at db_path; close closes its descriptor. */
int ps_sqlite_wal_sync_init(sqlite_store *s, const char *db_path);
void ps_sqlite_wal_sync_close(sqlite_store *s);
/* Returns 0 once every transaction the writer committed before the call is durable; PS_EIO. */
int ps_sqlite_sync(ps_stores *stores);

/* ---- db.c ---- */

/* Pages of write-ahead log (about 4 MB) after which it is checkpointed. */
#define WAL_CHECKPOINT_PAGES 1000

/* Opens a read-write connection to path (WAL, synchronous=FULL, the busy timeout, a bounded
 * write-ahead log) and brings the schema to the current version. PS_OK or PS_EIO /
 * PS_EUNSUPPORTED (a newer schema), logged. */
int ps_sqlite_connect(const char *path, sqlite3 **out);
/* DIR/playstat.db into path (cap bytes), creating DIR if needed: PS_OK, PS_EINVAL, PS_EIO. */
int ps_sqlite_path(const char *dir, char *path, size_t cap);
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
/* Ends the transaction open on db by setting a game's mark (mark_sql: an upsert taking the
 * game id and the mark as ?1 and ?2) and committing; rolls back if either fails. PS_OK or
 * PS_EIO. */
int ps_sqlite_commit_with_mark(sqlite3 *db, const char *mark_sql, int64_t game_id, int64_t mark);
/* The one integer sql answers with game_id bound as ?1, on db: PS_ENOTFOUND when no row or
 * NULL. */
int ps_sqlite_query_int64(sqlite3 *db, const char *sql, int64_t game_id, int64_t *out);
/* 1 when table (a name of ours, not quoted) has column, else 0 (also when it cannot tell). */
int ps_sqlite_column_exists(sqlite3 *db, const char *table, const char *column);

/* The schema of each file (idempotent statements, run by the migration in db.c). */
extern const char ps_sqlite_state_schema[], ps_sqlite_accounts_schema[],
    ps_sqlite_event_log_schema[], ps_sqlite_playtime_schema[], ps_sqlite_playtime_rollup_schema[],
    ps_sqlite_sessions_schema[], ps_sqlite_ga_schema[], ps_sqlite_export_log_schema[],
    ps_sqlite_lifecycle_schema[];

/* ---- state.c / events.c: one group commit in one transaction ---- */

/* Applies the protocol state of the records whose kind is in kinds (state.h apply) on db,
 * inside a transaction the caller holds: the state store's own connection, or the event
 * store's writer when a group commit takes both stores in one transaction. */
int ps_sqlite_state_apply_on(sqlite3 *db, ps_sqlite_apply_statements *q,
                             const ps_record_span *spans, size_t nspans, unsigned kinds);
void ps_sqlite_apply_statements_free(ps_sqlite_apply_statements *q);
/* The backend's group commit (store.h ps_stores_commit): both stores share one database, so
 * the state and the records of a group commit go in one transaction on the event store's
 * writer, with one fsync; all of it is stored or none. */
int ps_sqlite_commit(ps_stores *stores, ps_record_span *spans, size_t nspans);

/* ---- checkpointer.c: start (after the writer is open: PS_OK, or an error with what is
 * open left for stop) and stop the thread that checkpoints the WAL off the writer's commits. */
int ps_sqlite_checkpointer_start(sqlite_store *s, const char *path);
void ps_sqlite_checkpointer_stop(sqlite_store *s);

/* ---- readers.c: opens (PS_OK, or an error with what is open left for close) and closes the
 * read-only connections; acquire waits for a free one, release gives it back. ---- */
int ps_sqlite_readers_open(sqlite_store *s, const char *path);
void ps_sqlite_readers_close(sqlite_store *s);
sqlite3 *ps_sqlite_reader_acquire(sqlite_store *s);
void ps_sqlite_reader_release(sqlite_store *s, sqlite3 *db);

/* ---- state.c / games.c / accounts.c: the state store's calls ---- */
int ps_sqlite_game_create(ps_state_store *store, ps_game *game);
int ps_sqlite_game_list(ps_state_store *store, ps_game **games, size_t *count);
int ps_sqlite_game_find(ps_state_store *store, const char *game_key, int64_t id, ps_game *out);
int ps_sqlite_api_token_create(ps_state_store *store, const char *hash, const char *name,
                               const char *role);
int ps_sqlite_api_token_check(ps_state_store *store, const char *hash, char role[PS_ROLE_MAX]);
int ps_sqlite_service_account_create(ps_state_store *store, const ps_service_account *account);
int ps_sqlite_service_account_find(ps_state_store *store, const char *key_id,
                                   ps_service_account *out);
int ps_sqlite_service_account_list(ps_state_store *store, const char *project_id,
                                   ps_service_account **out, size_t *count);
int ps_sqlite_service_account_delete(ps_state_store *store, const char *key_id);
/* export_log.c */
int ps_sqlite_export_record(ps_state_store *store, const ps_export_object *object);
int ps_sqlite_export_find(ps_state_store *store, const char *target, int64_t game_id,
                          const char *kind, const char *format, int64_t period_start_ms,
                          ps_export_object *out);

/* ---- event_log.c: analytics events and rejected events (writer statements prepared on
 * open, finalized by the handle's close) ---- */
int ps_sqlite_event_log_prepare(sqlite_store *s);
int ps_sqlite_event_log_append(sqlite_store *s, ps_record *r);
/* Trims the rejected events of game_id to the newest rejected_keep. */
int ps_sqlite_rejected_trim(sqlite_store *s, int64_t game_id);
int ps_sqlite_event_log_scan(sqlite_store *s, const ps_scan_query *q, ps_scan_visitor visit,
                             void *ctx);
/* Steps st to its end, visiting each row as a stored event of game_id; st's columns are
 * received_ms, category, body, event_index, errors, country (NULL where a table has none). */
int ps_sqlite_visit_event_rows(sqlite3_stmt *st, int64_t game_id, ps_scan_visitor visit,
                               void *ctx);
/* latest_events.c: events.h latest(). */
int ps_sqlite_latest_events(ps_event_store *base, int64_t game_id, size_t limit,
                            ps_scan_visitor visit, void *ctx);
/* The data move of schema version 8 on db, inside the migration's transaction: the digest's
 * columns (ALTER TABLE, those the table lacks) and, for every stored event, its digest made
 * from its body (one parse each). PS_OK, PS_ENOMEM or PS_EIO (logged). */
int ps_sqlite_event_log_upgrade_to_8(sqlite3 *db);
/* country.c: events.country and ga_users.dim7 where missing (schema 10). */
int ps_sqlite_country_upgrade_to_10(sqlite3 *db);

/* ---- playtime_sessions.c: metrics sessions (intervals) and their per-minute rollups ---- */

/* One minute of rollups for one (platform, portal); either may be PS_ROLLUP_ANY (all). */
#define PS_ROLLUP_ANY "*"
typedef struct ps_rollup_row {
  char platform[16];
  char portal[16];
  int64_t minute_ms;
  int64_t ccu; /* peak distinct players in a session within the minute */
  int64_t ugc; /* peak distinct mod ids in sessions within the minute */
} ps_rollup_row;
typedef int (*ps_rollup_visitor)(const ps_rollup_row *row, void *ctx);
typedef int (*ps_playtime_visitor)(const ps_playtime_session *session, void *ctx);

int ps_sqlite_playtime_prepare(sqlite_store *s);
/* Applies one metrics-session request to its session's interval (idempotent). */
int ps_sqlite_playtime_append(sqlite_store *s, const ps_record *r);
/* Visits the sessions of one game that started before to_ms and either have a session_ts at
 * or after from_ms, or have not ended and received a request at or after open_since_ms (server
 * time: the ones that may still be running). Oldest start first. */
int ps_sqlite_msessions_range(sqlite_store *s, int64_t game_id, int64_t from_ms, int64_t to_ms,
                              int64_t open_since_ms, ps_playtime_visitor visit, void *ctx);
/* The sessions q names (game, and the range of events.h's ps_scan_query), oldest start first. */
int ps_sqlite_msessions_scan(sqlite_store *s, const ps_scan_query *q, ps_playtime_visitor visit,
                             void *ctx);
/* The sessions of one player of a game (msessions_by_player), oldest start first, read on db
 * (a player deletion reads them in its own write transaction). */
int ps_sqlite_msessions_of_player_on(sqlite3 *db, int64_t game_id, const char *player,
                                     ps_playtime_visitor visit, void *ctx);
/* The earliest session start of the game; PS_ENOTFOUND when it has no session. */
int ps_sqlite_msessions_first_start(sqlite_store *s, int64_t game_id, int64_t *out_ms);
/* settled_ms: the rollups of the game cover every minute before it; PS_ENOTFOUND when none
 * was ever written. */
int ps_sqlite_rollup_settled(sqlite_store *s, int64_t game_id, int64_t *settled_ms);
/* Stores rows (minutes in [old settled, settled_ms)) and moves settled to settled_ms, in one
 * transaction, if the game's deletion epoch is still epoch (read before the rows' sessions
 * were loaded), else PS_EEXPIRED and nothing is written. */
int ps_sqlite_rollup_write(sqlite_store *s, int64_t game_id, const ps_rollup_row *rows,
                           size_t n, int64_t settled_ms, int64_t epoch);
/* On db, in the caller's transaction: the game's minute rows in [from_ms, to_ms) become rows. */
int ps_sqlite_rollup_replace_on(sqlite3 *db, int64_t game_id, const ps_rollup_row *rows,
                                size_t n, int64_t from_ms, int64_t to_ms);
/* Visits the rows of one game with minute_ms in [from_ms, to_ms) whose platform and portal
 * equal the ones given; NULL matches any value except PS_ROLLUP_ANY. In minute order within
 * one (platform, portal). */
int ps_sqlite_rollup_scan(sqlite_store *s, int64_t game_id, const char *platform,
                          const char *portal, int64_t from_ms, int64_t to_ms,
                          ps_rollup_visitor visit, void *ctx);
/* ---- playtime_tables.c: the hourly and daily playtime rollups (playtime_rollup.h) ---- */

/* One hour or one day of one (platform, portal) (either may be PS_ROLLUP_ANY: all), covering
 * [t_ms, t_ms + span_ms) or, for the day holding the settled mark, [t_ms, settled). */
typedef struct ps_playtime_row {
  int64_t span_ms; /* 3600000 (hour) or 86400000 (day) */
  char platform[16];
  char portal[16];
  int64_t t_ms;
  int64_t started, started_mods; /* sessions started in it; their mods added up */
  int64_t ended, ended_ms;       /* sessions over whose end is in it; their lengths (ms) */
  int64_t lengths[5];            /* the ended ones by session_length_histogram group */
  int64_t ccu, ugc;              /* peaks within it */
  const void *players;           /* portable roaring bitmap of the player numbers present */
  size_t players_len;
  const int64_t *mods; /* nmods (mod id, playtime ms within it) pairs, written only */
  size_t nmods;
} ps_playtime_row;
typedef int (*ps_playtime_row_visitor)(const ps_playtime_row *row, void *ctx);
typedef int (*ps_playtime_mod_visitor)(const char *platform, const char *portal, int64_t t_ms,
                                       int64_t mod_id, int64_t ms, void *ctx);

/* playtime_settled: they cover every hour before it; PS_ENOTFOUND when never written.
 * playtime_players: the dense number of each of n players of the game into numbers, with
 * assign numbering the unknown ones (one transaction), else UINT32_MAX for them.
 * playtime_write: rows (and their mods) replace the stored ones of the same keys, and the
 * settled mark moves to settled_ms, in one transaction.
 * playtime_scan: in one read transaction, *settled_ms (INT64_MIN when never written) and the
 * rows of span_ms with t_ms in [from_ms, to_ms) whose platform and portal equal the ones
 * given (NULL: any value, PS_ROLLUP_ANY included; their player sets only with_players, else
 * players_len is 0), then, when visit_mod is not NULL, their mods.
 * playtime_write checks the deletion epoch as rollup_write does (PS_EEXPIRED). */
int ps_sqlite_playtime_settled(sqlite_store *s, int64_t game_id, int64_t *settled_ms);
int ps_sqlite_playtime_players(sqlite_store *s, int64_t game_id, const char *const *players,
                               size_t n, uint32_t *numbers, int assign);
int ps_sqlite_playtime_write(sqlite_store *s, int64_t game_id, const ps_playtime_row *rows,
                             size_t n, int64_t settled_ms, int64_t epoch);
int ps_sqlite_playtime_scan(sqlite_store *s, int64_t game_id, int64_t span_ms,
                            const char *platform, const char *portal, int64_t from_ms,
                            int64_t to_ms, int with_players, ps_playtime_row_visitor visit,
                            ps_playtime_mod_visitor visit_mod, void *ctx, int64_t *settled_ms);

/* ---- playtime_tables.c: what player deletions (playtime_lifecycle.c) need of the tables ----
 * epoch: the game's deletion epoch (0 before any), bumped by each deletion in the transaction
 * that deletes the sessions; epoch_check on db: PS_OK when it is still epoch, else PS_EEXPIRED.
 * settled_on: ps_sqlite_playtime_settled on db. player_forget_on: the player's number stays
 * reserved, without the id (playtime_tables.c). replace_on, in the caller's transaction: the
 * hour rows of [day_ms, to_ms) and the day row of day_ms (with their mods) become rows.
 * rollup_rows_drop, in the caller's transaction: deletes the rows of a rollup table (table,
 * its time column t_column: msession_minutes / minute_ms, playtime_rollups or playtime_mods /
 * t_ms) of the game (and span_ms when >= 0) with time in [from_ms, to_ms), one primary-key
 * range per (platform, portal) present (found by one index seek each), whatever the table's
 * size. */
int ps_sqlite_playtime_epoch(sqlite_store *s, int64_t game_id, int64_t *epoch);
int ps_sqlite_playtime_epoch_on(sqlite3 *db, int64_t game_id, int64_t *epoch);
int ps_sqlite_playtime_epoch_check(sqlite3 *db, int64_t game_id, int64_t epoch);
int ps_sqlite_playtime_settled_on(sqlite3 *db, int64_t game_id, int64_t *settled_ms);
int ps_sqlite_playtime_player_forget_on(sqlite3 *db, int64_t game_id, const char *player);
int ps_sqlite_playtime_replace_on(sqlite3 *db, int64_t game_id, const ps_playtime_row *rows,
                                  size_t n, int64_t day_ms, int64_t to_ms);
/* A rollup pass's write (rollup_write, playtime_write): put(db, game_id, rows, n) and the mark
 * (mark_sql as for ps_sqlite_commit_with_mark) in one transaction on the shared connection,
 * if the epoch is still epoch, else PS_EEXPIRED and nothing written. */
typedef int (*ps_rows_writer)(sqlite3 *db, int64_t game_id, const void *rows, size_t n);
int ps_sqlite_rollup_pass_write(sqlite_store *s, int64_t game_id, int64_t epoch,
                                ps_rows_writer put, const void *rows, size_t n,
                                const char *mark_sql, int64_t mark);
int ps_sqlite_rollup_rows_drop(sqlite3 *db, const char *table, const char *t_column,
                               int64_t game_id, int64_t span_ms, int64_t from_ms, int64_t to_ms);

/* ---- playtime_lifecycle.c (besides lifecycle.h) ----
 * Computes again, without the players deleted since, the rollup days a player deletion left
 * to do (all of them, or an error); the rollup upkeep calls it first (a crash cut one short). */
int ps_sqlite_playtime_recompute_pending(sqlite_store *s, int64_t game_id);

/* The games the event store has records of (malloc'd ids, caller frees). */
int ps_sqlite_event_games(sqlite_store *s, int64_t **ids, size_t *count);

/* ---- so_sessions.c: multiplayer sessions ---- */
int ps_sqlite_sessions_open(sqlite_store *s);
void ps_sqlite_sessions_close(sqlite_store *s);
int ps_sqlite_sessions_write(sqlite_store *s, const ps_record *r, int *duplicate);
int ps_sqlite_so_session_get(ps_event_store *store, const ps_so_key *key, ps_so_session *out,
                             ps_so_event_visitor visit, void *ctx);
int ps_sqlite_so_session_list(ps_event_store *store, const ps_so_query *q, ps_so_session **out,
                              size_t *count, int64_t *snapshot_seq);
/* Visits the summaries of a project's sessions created in [from_ms, to_ms). */
int ps_sqlite_so_sessions_range(sqlite_store *s, const char *project_id, int64_t from_ms,
                                int64_t to_ms, int (*visit)(const ps_so_session *session, void *ctx),
                                void *ctx);
int ps_sqlite_so_expire(ps_event_store *store, int64_t before_ms, int64_t *deleted);

/* ---- ga_tables.c: analytics-event rollups' tables (ga_rollup.h says what they mean) ---- */

#define PS_GA_CHUNK_BITS 32768 /* users per bitmap chunk */
#define PS_GA_CHUNK_BYTES (PS_GA_CHUNK_BITS / 8)

/* A user as the rollups know it: a dense number per game and the first day (UTC day number)
 * of its first `user` event (-1 when none yet), with that event's dimension values. */
typedef struct ps_ga_user {
  char user_id[129];
  int64_t idx;
  int64_t first_day;
  char first_dims[PS_GA_DIMS][65]; /* [0] unused */
} ps_ga_user;

/* Set and clear these bits in one chunk of one bitmap (kind 'a' active, 'p' paying, 'n' new). */
typedef struct ps_ga_chunk_edit {
  char kind;
  int dim;
  char value[65];
  int64_t day, chunk;
  unsigned char set[PS_GA_CHUNK_BYTES], clear[PS_GA_CHUNK_BYTES];
} ps_ga_chunk_edit;

/* Add n and sum to one aggregate, and fold min and max in (kind e.g. "sessions", "length",
 * "revenue", "design"; key e.g. a currency or an event id, "" when none). */
typedef struct ps_ga_agg_add {
  char kind[16];
  int dim;
  char value[65];
  int64_t day;
  char key[129];
  int64_t n;
  double sum, min, max;
} ps_ga_agg_add;

/* What one pass of the rollups changes, applied in one transaction with its watermark. */
typedef struct ps_ga_delta {
  const ps_ga_user *users; /* new or changed users */
  size_t nusers;
  const ps_ga_chunk_edit *const *chunks; /* pointers: an edit is 8 KiB */
  size_t nchunks;
  const ps_ga_agg_add *const *aggs;
  size_t naggs;
  const struct ps_funnel_times *funnel_times; /* the funnels' rollup (ga_funnel_times.h) */
  const struct ps_ltv_delta *ltv;             /* the LTV rollup (ga_ltv_rollup.h) */
  int64_t last_event_id; /* the events up to this id are rolled up */
  int64_t first_event_id; /* the mark the pass started from: applied only while it still is */
} ps_ga_delta;

/* One stored event as the rollups read it: its row id, category and user, and the digest kept
 * in its row (event_log.c, ga_facts.h). Strings are the row's, valid during the visit only. */
typedef struct ps_ga_stored_event {
  int64_t id;
  const char *category, *user_id;
  int folds;   /* 0: the rollups skip it (and nothing below is set) */
  int64_t day;
  const char *dims[PS_GA_DIMS]; /* [1..7]; NULL when absent; [0] unused */
  const char *agg_key;          /* NULL: no aggregate but its category's counts */
  double agg_value;
  /* for the funnels (set with day) */
  int64_t time_s;   /* the event's time as store/funnel.h reads it */
  const char *item; /* business: the event_id of the body (text only), else NULL */
} ps_ga_stored_event;

typedef int (*ps_ga_event_visitor)(const ps_ga_stored_event *event, void *ctx);
/* A ga_bits row: blob (len bytes) is the chunk in its row form (ga_chunk_codec.h). */
typedef int (*ps_ga_chunk_visitor)(const char *value, int64_t day, int64_t chunk,
                                   const unsigned char *blob, size_t len, void *ctx);
typedef int (*ps_ga_agg_visitor)(const char *value, int64_t day, const char *key, int64_t n,
                                 double sum, double min, double max, void *ctx);

/* ga_events_after: the stored events of a game with id > after_id, in id order, at most
 * limit. ga_rollup_mark: the last rolled-up event id (0 when none). ga_user_get: PS_ENOTFOUND
 * when unknown; ga_user_next_idx: the next dense number. ga_rollup_apply: one transaction.
 * ga_chunks / ga_aggs: rows of kind and dim with value (NULL: every value of the dim) and day
 * in [from_day, to_day). */
int ps_sqlite_ga_events_after(sqlite_store *s, int64_t game_id, int64_t after_id, size_t limit,
                              ps_ga_event_visitor visit, void *ctx);
int ps_sqlite_ga_rollup_mark(sqlite_store *s, int64_t game_id, int64_t *last_event_id);
int ps_sqlite_ga_user_get(sqlite_store *s, int64_t game_id, const char *user_id,
                          ps_ga_user *out);
int ps_sqlite_ga_user_next_idx(sqlite_store *s, int64_t game_id, int64_t *idx);
/* PS_EEXPIRED (nothing applied) when the mark is no longer delta->first_event_id. */
int ps_sqlite_ga_rollup_apply(sqlite_store *s, int64_t game_id, const ps_ga_delta *delta);
/* ga_days_replace: in one transaction, if the game's mark is still mark, the aggregates of
 * each of days (sorted) retention dropped no raw row of become those of aggs on that day
 * (every kind and dimension); *replaced: how many days. *outcome: one of these. */
enum { PS_GA_DAY_REPLACED, PS_GA_DAY_MARK_MOVED };
int ps_sqlite_ga_days_replace(sqlite_store *s, int64_t game_id, const int64_t *days,
                              size_t ndays, const ps_ga_agg_add *const *aggs, size_t naggs,
                              int64_t mark, int *outcome, size_t *replaced);
/* ga_user_forget: clears the user's bit in every bitmap of the game (a few hundred rows per
 * transaction), takes its events out of the funnels' rollup, then takes its amounts out of the
 * LTV rollup and renames its row to a tombstone that keeps the number taken (one transaction,
 * under the store's rollup_lock). *found: the user was known. Idempotent. */
int ps_sqlite_ga_user_forget(sqlite_store *s, int64_t game_id, const char *user_id, int *found);
int ps_sqlite_ga_chunks(sqlite_store *s, int64_t game_id, char kind, int dim, const char *value,
                        int64_t from_day, int64_t to_day, ps_ga_chunk_visitor visit, void *ctx);
int ps_sqlite_ga_aggs(sqlite_store *s, int64_t game_id, const char *kind, int dim,
                      const char *value, int64_t from_day, int64_t to_day,
                      ps_ga_agg_visitor visit, void *ctx);

#endif
