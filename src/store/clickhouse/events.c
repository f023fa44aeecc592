/*
 * events.c: the ClickHouse event store (store/events.h), its ops table and the parts that are
 * neither SQL for a metric nor the spool: open (the URL, the tables), append (rows into the
 * spool), maintain (shipping, trimming, the deletions journalled by forget.c); scans,
 * deletions and retention are scan.c, forget.c and retention.c.
 *
 * What it guarantees beyond events.h: append() is durable in the node's spool (spool.c); a
 * record is in ClickHouse, and so in every answer, once maintain() has run after its append
 * (serve calls it every second) while ClickHouse is reachable; until then the spool keeps it,
 * across restarts. Every read deduplicates (FINAL), so a record is counted once however often
 * it was shipped, and whichever node took it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/clickhouse/internal.h"

extern const ps_event_store_ops ps_clickhouse_event_ops;

int ps_ch_query_on(ch_store *s, const ps_ch_server *server, const char *sql, ps_buf *answer) {
  (void)s;
  char err[1024];
  int rc = ps_ch_exec(server, sql, answer, err, sizeof err, 0);
  if (rc != PS_OK) ps_error_log("clickhouse %s:%d: %s", server->host, server->port, err);
  return rc;
}

int ps_ch_query(ch_store *s, const char *sql, ps_buf *answer) {
  return ps_ch_query_on(s, &s->config.servers[0], sql, answer);
}

void ps_ch_ship_own(ch_store *s) {
  pthread_mutex_lock(&s->spool_lock);
  ps_ch_spool *sp = s->spool;
  pthread_mutex_unlock(&s->spool_lock);
  if (sp && ps_ch_spool_pending(sp) > 0) ps_ch_spool_ship(sp, s);
}

static void ch_close(ps_event_store *store) {
  ch_store *s = (ch_store *)store;
  if (!s) return;
  if (s->spool) {
    /* Best effort, and only while ClickHouse takes blocks (a shutdown does not wait for an
     * unreachable server): what is left ships at the next start. */
    if (!s->ship_failing && ps_ch_spool_pending(s->spool) > 0) ps_ch_spool_ship(s->spool, s);
    ps_ch_spool_close(s->spool);
  }
  pthread_mutex_destroy(&s->spool_lock);
  free(s);
}

static int ch_open(const char *location, const ps_store_options *options, ps_event_store **out) {
  *out = NULL;
  ch_store *s = calloc(1, sizeof *s);
  if (!s) return PS_ENOMEM;
  const char *why = NULL;
  int rc = ps_ch_config_parse(location, &s->config, &why);
  if (rc != PS_OK) {
    ps_error_log("%s", why);
    free(s);
    return rc;
  }
  s->base.ops = &ps_clickhouse_event_ops;
  pthread_mutex_init(&s->spool_lock, NULL);
  ps_store_options o = options ? *options : (ps_store_options){0};
  s->rejected_keep = o.rejected_keep_per_game > 0 ? o.rejected_keep_per_game
                                                  : PS_STORE_DEFAULT_REJECTED_KEEP;
  s->msession_timeout_ms = o.msession_timeout_ms > 0 ? o.msession_timeout_ms
                                                     : PS_STORE_DEFAULT_MSESSION_TIMEOUT_MS;
  s->msession_window_ms = o.msession_window_ms > 0 ? o.msession_window_ms
                                                   : PS_STORE_DEFAULT_MSESSION_WINDOW_MS;
  rc = ps_ch_schema_ensure(s);
  if (rc != PS_OK) {
    ps_error_log("clickhouse: cannot prepare database %s on %s:%d (is ClickHouse running, and "
                 "the HTTP port given?)",
                 s->config.database, s->config.servers[0].host, s->config.servers[0].port);
    ch_close(&s->base);
    return PS_EIO;
  }
  *out = &s->base;
  return PS_OK;
}

static int ch_append(ps_event_store *store, ps_record_span *spans, size_t nspans) {
  ch_store *s = (ch_store *)store;
  ps_ch_spool *sp;
  int rc = ps_ch_spool_of(s, &sp);
  if (rc != PS_OK) return rc;
  ps_buf rows[PS_CH_NTABLES] = {{0}};
  for (size_t i = 0; rc == PS_OK && i < nspans; i++)
    for (size_t j = 0; rc == PS_OK && j < spans[i].count; j++) {
      spans[i].records[j].duplicate = 0; /* found later, by FINAL (records.h) */
      rc = ps_ch_row_of_record(&spans[i].records[j], rows);
    }
  if (rc == PS_OK) rc = ps_ch_spool_append(sp, rows);
  for (int t = 0; t < PS_CH_NTABLES; t++) ps_buf_free(&rows[t]);
  return rc;
}

/* Keeps the newest rejected_keep rejected events of each game (events.h): scans already read
 * no more than those; this bounds what the tables hold. */
static int trim_rejected(ch_store *s) {
  char table[160], sql[512];
  ps_ch_table(s, "rejected", table, sizeof table);
  snprintf(sql, sizeof sql,
           "SELECT game_id FROM %s FINAL GROUP BY game_id HAVING count() > %" PRId64, table,
           s->rejected_keep);
  ps_buf games = {0}, cut = {0};
  int rc = ps_ch_query(s, sql, &games);
  ps_ch_rows rows;
  ps_ch_rows_init(&rows, &games);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    int64_t game = ps_ch_field_int(&rows, 0);
    /* the newest kept one's key: everything strictly older goes */
    snprintf(sql, sizeof sql,
             "SELECT received_ms FROM %s FINAL WHERE game_id = %" PRId64
             " ORDER BY received_ms DESC LIMIT 1 OFFSET %" PRId64,
             table, game, s->rejected_keep - 1);
    rc = ps_ch_query(s, sql, &cut);
    if (rc == PS_OK && cut.len) {
      char where[128];
      snprintf(where, sizeof where, "game_id = %" PRId64 " AND received_ms < %s", game, cut.data);
      where[strcspn(where, "\n")] = '\0';
      rc = ps_ch_delete_where(s, "rejected", where);
    }
  }
  ps_buf_free(&games);
  ps_buf_free(&cut);
  return rc;
}

#define TRIM_EVERY_MS (10 * 60 * 1000)

static int ch_maintain(ps_event_store *store, int64_t now_ms) {
  ch_store *s = (ch_store *)store;
  ps_ch_spool *sp;
  int rc = ps_ch_spool_of(s, &sp);
  if (rc == PS_OK) {
    rc = ps_ch_spool_ship(sp, s);
    s->ship_failing = rc != PS_OK;
  }
  if (rc == PS_OK && now_ms - s->last_trim_ms >= TRIM_EVERY_MS) {
    s->last_trim_ms = now_ms;
    rc = trim_rejected(s);
  }
  if (rc == PS_OK) rc = ps_ch_forget_resume(s, now_ms);
  return rc;
}

static int ch_metric(ps_event_store *store, const ps_metric_query *q, ps_metric_result *out) {
  ch_store *s = (ch_store *)store;
  switch (q->source) {
    case PS_SOURCE_EVENTS: return ps_ch_ga_metric(s, q, out);
    case PS_SOURCE_PLAYTIME: return ps_ch_playtime_metric(s, q, out);
    case PS_SOURCE_MATCHMAKING: return ps_ch_match_metric(s, q, out);
  }
  return PS_EINVAL;
}

static int ch_live(ps_event_store *store, int64_t game_id, int64_t now_ms, ps_live *out) {
  return ps_ch_playtime_live((ch_store *)store, game_id, now_ms, out);
}

static int ch_so_get(ps_event_store *store, const ps_so_key *key, ps_so_session *out,
                     ps_so_event_visitor visit, void *ctx) {
  return ps_ch_so_session_get((ch_store *)store, key, out, visit, ctx);
}

static int ch_so_list(ps_event_store *store, const ps_so_query *q, ps_so_session **out,
                      size_t *count, int64_t *snapshot_seq) {
  return ps_ch_so_session_list((ch_store *)store, q, out, count, snapshot_seq);
}

static int ch_so_expire(ps_event_store *store, int64_t before_ms, int64_t *deleted) {
  return ps_ch_so_expire((ch_store *)store, before_ms, deleted);
}

static int ch_scan(ps_event_store *store, const ps_scan_query *q, ps_scan_visitor visit,
                   void *ctx) {
  return ps_ch_scan((ch_store *)store, q, visit, ctx);
}

static int ch_forget_player(ps_event_store *store, int64_t game_id, const char *user_id,
                            ps_forget_report *out) {
  return ps_ch_forget_player((ch_store *)store, game_id, user_id, out);
}

static int ch_drop_raw_before(ps_event_store *store, ps_raw_kind kind, int64_t before_ms,
                              int64_t *dropped) {
  return ps_ch_drop_raw_before((ch_store *)store, kind, before_ms, dropped);
}

const ps_event_store_ops ps_clickhouse_event_ops = {
    .name = "clickhouse",
    .open = ch_open,
    .close = ch_close,
    .append = ch_append,
    .metric = ch_metric,
    .live = ch_live,
    .so_session_get = ch_so_get,
    .so_session_list = ch_so_list,
    .so_expire = ch_so_expire,
    .scan = ch_scan,
    .latest = ps_ch_latest_events,
    .forget_player = ch_forget_player,
    .drop_raw_before = ch_drop_raw_before,
    .maintain = ch_maintain,
};
