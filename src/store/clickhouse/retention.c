/*
 * retention.c: dropping the raw rows past retention from the ClickHouse event store
 * (events.h drop_raw_before), on every shard.
 *
 * PS_RAW_EVENTS: analytics events and rejected events that arrived (received_ms) before the
 * cut. A monthly partition (toYYYYMM(date)) whose rows all arrived before it is dropped whole
 * (ALTER TABLE ... DROP PARTITION); the rows of the other partitions that arrived before it are
 * deleted by a mutation (ALTER TABLE ... DELETE), which is issued only when there are some. An
 * event's date is its client's day, so a partition is dropped only when its newest arrival is
 * older than the cut (an old client clock can put a new event in an old month).
 *
 * PS_RAW_MSESSIONS: the requests of the metrics sessions over before the cut (events.h: the
 * arrival of the end request, else the last request's arrival plus the session timeout, once
 * that has passed), every request of each such session, so no session is cut in two; a
 * session's requests are on one shard (sharded by player), so each shard chooses its own
 * sessions and deletes them by (game_id, session_id) literals, SESSIONS_PER_MUTATION at a
 * time (found, deleted, found again: memory stays bounded). Requests left without their start (none should be) go too when over.
 *
 * What stays: user_days and user_firsts (this backend's rollups), so dau, wau, mau, the users
 * of a range, the groups seen (group_by), new_users and retention (cohorts from user_firsts,
 * active days from user_days) keep their figures for the dropped days. Everything else is
 * computed from the raw rows and loses the dropped ones: sessions, avg_session_length,
 * sessions_per_user, revenue, paying_users, arpdau, arppu, conversion (their numerators), the
 * families (progression, funnel, resources, design, errors, ads), every playtime metric (ccu,
 * concurrent_ugc, total_players, sessions, avg_playtime, avg_ugc_per_session,
 * session_length_histogram, top_mods) and live(); matchmaking metrics read so_events, which
 * this does not touch (so_expire does).
 *
 * Guarantees: when it returns 0, no read sees a dropped row (mutations waited for; a dropped
 * partition is gone at once). *dropped: rows removed, counting stored copies not yet merged (an
 * estimate). A row that arrives, with an old date, between a partition's check and its drop is
 * dropped with it (a window of one query).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errors.h"
#include "store/clickhouse/internal.h"

#define SESSIONS_PER_MUTATION 2000

static int query_int_on(ch_store *s, const ps_ch_server *server, const char *sql, int64_t *out) {
  ps_buf answer = {0};
  int rc = ps_ch_query_on(s, server, sql, &answer);
  *out = rc == PS_OK && answer.data ? strtoll(answer.data, NULL, 10) : 0;
  ps_buf_free(&answer);
  return rc;
}

/* Drops, on server, every partition of table whose rows all arrived before before_ms. */
static int drop_old_partitions(ch_store *s, const ps_ch_server *server, const char *table,
                               int64_t before_ms, int64_t *dropped) {
  char local[160], sql[1024];
  ps_ch_local_table(s, table, local, sizeof local);
  ps_buf parts = {0}, sqlb = {0};
  int rc = ps_buf_append_str(&sqlb, "SELECT partition FROM system.parts WHERE active AND database = ");
  if (rc == PS_OK)
    rc = ps_ch_sql_string(&sqlb, s->config.database, strlen(s->config.database));
  if (rc == PS_OK) rc = ps_buf_append_str(&sqlb, " AND table = ");
  const char *bare = strchr(local, '.') + 1;
  if (rc == PS_OK) rc = ps_ch_sql_string(&sqlb, bare, strlen(bare));
  if (rc == PS_OK) rc = ps_buf_append_str(&sqlb, " GROUP BY partition ORDER BY partition");
  if (rc == PS_OK) rc = ps_ch_query_on(s, server, sqlb.data, &parts);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &parts);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    int64_t month = ps_ch_field_int(&rows, 0), newest = 0, count = 0;
    snprintf(sql, sizeof sql,
             "SELECT max(received_ms) FROM %s WHERE toYYYYMM(date) = %" PRId64, local, month);
    rc = query_int_on(s, server, sql, &newest);
    if (rc != PS_OK || newest >= before_ms) continue;
    snprintf(sql, sizeof sql, "SELECT count() FROM %s WHERE toYYYYMM(date) = %" PRId64, local,
             month);
    rc = query_int_on(s, server, sql, &count);
    snprintf(sql, sizeof sql, "ALTER TABLE %s DROP PARTITION %" PRId64, local, month);
    if (rc == PS_OK) rc = ps_ch_query_on(s, server, sql, NULL);
    if (rc == PS_OK) *dropped += count;
  }
  ps_buf_free(&parts);
  ps_buf_free(&sqlb);
  return rc;
}

/* Deletes, on server, the rows of table that arrived before before_ms (when there are any). */
static int delete_older_rows(ch_store *s, const ps_ch_server *server, const char *table,
                             int64_t before_ms, int64_t *dropped) {
  char local[160], sql[512];
  ps_ch_local_table(s, table, local, sizeof local);
  int64_t count = 0;
  snprintf(sql, sizeof sql, "SELECT count() FROM %s WHERE received_ms < %" PRId64, local,
           before_ms);
  int rc = query_int_on(s, server, sql, &count);
  if (rc != PS_OK || count == 0) return rc;
  snprintf(sql, sizeof sql, "ALTER TABLE %s DELETE WHERE received_ms < %" PRId64, local, before_ms);
  rc = ps_ch_query_on(s, server, sql, NULL);
  if (rc == PS_OK) rc = ps_ch_wait_mutations_on(s, server, table);
  if (rc == PS_OK) *dropped += count;
  return rc;
}

static int drop_events_before(ch_store *s, int64_t before_ms, int64_t *dropped) {
  static const char *const tables[] = {"events", "rejected"};
  int rc = PS_OK;
  for (size_t i = 0; rc == PS_OK && i < s->config.nservers; i++)
    for (size_t t = 0; rc == PS_OK && t < sizeof tables / sizeof *tables; t++) {
      const ps_ch_server *server = &s->config.servers[i];
      rc = drop_old_partitions(s, server, tables[t], before_ms, dropped);
      if (rc == PS_OK) rc = delete_older_rows(s, server, tables[t], before_ms, dropped);
    }
  return rc;
}

/* Deletes on server the requests of the sessions listed in keys ("(g,'s'),..."). */
static int delete_sessions_on(ch_store *s, const ps_ch_server *server, const ps_buf *keys) {
  char local[160];
  ps_ch_local_table(s, "msession_requests", local, sizeof local);
  ps_buf sql = {0};
  int rc = ps_buf_printf(&sql, "ALTER TABLE %s DELETE WHERE (game_id, session_id) IN (%s)",
                         local, keys->data);
  if (rc == PS_OK) rc = ps_ch_query_on(s, server, sql.data, NULL);
  if (rc == PS_OK) rc = ps_ch_wait_mutations_on(s, server, "msession_requests");
  ps_buf_free(&sql);
  return rc;
}

/* Deletes, on server, at most SESSIONS_PER_MUTATION sessions over before the cut; *found: how
 * many it found. */
static int drop_some_sessions_on(ch_store *s, const ps_ch_server *server, int64_t before_ms,
                                 int64_t now_ms, int64_t *found, int64_t *dropped) {
  char local[160];
  ps_ch_local_table(s, "msession_requests", local, sizeof local);
  int64_t timeout = s->msession_timeout_ms;
  /* every request of a session over before the cut arrived before it, so its session_ts
   * (date) lies on or before the day of cut + window */
  ps_buf sql = {0}, answer = {0}, keys = {0};
  int rc = ps_buf_printf(
      &sql,
      "SELECT game_id, session_id, count() FROM %s WHERE (game_id, session_id) IN (SELECT"
      " game_id, session_id FROM %s WHERE date <= ",
      local, local);
  if (rc == PS_OK) rc = ps_ch_sql_day(&sql, before_ms + s->msession_window_ms);
  if (rc == PS_OK)
    rc = ps_buf_printf(
        &sql,
        ") GROUP BY game_id, session_id HAVING if(countIf(kind = 2) > 0,"
        " minIf(received_ms, kind = 2), max(received_ms) + %" PRId64 ") < %" PRId64
        " AND (countIf(kind = 2) > 0 OR max(received_ms) + %" PRId64 " < %" PRId64 ") LIMIT %d",
        timeout, before_ms, timeout, now_ms, SESSIONS_PER_MUTATION);
  if (rc == PS_OK) rc = ps_ch_query_on(s, server, sql.data, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &answer);
  int64_t listed = 0, requests = 0;
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    rc = ps_buf_printf(&keys, "%s(%" PRId64 ",", listed ? "," : "", ps_ch_field_int(&rows, 0));
    if (rc == PS_OK) rc = ps_ch_sql_string(&keys, ps_ch_field(&rows, 1), rows.lens[1]);
    if (rc == PS_OK) rc = ps_buf_append_str(&keys, ")");
    requests += ps_ch_field_int(&rows, 2);
    listed++;
  }
  if (rc == PS_OK && listed) rc = delete_sessions_on(s, server, &keys);
  if (rc == PS_OK) *dropped += requests;
  *found = listed;
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  ps_buf_free(&keys);
  return rc;
}

int ps_ch_drop_raw_before(ch_store *s, ps_raw_kind kind, int64_t before_ms, int64_t *dropped) {
  *dropped = 0;
  ps_ch_ship_own(s); /* rows acknowledged here before the call are judged too */
  int rc = PS_OK;
  switch (kind) {
    case PS_RAW_EVENTS: return drop_events_before(s, before_ms, dropped);
    case PS_RAW_MSESSIONS: {
      int64_t now_ms = ps_now_ms();
      for (size_t i = 0; rc == PS_OK && i < s->config.nservers; i++) {
        int64_t found = SESSIONS_PER_MUTATION;
        while (rc == PS_OK && found == SESSIONS_PER_MUTATION)
          rc = drop_some_sessions_on(s, &s->config.servers[i], before_ms, now_ms, &found,
                                     dropped);
      }
      return rc;
    }
  }
  return PS_EINVAL;
}
