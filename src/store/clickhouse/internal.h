/*
 * internal.h: what the files of the ClickHouse event store share. Nothing outside
 * src/store/clickhouse/ includes it.
 *
 *   clickhouse://HOST:PORT[,HOST:PORT...]/DATABASE[?cluster=NAME&user=U&password_file=F&spool=DIR]
 *
 * HOST:PORT is ClickHouse's HTTP interface. With cluster=NAME (a cluster of the servers'
 * remote_servers), every HOST:PORT listed is one shard's server: the store creates its local
 * tables (NAME_local) on each and a Distributed table NAME over them on each, and queries and
 * inserts through the first one. Without it, the one server holds plain MergeTree tables.
 *
 * The tables (schema.c creates and upgrades them; docs/design.md explains the choice):
 *
 *   events      analytics events. ReplacingMergeTree(keep) ORDER BY (game_id, date, category,
 *               dedup_key), PARTITION BY toYYYYMM(date), sharded by cityHash64(game_id, user_id).
 *     game_id Int64, date Date (UTC day of `day`), category String,
 *     dedup_key String (the event_uuid as received; an event without one gets a random key when
 *                       it is spooled, so that it is new once and shipping it twice stores it once),
 *     user_id String, session_id String, client_ts Int64, has_client_ts UInt8,
 *     received_ms Int64, body String,
 *     folds UInt8, day Int32, platform String, build String, os_version String,
 *     custom_01 String, custom_02 String, custom_03 String, has_agg UInt8, agg_key String,
 *     agg_value Float64   -- the digest of store/ga_digest.h: folds = 0 means the SQLite
 *                            rollups skip the event; a dimension that is absent is ''.
 *     keep UInt64  -- higher for earlier arrival (rows.c): of two copies of one uuid, FINAL keeps
 *                     the first one received, as the SQLite store keeps the first.
 *     country String  -- (schema 4) ISO code of the request's client address, '' unknown; the
 *                     event dimension `country` (every event's, folded or not)
 *
 *   rejected    rejected events. ReplacingMergeTree ORDER BY (game_id, received_ms, rid).
 *     game_id Int64, date Date, rid String (random, made when spooled), received_ms Int64,
 *     event_index Int32, category String, has_category UInt8, body String, errors String
 *
 *   msession_requests  accepted metrics-session requests, one row each.
 *               ReplacingMergeTree ORDER BY (game_id, session_id, nonce), sharded by
 *               cityHash64(game_id, player). A session is the GROUP BY (game_id, session_id) of
 *               its requests (start: kind 0, heartbeat: 1, end: 2).
 *     game_id Int64, date Date (of ts_ms), session_id String, nonce String, kind UInt8,
 *     player String, platform String, portal String, mod_ids String ("1,2,3"; start only),
 *     ts_ms Int64 (the client's session_ts), order_id Int64, received_ms Int64
 *
 *   so_events   multiplayer session events (anonymised). ReplacingMergeTree(keep) ORDER BY
 *               (project_id, environment_id, session_id, event_key), sharded by
 *               cityHash64(project_id, environment_id, session_id).
 *     project_id String, environment_id String, session_id String, event_key String,
 *     type String, ts_ms Int64, received_ms Int64, date Date (of ts_ms), body String,
 *     pool_id String, pool_name String, queue_id String, queue_name String, region_id String,
 *     has_pool UInt8 (match.created gave a game mode), backfill UInt8,
 *     player_hashes Array(String), player_numbers Array(Int64), ticket_ids Array(String),
 *     keep UInt64  -- 2^62 - seq, seq = the appending process's wall clock in microseconds when
 *                     the record was spooled, strictly increasing (rows.c): the arrival order
 *                     (SQLite's row id) that so_sessions.c needs for events of equal ts_ms and
 *                     for the paging sequence (key_seq); ReplacingMergeTree(keep), so that of
 *                     two copies of one event_key (a resend) the first stored stays.
 *
 *   user_days   (schema 2) one row per user, day and dimension values with a folded event:
 *               ReplacingMergeTree ORDER BY all its columns, filled by the materialized view
 *               user_days_mv on each (local) events table at every insert; sharded like events.
 *     game_id Int64, date Date, day Int32, user_id String, platform String, build String,
 *     os_version String, custom_01 String, custom_02 String, custom_03 String,
 *     country String (schema 4)
 *
 *   user_firsts (schema 3) one row per user, day and dimension values with a folded `user`
 *               event and the highest keep of those in one insert (user_firsts_mv on each
 *               events table): the first days of new_users and retention; sharded like events.
 *     the columns of user_days but country, keep UInt64, country String (schema 4)
 *
 * Every read deduplicates with FINAL (or GROUP BY the sorting key): rows of a record shipped
 * twice are equal, and FINAL keeps one per key whether or not the parts were merged yet. The
 * analytics-event metrics read events without FINAL (single-threaded on 18.16) and take only
 * what copies cannot change, or GROUP BY the sorting key where they sum (ga_sql.h).
 *
 * Files, one concept each:
 *   client.c     the HTTP interface, SQL literals, TabSeparated answers
 *   url.c        the store URL
 *   schema.c     the tables, created and upgraded on every server
 *   rows.c       records as TabSeparated rows of the tables above
 *   spool.c      the node's durable local spool and its shipping to ClickHouse
 *   events.c     the ps_event_store_ops table: open, append, maintain, dispatch
 *   scan.c       scans (export, the CLI): ranged, paged, deduplicated
 *   latest_events.c  a game's newest events (the live feed)
 *   forget.c     deleting a player, journalled so that maintain() finishes and repeats it
 *   retention.c  dropping raw rows past retention (partitions, then the boundary)
 *   ga_metrics.c       metrics of analytics events (PS_SOURCE_EVENTS) in SQL; ga_families.c
 *                      the six families; ga_sql.c what their SQL shares (scope, WHERE, dedup)
 *   playtime_metrics.c metrics of metrics sessions (PS_SOURCE_PLAYTIME) and live() in SQL
 *   so_sessions.c      session observability: get, list, expire; match_metrics.c its metrics
 */
#ifndef PS_STORE_CLICKHOUSE_INTERNAL_H
#define PS_STORE_CLICKHOUSE_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/clickhouse/client.h"
#include "store/events.h"

#define PS_CH_MAX_SHARDS 16

typedef struct ps_ch_spool ps_ch_spool;

/* What the store URL says (url.c). */
typedef struct ps_ch_config {
  ps_ch_server servers[PS_CH_MAX_SHARDS]; /* [0]: the one queried and inserted through */
  size_t nservers;
  char database[64];
  char cluster[64]; /* "" without a cluster */
  char spool_dir[4096];
  int64_t spool_max_bytes; /* spool_max_mb=N (default 1024 MiB) */
} ps_ch_config;

/* Parses url (what follows "clickhouse:", "//" included or not). PS_EINVAL with *why (a
 * static string) when it is malformed; reads password_file. */
int ps_ch_config_parse(const char *url, ps_ch_config *out, const char **why);

/* The event store's handle. */
typedef struct ch_store {
  ps_event_store base;
  ps_ch_config config;
  int64_t rejected_keep;
  int64_t msession_timeout_ms, msession_window_ms;
  pthread_mutex_t spool_lock; /* guards opening the spool */
  ps_ch_spool *spool;         /* opened on the first append() or maintain() */
  int64_t last_trim_ms;       /* maintain(): when the rejected events were last trimmed */
  int ship_failing;           /* maintain(): the last shipping failed (close does not retry) */
} ch_store;

/* The table to read and insert: "db.events" (the Distributed one on a cluster). */
void ps_ch_table(const ch_store *s, const char *name, char *out, size_t cap);
/* The table each server holds itself: "db.events_local" on a cluster, else "db.events". A
 * subquery naming it inside a query of the Distributed table runs on each shard over that
 * shard's rows (a record's copies are on one shard). */
void ps_ch_local_table(const ch_store *s, const char *name, char *out, size_t cap);

/* Runs sql on the queried server; answer as in ps_ch_exec. Logs ClickHouse's error (never
 * the password) and returns PS_EIO on failure. */
int ps_ch_query(ch_store *s, const char *sql, ps_buf *answer);
/* The same on one given server of the store (DDL and mutations run on each). */
int ps_ch_query_on(ch_store *s, const ps_ch_server *server, const char *sql, ps_buf *answer);

/* Ships what this process spooled and has not shipped yet (nothing when it spooled nothing),
 * so that a read that must see every record appended before it (scan) does. */
void ps_ch_ship_own(ch_store *s);

/* ---- schema.c ---- */
int ps_ch_schema_ensure(ch_store *s);
/* Deletes the rows of table (a name of internal.h) matching where (SQL), on every shard: an
 * ALTER TABLE ... DELETE mutation of the local tables, which ClickHouse applies in the
 * background (the rows stop being read once it has). */
int ps_ch_delete_where(ch_store *s, const char *table, const char *where);
/* Waits until every server has applied every mutation of table (a name of internal.h);
 * PS_EIO when one is still running after two minutes. */
int ps_ch_wait_mutations(ch_store *s, const char *table);
/* The same on one server. */
int ps_ch_wait_mutations_on(ch_store *s, const ps_ch_server *server, const char *table);
/* ps_ch_delete_where, then ps_ch_wait_mutations: once it returns 0 no read sees the rows. */
int ps_ch_delete_where_wait(ch_store *s, const char *table, const char *where);

/* ---- rows.c: records as rows of the tables (appended to the table's buffer) ---- */
typedef enum { PS_CH_EVENTS, PS_CH_REJECTED, PS_CH_MSESSIONS, PS_CH_SO_EVENTS, PS_CH_NTABLES } ps_ch_table_id;
extern const char *const ps_ch_table_names[PS_CH_NTABLES];
int ps_ch_row_of_record(const ps_record *r, ps_buf rows[PS_CH_NTABLES]);

/* ---- spool.c ---- */
/* Opens (creating, recovering a torn tail) the spool of dir, locked for this process. */
int ps_ch_spool_open(const char *dir, int64_t max_bytes, ps_ch_spool **out);
void ps_ch_spool_close(ps_ch_spool *sp);
/* Appends the rows of one group commit and fdatasyncs: 0 means durable. PS_EFULL when the
 * spool holds max_bytes not yet shipped (the writer answers 503). */
int ps_ch_spool_append(ps_ch_spool *sp, ps_buf rows[PS_CH_NTABLES]);
/* Ships everything appended before the call into the store's tables, in blocks; 0 when all
 * of it is in ClickHouse (then it is dropped from the spool). */
int ps_ch_spool_ship(ps_ch_spool *sp, ch_store *s);
/* Bytes appended and not yet shipped. */
int64_t ps_ch_spool_pending(ps_ch_spool *sp);
/* 1 when another process (or another handle) holds the spool of dir, which then ships it. */
int ps_ch_spool_held_elsewhere(const char *dir);
/* fsyncs the directory dir (a file created or renamed in it is then durable). */
int ps_ch_sync_dir(const char *dir);
/* The spool of s, opened on first use (PS_EIO with a log line when it cannot be). */
int ps_ch_spool_of(ch_store *s, ps_ch_spool **out);

/* ---- the metric answers and searches (one file each) ---- */
int ps_ch_ga_metric(ch_store *s, const ps_metric_query *q, ps_metric_result *out);
int ps_ch_playtime_metric(ch_store *s, const ps_metric_query *q, ps_metric_result *out);
int ps_ch_playtime_live(ch_store *s, int64_t game_id, int64_t now_ms, ps_live *out);
int ps_ch_match_metric(ch_store *s, const ps_metric_query *q, ps_metric_result *out);
int ps_ch_so_session_get(ch_store *s, const ps_so_key *key, ps_so_session *out,
                         ps_so_event_visitor visit, void *ctx);
int ps_ch_so_session_list(ch_store *s, const ps_so_query *q, ps_so_session **out, size_t *count,
                          int64_t *snapshot_seq);
int ps_ch_so_expire(ch_store *s, int64_t before_ms, int64_t *deleted);

/* ---- the data lifecycle (events.h): scan.c, forget.c, retention.c ---- */
int ps_ch_scan(ch_store *s, const ps_scan_query *q, ps_scan_visitor visit, void *ctx);
/* latest_events.c: events.h latest(). */
int ps_ch_latest_events(ps_event_store *base, int64_t game_id, size_t limit,
                        ps_scan_visitor visit, void *ctx);
int ps_ch_forget_player(ch_store *s, int64_t game_id, const char *user_id,
                        ps_forget_report *out);
/* Redoes every journalled deletion that is due at now_ms (maintain()); see forget.c. */
int ps_ch_forget_resume(ch_store *s, int64_t now_ms);
int ps_ch_drop_raw_before(ch_store *s, ps_raw_kind kind, int64_t before_ms, int64_t *dropped);

#endif
