/*
 * so_sessions.c: session observability in ClickHouse SQL: a session's summary and events
 * (get), searches paged against a snapshot (list), and retention (expire), over so_events
 * (internal.h). The summary SQL is shared with match_metrics.c (so_sessions.h).
 *
 * Guarantees (events.h), as the SQLite store keeps them:
 * - A summary is merged from all of a session's events whatever their arrival order:
 *   created = the earliest match.created, else the earliest event; updated = the latest
 *   event; the game mode, field by field, of the earliest match.created giving it; region and
 *   requested of the latest allocation.requested; completed and completion of the latest
 *   allocation.succeeded / .failed; players = the highest player number named (players are
 *   numbered 1, 2, ... as first named, so: the distinct players); backfill if any event is one.
 *   Ties in time go to the event stored first.
 * - Events stored twice (shipped twice, or resent) count once: every read groups by the
 *   sorting key's event_key (or uses aggregates a duplicate cannot change), and an event's
 *   arrival is its first copy's.
 * - Arrival order is so_events.keep (2^62 - seq; seq: the appending process's microsecond
 *   clock, strictly increasing): events of equal ts_ms are visited in it, and a session's
 *   key_seq is the seq of the event that set its created_ms (the earliest match.created, else
 *   the earliest event; the first stored on ties), i.e. when its sort key last changed.
 * - Paging: a first page's snapshot_seq is the highest seq of the (project, environment)'s
 *   events; later pages list only sessions with key_seq <= snapshot_seq after the last listed
 *   key, so a session is listed at most once across pages: one whose key moves after the
 *   first page (an earlier match.created arrives) or that appears later has a larger key_seq.
 *   This holds for the events in ClickHouse when the first page was read (shipped by
 *   maintain); an event appended earlier on another node and shipped later can still move a
 *   session already listed (its seq is older than the snapshot).
 * - Expire deletes, in every server's table, the rows of the sessions created before the
 *   limit (a mutation per 1000 sessions: ps_ch_delete_where's ALTER TABLE ... DELETE, then a
 *   wait on system.mutations until done), so reads do not see them once it returns. ClickHouse removes the replaced parts' files after
 *   its old_parts_lifetime (8 minutes by default).
 * - The primary key is used: every read is bounded by project_id (and environment_id,
 *   session_id where given).
 *
 * ClickHouse features avoided (the SQL runs on Debian's 18.16.1 and current releases):
 * - lightweight DELETE FROM (22.x) and the mutations_sync setting (neither in 18.16):
 *   ALTER TABLE ... DELETE and a wait on system.mutations instead; ON CLUSTER (needs
 *   ZooKeeper): the mutation is sent to each server's local table;
 * - an IN (subquery) inside the mutation: it would be evaluated again per part while parts are
 *   being rewritten, so the sessions to delete are chosen first and listed as literals;
 * - FINAL for the summaries (ReplacingMergeTree keeps an arbitrary copy before merging): a
 *   GROUP BY of the sessions with min / max / argMin / argMax over (ts_ms, seq), which
 *   duplicates cannot change;
 * - Nullable columns (absent values are '' or -1), window functions, WITH <subquery> CTEs.
 */
#include "store/clickhouse/so_sessions.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "common/log.h"

/* An event's arrival sequence (the appender's clock in microseconds) from its keep column. */
#define SEQ "(4611686018427387904 - toInt64(keep))"
#define EXPIRE_CHUNK 1000

int ps_ch_so_summaries_sql(ch_store *s, const char *where, ps_buf *sql) {
  char table[160];
  ps_ch_table(s, "so_events", table, sizeof table);
  return ps_buf_printf(
      sql,
      "(SELECT p AS project_id, e AS environment_id, sid AS session_id,"
      " if(has_mc, mc_ms, first_ms) AS created_ms, last_ms AS updated_ms,"
      " if(has_mc, mc_ms, -1) AS match_created_ms, x_pool_id AS pool_id,"
      " x_pool_name AS pool_name, x_queue_id AS queue_id, x_queue_name AS queue_name,"
      " x_region AS region_id, if(has_req, req_ms, -1) AS requested_ms,"
      " if(has_done, done_ms, -1) AS completed_ms,"
      " if(has_done, if(done_type = 'allocation.failed', 'failed', 'succeeded'), '') AS completion,"
      " x_players AS players, x_backfill AS backfill, x_key_seq AS key_seq"
      " FROM (SELECT project_id AS p, environment_id AS e, session_id AS sid,"
      " min(ts_ms) AS first_ms, max(ts_ms) AS last_ms,"
      " countIf(type = 'match.created') > 0 AS has_mc,"
      " minIf(ts_ms, type = 'match.created') AS mc_ms,"
      " argMinIf(pool_id, (ts_ms, " SEQ "), type = 'match.created' AND pool_id != '') AS x_pool_id,"
      " argMinIf(pool_name, (ts_ms, " SEQ "), type = 'match.created' AND pool_name != '')"
      "   AS x_pool_name,"
      " argMinIf(queue_id, (ts_ms, " SEQ "), type = 'match.created' AND queue_id != '')"
      "   AS x_queue_id,"
      " argMinIf(queue_name, (ts_ms, " SEQ "), type = 'match.created' AND queue_name != '')"
      "   AS x_queue_name,"
      " countIf(type = 'allocation.requested') > 0 AS has_req,"
      " maxIf(ts_ms, type = 'allocation.requested') AS req_ms,"
      " argMaxIf(region_id, (ts_ms, -" SEQ "), type = 'allocation.requested') AS x_region,"
      " countIf(type IN ('allocation.succeeded', 'allocation.failed')) > 0 AS has_done,"
      " maxIf(ts_ms, type IN ('allocation.succeeded', 'allocation.failed')) AS done_ms,"
      " argMaxIf(type, (ts_ms, -" SEQ "), type IN ('allocation.succeeded', 'allocation.failed'))"
      "   AS done_type,"
      " max(arrayReduce('max', player_numbers)) AS x_players, max(backfill) AS x_backfill,"
      " if(has_mc, argMinIf(" SEQ ", (ts_ms, " SEQ "), type = 'match.created'),"
      "   argMin(" SEQ ", (ts_ms, " SEQ "))) AS x_key_seq"
      " FROM %s WHERE %s GROUP BY project_id, environment_id, session_id))",
      table, where);
}

/* ---- reading summaries ---- */

static void copy_field(char *dst, size_t cap, const ps_ch_rows *rows, size_t i) {
  snprintf(dst, cap, "%s", ps_ch_field(rows, i));
}

/* A row of ps_ch_so_summaries_sql's columns into o. */
static void read_summary(const ps_ch_rows *r, ps_so_session *o) {
  memset(o, 0, sizeof *o);
  copy_field(o->project_id, sizeof o->project_id, r, 0);
  copy_field(o->environment_id, sizeof o->environment_id, r, 1);
  copy_field(o->session_id, sizeof o->session_id, r, 2);
  o->created_ms = ps_ch_field_int(r, 3);
  o->updated_ms = ps_ch_field_int(r, 4);
  o->match_created_ms = ps_ch_field_int(r, 5);
  copy_field(o->pool_id, sizeof o->pool_id, r, 6);
  copy_field(o->pool_name, sizeof o->pool_name, r, 7);
  copy_field(o->queue_id, sizeof o->queue_id, r, 8);
  copy_field(o->queue_name, sizeof o->queue_name, r, 9);
  copy_field(o->region_id, sizeof o->region_id, r, 10);
  o->requested_ms = ps_ch_field_int(r, 11);
  o->completed_ms = ps_ch_field_int(r, 12);
  copy_field(o->completion, sizeof o->completion, r, 13);
  o->players = ps_ch_field_int(r, 14);
  o->backfill = ps_ch_field_int(r, 15) != 0;
  o->key_seq = ps_ch_field_int(r, 16);
}

#define SUMMARY_COLUMNS                                                                     \
  "project_id, environment_id, session_id, created_ms, updated_ms, match_created_ms,"     \
  " pool_id, pool_name, queue_id, queue_name, region_id, requested_ms, completed_ms,"      \
  " completion, players, backfill, key_seq"

/* "column = 'text'" appended, with " AND " before it unless first. */
static int append_equal(ps_buf *b, const char *column, const char *text, int first) {
  int rc = ps_buf_printf(b, "%s%s = ", first ? "" : " AND ", column);
  return rc == PS_OK ? ps_ch_sql_string(b, text, strlen(text)) : rc;
}

/* "project_id = 'p' AND environment_id = 'e' AND session_id = 's'": one session's rows. */
static int key_where(const ps_so_key *key, ps_buf *b) {
  int rc = append_equal(b, "project_id", key->project_id, 1);
  if (rc == PS_OK) rc = append_equal(b, "environment_id", key->environment_id, 0);
  if (rc == PS_OK) rc = append_equal(b, "session_id", key->session_id, 0);
  return rc;
}

/* ---- get ---- */

static int visit_events(ch_store *s, const ps_buf *where, ps_so_event_visitor visit, void *ctx) {
  char table[160];
  ps_ch_table(s, "so_events", table, sizeof table);
  ps_buf sql = {0}, answer = {0};
  int rc = ps_buf_printf(&sql,
                         "SELECT any(body), any(ts_ms) AS ts, min(" SEQ ") AS seq FROM %s"
                         " WHERE %s GROUP BY event_key ORDER BY ts, seq",
                         table, where->data);
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &answer);
  while (rc == PS_OK && ps_ch_rows_next(&rows))
    rc = visit(ps_ch_field(&rows, 0), rows.lens[0], ps_ch_field_int(&rows, 1), ctx);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}

int ps_ch_so_session_get(ch_store *s, const ps_so_key *key, ps_so_session *out,
                         ps_so_event_visitor visit, void *ctx) {
  ps_ch_ship_own(s); /* what this node appended is found at once, as in the SQLite store */
  ps_buf where = {0}, sql = {0}, answer = {0};
  int rc = key_where(key, &where);
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, "SELECT " SUMMARY_COLUMNS " FROM ");
  if (rc == PS_OK) rc = ps_ch_so_summaries_sql(s, where.data, &sql);
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  if (rc == PS_OK) {
    ps_ch_rows rows;
    ps_ch_rows_init(&rows, &answer);
    if (ps_ch_rows_next(&rows))
      read_summary(&rows, out);
    else
      rc = PS_ENOTFOUND;
  }
  if (rc == PS_OK && visit) rc = visit_events(s, &where, visit, ctx);
  ps_buf_free(&where);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}

/* ---- list ---- */

/* The first page's snapshot: the highest seq of the project's environment's events. */
static int current_seq(ch_store *s, const ps_buf *where, int64_t *seq) {
  char table[160];
  ps_ch_table(s, "so_events", table, sizeof table);
  ps_buf sql = {0}, answer = {0};
  int rc = ps_buf_printf(&sql, "SELECT max(" SEQ ") FROM %s WHERE %s", table, where->data);
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) {
    ps_ch_rows_init(&rows, &answer);
    *seq = ps_ch_rows_next(&rows) ? ps_ch_field_int(&rows, 0) : 0;
    if (*seq < 0) *seq = 0;
  }
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}

/* The summary filters of q, each " AND ...". An empty filter value matches nothing (the
 * SQLite store tells an empty value from an absent one; these columns hold '' for absent). */
static int append_filters(const ps_so_query *q, int64_t snapshot, ps_buf *b) {
  const struct {
    const char *column, *text;
  } equal[] = {{"pool_id", q->pool_id},
               {"pool_name", q->pool_name},
               {"queue_name", q->queue_name},
               {"region_id", q->region_id}};
  int rc = ps_buf_printf(b, " WHERE key_seq <= %" PRId64, snapshot);
  for (size_t i = 0; rc == PS_OK && i < sizeof equal / sizeof *equal; i++)
    if (equal[i].text) {
      rc = append_equal(b, equal[i].column, equal[i].text, 0);
      if (rc == PS_OK) rc = ps_buf_printf(b, " AND %s != ''", equal[i].column);
    }
  if (rc == PS_OK && q->created_after_ms >= 0)
    rc = ps_buf_printf(b, " AND created_ms > %" PRId64, q->created_after_ms);
  if (rc == PS_OK && q->updated_after_ms >= 0)
    rc = ps_buf_printf(b, " AND updated_ms > %" PRId64, q->updated_after_ms);
  if (rc == PS_OK && q->snapshot_seq) {
    rc = ps_buf_printf(b, " AND (created_ms < %" PRId64 " OR (created_ms = %" PRId64
                          " AND session_id < ",
                       q->after_created_ms, q->after_created_ms);
    const char *after = q->after_session_id ? q->after_session_id : "";
    if (rc == PS_OK) rc = ps_ch_sql_string(b, after, strlen(after));
    if (rc == PS_OK) rc = ps_buf_append_str(b, "))");
  }
  return rc;
}

int ps_ch_so_session_list(ch_store *s, const ps_so_query *q, ps_so_session **out, size_t *count,
                          int64_t *snapshot_seq) {
  *out = NULL;
  *count = 0;
  *snapshot_seq = q->snapshot_seq;
  ps_ch_ship_own(s);
  ps_buf where = {0}, sql = {0}, answer = {0};
  char table[160];
  ps_ch_table(s, "so_events", table, sizeof table);
  int rc = append_equal(&where, "project_id", q->project_id ? q->project_id : "", 1);
  if (rc == PS_OK)
    rc = append_equal(&where, "environment_id", q->environment_id ? q->environment_id : "", 0);
  if (rc == PS_OK && !q->project_id) rc = ps_buf_append_str(&where, " AND 0");
  if (rc == PS_OK && !*snapshot_seq) rc = current_seq(s, &where, snapshot_seq);
  if (rc == PS_OK && q->ticket_id) {
    /* sessions naming the ticket in one of their events */
    ps_buf ticket = {0};
    rc = ps_buf_printf(&ticket, " AND session_id GLOBAL IN (SELECT session_id FROM %s WHERE %s"
                                " AND has(ticket_ids, ",
                       table, where.data);
    if (rc == PS_OK) rc = ps_ch_sql_string(&ticket, q->ticket_id, strlen(q->ticket_id));
    if (rc == PS_OK) rc = ps_buf_append_str(&ticket, "))");
    if (rc == PS_OK) rc = ps_buf_append(&where, ticket.data, ticket.len);
    ps_buf_free(&ticket);
  }
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, "SELECT " SUMMARY_COLUMNS " FROM ");
  if (rc == PS_OK) rc = ps_ch_so_summaries_sql(s, where.data, &sql);
  if (rc == PS_OK) rc = append_filters(q, *snapshot_seq, &sql);
  if (rc == PS_OK)
    rc = ps_buf_printf(&sql, " ORDER BY created_ms DESC, session_id DESC LIMIT %zu", q->limit);
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  size_t n = 0;
  ps_so_session *items = NULL;
  if (rc == PS_OK && q->limit && !(items = calloc(q->limit, sizeof *items))) rc = PS_ENOMEM;
  if (rc == PS_OK) {
    ps_ch_rows rows;
    ps_ch_rows_init(&rows, &answer);
    while (n < q->limit && ps_ch_rows_next(&rows)) read_summary(&rows, &items[n++]);
    *out = items;
    *count = n;
  } else {
    free(items);
  }
  ps_buf_free(&where);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}

/* ---- expire ---- */

/* Deletes the rows of the sessions listed in keys ("('p','e','s'),...") on every shard
 * (ps_ch_delete_where) and waits until each server has applied the deletion. */
static int delete_sessions(ch_store *s, const ps_buf *keys) {
  ps_buf where = {0};
  int rc = ps_buf_printf(&where, "(project_id, environment_id, session_id) IN (%s)", keys->data);
  if (rc == PS_OK) rc = ps_ch_delete_where_wait(s, "so_events", where.data);
  ps_buf_free(&where);
  return rc;
}

int ps_ch_so_expire(ch_store *s, int64_t before_ms, int64_t *deleted) {
  *deleted = 0;
  ps_ch_ship_own(s);
  /* A session created before the limit has the event that dates it before the limit. */
  ps_buf where = {0}, sql = {0}, answer = {0}, keys = {0};
  char table[160];
  ps_ch_table(s, "so_events", table, sizeof table);
  int rc = ps_buf_printf(&where,
                         "(project_id, environment_id, session_id) GLOBAL IN (SELECT project_id,"
                         " environment_id, session_id FROM %s WHERE ts_ms < %" PRId64
                         " AND date <= ",
                         table, before_ms);
  if (rc == PS_OK) rc = ps_ch_sql_day(&where, before_ms);
  if (rc == PS_OK) rc = ps_buf_append_str(&where, ")");
  if (rc == PS_OK) rc = ps_buf_append_str(&sql, "SELECT project_id, environment_id, session_id FROM ");
  if (rc == PS_OK) rc = ps_ch_so_summaries_sql(s, where.data, &sql);
  if (rc == PS_OK) rc = ps_buf_printf(&sql, " WHERE created_ms < %" PRId64, before_ms);
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &answer);
  int64_t listed = 0;
  while (rc == PS_OK) {
    int more = ps_ch_rows_next(&rows);
    if (more) {
      rc = ps_buf_append_str(&keys, keys.len ? ",(" : "(");
      for (size_t i = 0; rc == PS_OK && i < 3; i++) {
        if (i) rc = ps_buf_append_str(&keys, ",");
        if (rc == PS_OK) rc = ps_ch_sql_string(&keys, ps_ch_field(&rows, i), rows.lens[i]);
      }
      if (rc == PS_OK) rc = ps_buf_append_str(&keys, ")");
      listed++;
    }
    if (rc == PS_OK && keys.len && (!more || listed % EXPIRE_CHUNK == 0)) {
      rc = delete_sessions(s, &keys);
      if (rc == PS_OK) *deleted = listed;
      ps_buf_reset(&keys);
    }
    if (!more) break;
  }
  ps_buf_free(&where);
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  ps_buf_free(&keys);
  return rc;
}
