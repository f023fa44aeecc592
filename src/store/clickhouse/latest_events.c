/*
 * latest_events.c: the ClickHouse event store's latest() (events.h): a game's newest
 * analytics events, for the read API's live feed.
 *
 * How: on each shard, the identities of the game's `limit` records with the newest rows
 * (ORDER BY received_ms DESC LIMIT 1 BY the identity, over the shard's own table); then, over
 * the Distributed table, each of those records as its kept copy (argMax by keep, as scan.c
 * reads them), newest arrival first, `limit` of them. Memory and the answer are bounded by the
 * limit; ClickHouse reads the game's received_ms column to find the newest rows (the sorting
 * key leads with the client's date, which says nothing about arrival).
 *
 * Guarantees: newest kept arrival first; each record once, however often it was shipped.
 * Delay: a record appears once it is in ClickHouse, i.e. once maintain() has shipped the spool
 * after its append (serve runs it every second; longer while ClickHouse is unreachable). A
 * record resent much later can take one of the `limit` places with its first arrival.
 *
 * ClickHouse 18.16: LIMIT n BY and tuple IN (subquery) exist there; no window functions.
 */
#include <inttypes.h>

#include "common/errors.h"
#include "store/clickhouse/internal.h"

#define IDENTITY "date, category, dedup_key"

static int latest_sql(ch_store *s, int64_t game_id, size_t limit, ps_buf *sql) {
  char table[160], local[160];
  ps_ch_table(s, "events", table, sizeof table);
  ps_ch_local_table(s, "events", local, sizeof local);
  return ps_buf_printf(
      sql,
      "SELECT arrived, category, kept_body FROM (SELECT " IDENTITY ","
      " argMax(received_ms, keep) AS arrived, argMax(body, keep) AS kept_body FROM %s"
      " WHERE game_id = %" PRId64 " AND (" IDENTITY ") IN (SELECT " IDENTITY " FROM %s"
      " PREWHERE game_id = %" PRId64 " ORDER BY received_ms DESC LIMIT 1 BY " IDENTITY
      " LIMIT %zu) GROUP BY " IDENTITY ") ORDER BY arrived DESC, dedup_key DESC LIMIT %zu",
      table, game_id, local, game_id, limit, limit);
}

int ps_ch_latest_events(ps_event_store *base, int64_t game_id, size_t limit,
                        ps_scan_visitor visit, void *ctx) {
  if (limit < 1 || limit > PS_LATEST_MAX) return PS_EINVAL;
  ch_store *s = (ch_store *)base;
  ps_buf sql = {0}, answer = {0};
  int rc = latest_sql(s, game_id, limit, &sql);
  if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, &answer);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) {
    ps_stored_event e = {.game_id = game_id, .received_ms = ps_ch_field_int(&rows, 0),
                         .category = ps_ch_field(&rows, 1), .body = ps_ch_field(&rows, 2),
                         .body_len = rows.lens[2]};
    ps_scan_item item = {.event = &e};
    rc = visit(&item, ctx);
  }
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  return rc;
}
