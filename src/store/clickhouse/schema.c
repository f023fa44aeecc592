/*
 * schema.c: creates and upgrades the tables of internal.h on every server of the store.
 *
 * Without a cluster the one server holds the tables themselves. With cluster=NAME every
 * listed server (one per shard) holds NAME_local tables, and a Distributed table of the plain
 * name over them, sharded so that one player's rows (one multiplayer session's) stay on one
 * shard; every read and insert goes through the Distributed table. Statements are
 * CREATE ... IF NOT EXISTS, so nodes starting together, or again, agree. The schema's version
 * is kept in playstat_schema on each server; version 1 is the first.
 *
 * The SQL runs on ClickHouse 18.16 (Debian 12) and current releases: MergeTree's
 * PARTITION BY / ORDER BY syntax, ReplacingMergeTree(version), Distributed with a sharding
 * expression, no ON CLUSTER (which needs ZooKeeper), no LowCardinality or Nullable columns
 * (absent values are '' or 0 with a has_ flag), no TTL (retention drops partitions).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/clickhouse/internal.h"

/* 1: the four tables; 2: user_days and the view that fills it (upgrading from 1 fills it from
 * the events already stored); 3: user_firsts and its view (upgrading fills it likewise);
 * 4: country, the last column of events, user_days and user_firsts (ensure_country). */
#define SCHEMA_VERSION 4

/* The columns of user_days, which the view selects and groups by. Each table's columns are in
 * the order of its CREATE below, country last: a materialized view writes its SELECT into its
 * table by position (18.16), and ALTER TABLE ADD COLUMN appends, so created and upgraded
 * tables have one shape. */
#define USER_DIMENSIONS \
  "game_id, date, day, user_id, platform, build, os_version, custom_01, custom_02, custom_03"
#define USER_DAY_COLUMNS USER_DIMENSIONS ", country"

static const struct table {
  const char *name;
  const char *columns;
  const char *engine; /* after ENGINE = */
  const char *shard_key;
} tables[] = {
    {"events",
     "game_id Int64, date Date, category String, dedup_key String, user_id String,"
     " session_id String, client_ts Int64, has_client_ts UInt8, received_ms Int64, body String,"
     " folds UInt8, day Int32, platform String, build String, os_version String,"
     " custom_01 String, custom_02 String, custom_03 String, has_agg UInt8, agg_key String,"
     " agg_value Float64, keep UInt64, country String",
     "ReplacingMergeTree(keep) PARTITION BY toYYYYMM(date)"
     " ORDER BY (game_id, date, category, dedup_key)",
     "cityHash64(game_id, user_id)"},
    {"rejected",
     "game_id Int64, date Date, rid String, received_ms Int64, event_index Int32,"
     " category String, has_category UInt8, body String, errors String",
     "ReplacingMergeTree PARTITION BY toYYYYMM(date) ORDER BY (game_id, received_ms, rid)",
     "cityHash64(game_id, rid)"},
    {"msession_requests",
     "game_id Int64, date Date, session_id String, nonce String, kind UInt8, player String,"
     " platform String, portal String, mod_ids String, ts_ms Int64, order_id Int64,"
     " received_ms Int64",
     "ReplacingMergeTree PARTITION BY toYYYYMM(date) ORDER BY (game_id, session_id, nonce)",
     "cityHash64(game_id, player)"},
    {"so_events",
     "project_id String, environment_id String, session_id String, event_key String,"
     " type String, ts_ms Int64, received_ms Int64, date Date, body String, pool_id String,"
     " pool_name String, queue_id String, queue_name String, region_id String, has_pool UInt8,"
     " backfill UInt8, player_hashes Array(String), player_numbers Array(Int64),"
     " ticket_ids Array(String), keep UInt64",
     "ReplacingMergeTree(keep) PARTITION BY toYYYYMM(date)"
     " ORDER BY (project_id, environment_id, session_id, event_key)",
     "cityHash64(project_id, environment_id, session_id)"},
    /* One row per user, day and dimension values with a folded event: what distinct-user
     * metrics read instead of every event (ga_metrics.c). Filled by user_days_mv on every
     * insert into events; a copy of an event adds an equal row, which distinct counts ignore. */
    {"user_days",
     "game_id Int64, date Date, day Int32, user_id String, platform String, build String,"
     " os_version String, custom_01 String, custom_02 String, custom_03 String, country String",
     "ReplacingMergeTree PARTITION BY toYYYYMM(date) ORDER BY (" USER_DAY_COLUMNS ")",
     "cityHash64(game_id, user_id)"},
    /* (schema 3) One row per user, day and dimension values with a folded `user` event, with
     * the highest keep of those events in one insert: what first days (new_users, retention's
     * cohorts) read, so that they survive the raw events' retention. Filled by user_firsts_mv. */
    {"user_firsts",
     "game_id Int64, date Date, day Int32, user_id String, platform String, build String,"
     " os_version String, custom_01 String, custom_02 String, custom_03 String, keep UInt64,"
     " country String",
     "ReplacingMergeTree PARTITION BY toYYYYMM(date) ORDER BY (" USER_DAY_COLUMNS ", keep)",
     "cityHash64(game_id, user_id)"},
};

void ps_ch_table(const ch_store *s, const char *name, char *out, size_t cap) {
  snprintf(out, cap, "%s.%s", s->config.database, name);
}

void ps_ch_local_table(const ch_store *s, const char *name, char *out, size_t cap) {
  snprintf(out, cap, "%s.%s%s", s->config.database, name, s->config.cluster[0] ? "_local" : "");
}


/* What user_firsts_mv selects from events (and the upgrade to schema 3 from the stored ones). */
#define USER_FIRSTS_SELECT                                                                   \
  "SELECT " USER_DIMENSIONS ", max(keep) AS keep, country FROM %s.events%s WHERE folds = 1 AND" \
  " category = 'user' GROUP BY " USER_DAY_COLUMNS

/* The views that fill user_days and user_firsts from each insert into the (local) events
 * table. */
static int ensure_views(ch_store *s, const ps_ch_server *server) {
  const char *db = s->config.database, *local = s->config.cluster[0] ? "_local" : "";
  char sql[1024];
  snprintf(sql, sizeof sql,
           "CREATE MATERIALIZED VIEW IF NOT EXISTS %s.user_days_mv TO %s.user_days%s AS SELECT "
           USER_DAY_COLUMNS " FROM %s.events%s WHERE folds = 1 GROUP BY " USER_DAY_COLUMNS,
           db, db, local, db, local);
  int rc = ps_ch_query_on(s, server, sql, NULL);
  snprintf(sql, sizeof sql,
           "CREATE MATERIALIZED VIEW IF NOT EXISTS %s.user_firsts_mv TO %s.user_firsts%s AS "
           USER_FIRSTS_SELECT,
           db, db, local, db, local);
  return rc == PS_OK ? ps_ch_query_on(s, server, sql, NULL) : rc;
}

/* Whether table (a name of this database) lacks column; *missing. */
static int column_missing(ch_store *s, const ps_ch_server *server, const char *table,
                          const char *column, int *missing) {
  ps_buf sql = {0}, answer = {0};
  int rc = ps_buf_append_str(&sql, "SELECT count() FROM system.columns WHERE database = ");
  if (rc == PS_OK) rc = ps_ch_sql_string(&sql, s->config.database, strlen(s->config.database));
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, " AND table = ");
  if (rc == PS_OK) rc = ps_ch_sql_string(&sql, table, strlen(table));
  if (rc == PS_OK) rc = ps_buf_printf(&sql, " AND name = '%s'", column);
  if (rc == PS_OK) rc = ps_ch_query_on(s, server, sql.data, &answer);
  *missing = rc == PS_OK && (!answer.data || strtol(answer.data, NULL, 10) == 0);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}

/* Schema 4 on a server whose tables are older: the country column where it is missing (18.16
 * has no ADD COLUMN IF NOT EXISTS, hence the look in system.columns first), on the local and
 * the Distributed tables; a view whose table gained it is dropped, to be created again with
 * country by ensure_views (inserts in between do not reach that table: the upgrade runs when a
 * node starts, before it ships). Events stored before have country '' (unknown). Known limit:
 * the sorting key of an upgraded user_days or user_firsts lacks country (18.16 cannot change
 * it), so after a merge a user seen from two countries on one day, all else equal, counts in
 * one of them; a store created at schema 4 has country in both keys. */
static int ensure_country(ch_store *s, const ps_ch_server *server) {
  static const char *const with_country[] = {"events", "user_days", "user_firsts"};
  const char *db = s->config.database, *cluster = s->config.cluster;
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < sizeof with_country / sizeof *with_country; i++) {
    for (int local = cluster[0] ? 1 : 0; rc == PS_OK && local >= 0; local--) {
      char name[128], sql[512];
      snprintf(name, sizeof name, "%s%s", with_country[i], local ? "_local" : "");
      int missing = 0;
      rc = column_missing(s, server, name, "country", &missing);
      if (rc != PS_OK || !missing) continue;
      snprintf(sql, sizeof sql, "ALTER TABLE %s.%s ADD COLUMN country String", db, name);
      rc = ps_ch_query_on(s, server, sql, NULL);
      if (rc == PS_OK && i > 0 && local == (cluster[0] ? 1 : 0)) {
        snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s.%s_mv", db, with_country[i]);
        rc = ps_ch_query_on(s, server, sql, NULL);
      }
    }
  }
  return rc;
}

/* Creates what is missing on server; *found: the version it held (0: none). */
static int ensure_on(ch_store *s, const ps_ch_server *server, long *found) {
  const char *db = s->config.database, *cluster = s->config.cluster;
  char sql[2048];
  snprintf(sql, sizeof sql, "CREATE DATABASE IF NOT EXISTS %s", db);
  int rc = ps_ch_query_on(s, server, sql, NULL);
  for (size_t i = 0; rc == PS_OK && i < sizeof tables / sizeof *tables; i++) {
    const struct table *t = &tables[i];
    snprintf(sql, sizeof sql, "CREATE TABLE IF NOT EXISTS %s.%s%s (%s) ENGINE = %s", db, t->name,
             cluster[0] ? "_local" : "", t->columns, t->engine);
    rc = ps_ch_query_on(s, server, sql, NULL);
    if (rc == PS_OK && cluster[0]) {
      snprintf(sql, sizeof sql,
               "CREATE TABLE IF NOT EXISTS %s.%s AS %s.%s_local"
               " ENGINE = Distributed(%s, %s, %s_local, %s)",
               db, t->name, db, t->name, cluster, db, t->name, t->shard_key);
      rc = ps_ch_query_on(s, server, sql, NULL);
    }
  }
  if (rc == PS_OK) rc = ensure_country(s, server);
  if (rc == PS_OK) rc = ensure_views(s, server);
  if (rc == PS_OK) {
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS %s.playstat_schema (version UInt32) ENGINE = TinyLog", db);
    rc = ps_ch_query_on(s, server, sql, NULL);
  }
  if (rc == PS_OK) {
    ps_buf answer = {0};
    snprintf(sql, sizeof sql, "SELECT max(version) FROM %s.playstat_schema", db);
    rc = ps_ch_query_on(s, server, sql, &answer);
    long have = rc == PS_OK && answer.data ? strtol(answer.data, NULL, 10) : 0;
    ps_buf_free(&answer);
    *found = have;
    if (rc == PS_OK && have > SCHEMA_VERSION) {
      ps_error_log("clickhouse %s:%d: database %s has schema version %ld, newer than this "
                   "playstat knows (%d): upgrade playstat",
                   server->host, server->port, db, have, SCHEMA_VERSION);
      rc = PS_EINVAL;
    }
  }
  return rc;
}

int ps_ch_schema_ensure(ch_store *s) {
  long found[PS_CH_MAX_SHARDS] = {0};
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < s->config.nservers; i++)
    rc = ensure_on(s, &s->config.servers[i], &found[i]);
  const char *db = s->config.database, *local = s->config.cluster[0] ? "_local" : "";
  char sql[1024];
  /* Older versions stored events before a view existed: each server fills its own table from
   * its own events (both are sharded alike), once; a row also added by an insert racing this
   * is harmless (distinct counts, min and argMin ignore it). */
  for (size_t i = 0; rc == PS_OK && i < s->config.nservers; i++) {
    const ps_ch_server *server = &s->config.servers[i];
    if (found[i] == 1) {
      ps_info("clickhouse %s:%d: database %s: upgrading to schema %d (user_days from the stored "
              "events)", server->host, server->port, db, SCHEMA_VERSION);
      snprintf(sql, sizeof sql,
               "INSERT INTO %s.user_days%s SELECT " USER_DAY_COLUMNS " FROM %s.events%s WHERE"
               " folds = 1 GROUP BY " USER_DAY_COLUMNS,
               db, local, db, local);
      rc = ps_ch_query_on(s, server, sql, NULL);
    }
    if (rc == PS_OK && found[i] >= 1 && found[i] < 3) {
      ps_info("clickhouse %s:%d: database %s: upgrading to schema %d (user_firsts from the "
              "stored events)", server->host, server->port, db, SCHEMA_VERSION);
      snprintf(sql, sizeof sql, "INSERT INTO %s.user_firsts%s " USER_FIRSTS_SELECT, db, local,
               db, local);
      rc = ps_ch_query_on(s, server, sql, NULL);
    }
  }
  for (size_t i = 0; rc == PS_OK && i < s->config.nservers; i++)
    if (found[i] < SCHEMA_VERSION) {
      snprintf(sql, sizeof sql, "INSERT INTO %s.playstat_schema VALUES (%d)", db, SCHEMA_VERSION);
      rc = ps_ch_query_on(s, &s->config.servers[i], sql, NULL);
    }
  return rc;
}

int ps_ch_delete_where(ch_store *s, const char *table, const char *where) {
  ps_buf sql = {0};
  int rc = ps_buf_printf(&sql, "ALTER TABLE %s.%s%s DELETE WHERE %s", s->config.database, table,
                         s->config.cluster[0] ? "_local" : "", where);
  for (size_t i = 0; rc == PS_OK && i < s->config.nservers; i++)
    rc = ps_ch_query_on(s, &s->config.servers[i], sql.data, NULL);
  ps_buf_free(&sql);
  return rc;
}

/* How long a deletion may take on one server before the caller is told it failed (it is then
 * still running there, and a retry finds the rows gone or deletes them again). */
#define MUTATION_WAIT_MS 120000

int ps_ch_wait_mutations_on(ch_store *s, const ps_ch_server *server, const char *table) {
  const char *database = s->config.database;
  char local[128];
  snprintf(local, sizeof local, "%s%s", table, s->config.cluster[0] ? "_local" : "");
  ps_buf sql = {0}, answer = {0};
  int rc = ps_buf_append_str(&sql, "SELECT count() FROM system.mutations WHERE database = ");
  if (rc == PS_OK) rc = ps_ch_sql_string(&sql, database, strlen(database));
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, " AND table = ");
  if (rc == PS_OK) rc = ps_ch_sql_string(&sql, local, strlen(local));
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, " AND is_done = 0");
  for (int waited = 0; rc == PS_OK; waited += 20) {
    ps_buf_reset(&answer);
    rc = ps_ch_query_on(s, server, sql.data, &answer);
    if (rc != PS_OK) break;
    if (!answer.data || strtoll(answer.data, NULL, 10) == 0) break;
    if (waited >= MUTATION_WAIT_MS) {
      ps_error_log("clickhouse %s:%d: a deletion of rows of %s is still running after %d s",
                   server->host, server->port, local, MUTATION_WAIT_MS / 1000);
      rc = PS_EIO;
      break;
    }
    usleep(20 * 1000);
  }
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}

int ps_ch_wait_mutations(ch_store *s, const char *table) {
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < s->config.nservers; i++)
    rc = ps_ch_wait_mutations_on(s, &s->config.servers[i], table);
  return rc;
}

int ps_ch_delete_where_wait(ch_store *s, const char *table, const char *where) {
  int rc = ps_ch_delete_where(s, table, where);
  return rc == PS_OK ? ps_ch_wait_mutations(s, table) : rc;
}
