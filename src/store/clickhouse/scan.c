/*
 * scan.c: the ClickHouse event store's scans (events.h ps_scan_query): analytics events,
 * rejected events and multiplayer session events in arrival order, metrics sessions oldest
 * start first, each over the query's range or everything, page by page.
 *
 * Guarantees:
 * - Range (events.h): events, rejected and multiplayer session events by received_ms; a
 *   metrics session by the time it was over: the arrival of its (first) end request, else its
 *   last request's arrival plus the session timeout once that has passed (the wall clock now);
 *   a session still in play is visited only by an unranged scan.
 * - Stored once: a record's copies (shipped twice, or resent with the same identity and
 *   received again) are visited once, as the copy ReplacingMergeTree keeps: the one with the
 *   highest `keep` (the first received / stored), its arrival time and body included. Copies of
 *   one record sit on one shard (the sharding expression is a function of the record).
 * - Bounded memory, here and in ClickHouse: at most SCAN_PAGE items are read per query.
 *   Events and multiplayer events page in two steps, so that no page reads more than its rows
 *   (whatever the copies): (1) the bound: the key (arrival, identity part) of the SCAN_PAGE-th
 *   stored row after the previous page's bound (the bounds of BOUNDS_PER_QUERY pages are found
 *   by one read of the keys); (2) the records with a row whose key lies in
 *   (previous bound, bound], deduplicated by their identity over all their copies, of which
 *   those whose kept copy's key lies in that interval are visited. Each record's kept copy is
 *   itself a row of exactly one interval, so every record is visited once, in key order.
 * - Reads only the range where the keys allow it: rejected events by their primary key
 *   (game_id, received_ms, rid) and their date (the arrival day); metrics sessions by the days
 *   of their requests (a request's session_ts lies within the session window of its arrival:
 *   options.h) and then by session_id; events by game_id and multiplayer events by project_id
 *   (their date is the client's day, unrelated to arrival: a device with a wrong clock sends
 *   events dated years away, so date cannot bound an arrival range), with the arrival filter
 *   applied to the received_ms column alone before the bodies are read (PREWHERE).
 * - Multiplayer events: every project when q->project_id is NULL.
 *
 * ClickHouse features avoided (18.16): tuple comparisons in WHERE (spelled out), FINAL for
 * the two-step pages (GROUP BY the identity with argMax by keep instead), window functions.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/errors.h"
#include "store/clickhouse/internal.h"

/* Items per page: 50,000 (about 25 MB of bodies in an answer). A page's second step reads
 * the identities of the game's rows to gather the copies of its records, so a scan costs
 * about (rows / page) such reads: 5,000 per page exported a million events in 54 s, 50,000 in
 * 21 s (docs/PERFORMANCE.md). $PLAYSTAT_CH_SCAN_PAGE (100 to 1,000,000) sets it, for the tests
 * of paging. */
#define SCAN_PAGE_DEFAULT 50000
static int scan_page(void) {
  const char *text = getenv("PLAYSTAT_CH_SCAN_PAGE");
  long v = text ? strtol(text, NULL, 10) : 0;
  return v >= 100 && v <= 1000000 ? (int)v : SCAN_PAGE_DEFAULT;
}
#define SCAN_PAGE scan_page()
#define BOUNDS_PER_QUERY 8 /* pages of events found per read of their keys */
#define MS_PER_DAY 86400000LL

/* An so_events row's arrival sequence (rows.c) from its keep. */
#define SO_SEQ "(4611686018427387904 - toInt64(keep))"

/* A page key: an integer (arrival or start time) and a second part, text or integer. */
typedef struct page_key {
  int set;
  ps_buf first, second;
} page_key;

static void page_key_free(page_key *k) {
  ps_buf_free(&k->first);
  ps_buf_free(&k->second);
}

static int page_key_take(page_key *k, const ps_ch_rows *rows, size_t at) {
  ps_buf_reset(&k->first);
  ps_buf_reset(&k->second);
  k->set = 1;
  int rc = ps_buf_append(&k->first, ps_ch_field(rows, at), rows->lens[at]);
  if (rc == PS_OK) rc = ps_buf_append(&k->second, ps_ch_field(rows, at + 1), rows->lens[at + 1]);
  return rc;
}

/* Appends " AND (c1, c2) > k" (upper = 0) or " AND (c1, c2) <= k" (upper = 1), spelled out. */
static int append_key_bound(ps_buf *sql, const char *c1, const char *c2, int second_text,
                            const page_key *k, int upper) {
  if (!k->set) return PS_OK;
  const char *v1 = k->first.data ? k->first.data : "0";
  int rc = ps_buf_printf(sql, " AND (%s %s %s OR (%s = %s AND %s %s ", c1, upper ? "<" : ">", v1,
                         c1, v1, c2, upper ? "<=" : ">");
  if (rc != PS_OK) return rc;
  if (second_text)
    rc = ps_ch_sql_string(sql, k->second.data ? k->second.data : "", k->second.len);
  else
    rc = ps_buf_append_str(sql, k->second.data ? k->second.data : "0");
  return rc == PS_OK ? ps_buf_append_str(sql, "))") : rc;
}

/* Appends " AND col >= from AND col < to" when q is ranged. */
static int append_range(ps_buf *sql, const char *col, const ps_scan_query *q) {
  if (q->to_ms <= 0) return PS_OK;
  return ps_buf_printf(sql, " AND %s >= %" PRId64 " AND %s < %" PRId64, col, q->from_ms, col,
                       q->to_ms);
}

/* ---- the two-step kinds: analytics events, multiplayer session events ---- */

/* What differs between the two: where their rows are, what identifies a record, the key. */
typedef struct two_step {
  const char *table;    /* internal.h name */
  const char *identity; /* the sorting key's columns after the scope */
  const char *second;   /* the key's second part (over a row) */
  int second_text;
} two_step;

static const two_step events_kind = {"events", "game_id, date, category, dedup_key", "dedup_key", 1};
static const two_step so_events_kind = {"so_events",
                                        "project_id, environment_id, session_id, event_key",
                                        SO_SEQ, 0};

/* The rows' scope: game (and category) or project. */
static int append_scope(ps_buf *sql, const ps_scan_query *q) {
  int rc;
  if (q->kind == PS_SCAN_SO_EVENTS) {
    if (!q->project_id) return ps_buf_append_str(sql, "1");
    rc = ps_buf_append_str(sql, "project_id = ");
    return rc == PS_OK ? ps_ch_sql_string(sql, q->project_id, strlen(q->project_id)) : rc;
  }
  rc = ps_buf_printf(sql, "game_id = %" PRId64, q->game_id);
  if (rc == PS_OK && q->category) {
    rc = ps_buf_append_str(sql, " AND category = ");
    if (rc == PS_OK) rc = ps_ch_sql_string(sql, q->category, strlen(q->category));
  }
  return rc;
}

/* Step 1: the keys of the SCAN_PAGE-th, 2 * SCAN_PAGE-th, ... rows after `after`, at most
 * BOUNDS_PER_QUERY of them (fewer: what follows the last one is less than a page), found in
 * one read of the range's keys for that many pages. */
static int bounds_sql(ch_store *s, const two_step *t, const ps_scan_query *q,
                      const page_key *after, ps_buf *sql) {
  char table[160];
  ps_ch_table(s, t->table, table, sizeof table);
  int rc = ps_buf_printf(sql,
                         "SELECT tupleElement(k, 1), tupleElement(k, 2) FROM (SELECT"
                         " arraySort(groupArray((received_ms, second))) AS ks FROM (SELECT"
                         " received_ms, %s AS second FROM %s PREWHERE ",
                         t->second, table);
  if (rc == PS_OK) rc = append_scope(sql, q);
  if (rc == PS_OK) rc = append_range(sql, "received_ms", q);
  if (rc == PS_OK) rc = append_key_bound(sql, "received_ms", t->second, t->second_text, after, 0);
  if (rc == PS_OK)
    rc = ps_buf_printf(sql,
                       " ORDER BY received_ms, second LIMIT %d)) ARRAY JOIN"
                       " arrayFilter((x, i) -> i %% %d = 0, ks, arrayEnumerate(ks)) AS k",
                       SCAN_PAGE * BOUNDS_PER_QUERY, SCAN_PAGE);
  return rc;
}

/* Step 2: the records with a row in (after, bound], as their kept copy, in key order. */
static int records_sql(ch_store *s, const two_step *t, const ps_scan_query *q,
                       const page_key *after, const page_key *bound, ps_buf *sql) {
  char table[160], local[160];
  ps_ch_table(s, t->table, table, sizeof table);
  ps_ch_local_table(s, t->table, local, sizeof local);
  int rc;
  if (q->kind == PS_SCAN_SO_EVENTS)
    rc = ps_buf_printf(sql,
                       "SELECT project_id, environment_id, session_id, event_key, kept_type,"
                       " kept_ts, arrived, kept_body, arrived, seq FROM (SELECT %s,"
                       " argMax(type, keep) AS kept_type, argMax(ts_ms, keep) AS kept_ts,"
                       " argMax(received_ms, keep) AS arrived, argMax(body, keep) AS kept_body,"
                       " 4611686018427387904 - toInt64(max(keep)) AS seq FROM %s WHERE ",
                       t->identity, table);
  else
    rc = ps_buf_printf(sql,
                       "SELECT game_id, arrived, category, kept_body, arrived, dedup_key,"
                       " kept_country FROM (SELECT %s, argMax(received_ms, keep) AS arrived,"
                       " argMax(body, keep) AS kept_body, argMax(country, keep) AS kept_country"
                       " FROM %s WHERE ",
                       t->identity, table);
  if (rc == PS_OK) rc = append_scope(sql, q);
  if (rc == PS_OK) rc = ps_buf_printf(sql, " AND (%s) IN (SELECT %s FROM %s PREWHERE ",
                                      t->identity, t->identity, local);
  if (rc == PS_OK) rc = append_scope(sql, q);
  if (rc == PS_OK) rc = append_range(sql, "received_ms", q);
  if (rc == PS_OK) rc = append_key_bound(sql, "received_ms", t->second, t->second_text, after, 0);
  if (rc == PS_OK) rc = append_key_bound(sql, "received_ms", t->second, t->second_text, bound, 1);
  if (rc == PS_OK) rc = ps_buf_printf(sql, ") GROUP BY %s) WHERE 1", t->identity);
  const char *kept_second = q->kind == PS_SCAN_SO_EVENTS ? "seq" : "dedup_key";
  if (rc == PS_OK) rc = append_range(sql, "arrived", q);
  if (rc == PS_OK) rc = append_key_bound(sql, "arrived", kept_second, t->second_text, after, 0);
  if (rc == PS_OK) rc = append_key_bound(sql, "arrived", kept_second, t->second_text, bound, 1);
  if (rc == PS_OK) rc = ps_buf_printf(sql, " ORDER BY arrived, %s, %s", kept_second, t->identity);
  return rc;
}

static int visit_record_row(const ps_scan_query *q, const ps_ch_rows *rows,
                            ps_scan_visitor visit, void *ctx) {
  ps_scan_item item = {0};
  if (q->kind == PS_SCAN_SO_EVENTS) {
    ps_stored_so_event e = {
        .project_id = ps_ch_field(rows, 0), .environment_id = ps_ch_field(rows, 1),
        .session_id = ps_ch_field(rows, 2), .event_key = ps_ch_field(rows, 3),
        .type = ps_ch_field(rows, 4), .ts_ms = ps_ch_field_int(rows, 5),
        .received_ms = ps_ch_field_int(rows, 6), .body = ps_ch_field(rows, 7),
        .body_len = rows->lens[7]};
    item.so_event = &e;
    return visit(&item, ctx);
  }
  ps_stored_event e = {.game_id = ps_ch_field_int(rows, 0),
                       .received_ms = ps_ch_field_int(rows, 1),
                       .category = ps_ch_field(rows, 2), .body = ps_ch_field(rows, 3),
                       .body_len = rows->lens[3],
                       .country = *ps_ch_field(rows, 6) ? ps_ch_field(rows, 6) : NULL};
  item.event = &e;
  return visit(&item, ctx);
}

/* Visits the records with a row in (after, bound] (bound unset: after `after`). */
static int visit_page(ch_store *s, const two_step *t, const ps_scan_query *q,
                      const page_key *after, const page_key *bound, ps_buf *sql, ps_buf *answer,
                      ps_scan_visitor visit, void *ctx) {
  ps_buf_reset(sql);
  int rc = records_sql(s, t, q, after, bound, sql);
  if (rc == PS_OK) rc = ps_ch_query(s, sql->data, answer);
  ps_ch_rows rows;
  if (rc == PS_OK) ps_ch_rows_init(&rows, answer);
  while (rc == PS_OK && ps_ch_rows_next(&rows)) rc = visit_record_row(q, &rows, visit, ctx);
  return rc;
}

static int scan_two_step(ch_store *s, const two_step *t, const ps_scan_query *q,
                         ps_scan_visitor visit, void *ctx) {
  ps_buf sql = {0}, answer = {0}, bounds = {0};
  page_key after = {0}, bound = {0};
  int rc = PS_OK;
  for (;;) {
    ps_buf_reset(&sql);
    rc = bounds_sql(s, t, q, &after, &sql);
    if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &bounds);
    if (rc != PS_OK) break;
    ps_ch_rows rows;
    ps_ch_rows_init(&rows, &bounds);
    int found = 0;
    while (rc == PS_OK && ps_ch_rows_next(&rows)) {
      found++;
      rc = page_key_take(&bound, &rows, 0);
      if (rc == PS_OK) rc = visit_page(s, t, q, &after, &bound, &sql, &answer, visit, ctx);
      page_key swap = after; /* the next page starts after this bound */
      after = bound;
      bound = swap;
    }
    if (rc != PS_OK) break;
    if (found < BOUNDS_PER_QUERY) { /* less than a page follows the last bound: the rest */
      bound.set = 0;
      rc = visit_page(s, t, q, &after, &bound, &sql, &answer, visit, ctx);
      break;
    }
  }
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  ps_buf_free(&bounds);
  page_key_free(&after);
  page_key_free(&bound);
  return rc;
}

/* ---- the one-step kinds: rejected events, metrics sessions ---- */

static int rejected_sql(ch_store *s, const ps_scan_query *q, const page_key *after, ps_buf *sql) {
  char table[160];
  ps_ch_table(s, "rejected", table, sizeof table);
  /* the newest rejected_keep only (events.h): older ones are trimmed by maintain */
  int rc = ps_buf_printf(sql,
                         "SELECT game_id, received_ms, category, body, event_index, errors,"
                         " has_category, received_ms, rid FROM (SELECT * FROM %s FINAL"
                         " WHERE game_id = %" PRId64
                         " ORDER BY received_ms DESC, event_index DESC, rid DESC LIMIT %" PRId64
                         ") WHERE 1",
                         table, q->game_id, s->rejected_keep);
  if (rc == PS_OK && q->to_ms > 0) {
    /* the arrival day bounds the partitions and the date column */
    rc = ps_buf_append_str(sql, " AND date >= ");
    if (rc == PS_OK) rc = ps_ch_sql_day(sql, q->from_ms);
    if (rc == PS_OK) rc = ps_buf_append_str(sql, " AND date <= ");
    if (rc == PS_OK) rc = ps_ch_sql_day(sql, q->to_ms);
  }
  if (rc == PS_OK) rc = append_range(sql, "received_ms", q);
  if (rc == PS_OK && q->category) {
    rc = ps_buf_append_str(sql, " AND category = ");
    if (rc == PS_OK) rc = ps_ch_sql_string(sql, q->category, strlen(q->category));
  }
  if (rc == PS_OK) rc = append_key_bound(sql, "received_ms", "rid", 1, after, 0);
  if (rc == PS_OK) rc = ps_buf_printf(sql, " ORDER BY received_ms, rid LIMIT %d", SCAN_PAGE);
  return rc;
}

static int msessions_sql(ch_store *s, const ps_scan_query *q, int64_t now_ms,
                         const page_key *after, ps_buf *sql) {
  char table[160];
  ps_ch_table(s, "msession_requests", table, sizeof table);
  int64_t timeout = s->msession_timeout_ms, window = s->msession_window_ms;
  int rc = ps_buf_printf(
      sql,
      "SELECT session_id, player, platform, portal, mod_ids, started, last, ended, last_received,"
      " started, session_id FROM (SELECT session_id, anyIf(player, kind = 0) AS player,"
      " anyIf(platform, kind = 0) AS platform, anyIf(portal, kind = 0) AS portal,"
      " anyIf(mod_ids, kind = 0) AS mod_ids, minIf(ts_ms, kind = 0) AS started,"
      " max(ts_ms) AS last, countIf(kind = 2) > 0 AS has_end,"
      " if(has_end, minIf(ts_ms, kind = 2), -1) AS ended, max(received_ms) AS last_received,"
      " if(has_end, minIf(received_ms, kind = 2), last_received + %" PRId64 ") AS over_ms"
      " FROM %s FINAL WHERE game_id = %" PRId64,
      timeout, table, q->game_id);
  if (rc == PS_OK && q->to_ms > 0) {
    /* a session over in [from, to) has its end, or its last request, received in
     * [from - timeout, to); that request's session_ts (its date) lies within the window */
    rc = ps_buf_printf(sql,
                       " AND session_id GLOBAL IN (SELECT session_id FROM %s WHERE game_id = %" PRId64
                       " AND date >= ",
                       table, q->game_id);
    if (rc == PS_OK) rc = ps_ch_sql_day(sql, q->from_ms - timeout - window);
    if (rc == PS_OK) rc = ps_buf_append_str(sql, " AND date <= ");
    if (rc == PS_OK) rc = ps_ch_sql_day(sql, q->to_ms + window);
    if (rc == PS_OK)
      rc = ps_buf_printf(sql, " AND received_ms >= %" PRId64 " AND received_ms < %" PRId64 ")",
                         q->from_ms - timeout, q->to_ms);
  }
  if (rc == PS_OK) rc = ps_buf_append_str(sql, " GROUP BY session_id HAVING countIf(kind = 0) > 0) WHERE 1");
  if (rc == PS_OK && q->to_ms > 0) {
    rc = append_range(sql, "over_ms", q);
    if (rc == PS_OK) rc = ps_buf_printf(sql, " AND (has_end OR over_ms < %" PRId64 ")", now_ms);
  }
  if (rc == PS_OK) rc = append_key_bound(sql, "started", "session_id", 1, after, 0);
  if (rc == PS_OK) rc = ps_buf_printf(sql, " ORDER BY started, session_id LIMIT %d", SCAN_PAGE);
  return rc;
}

static int visit_one_step_row(const ps_scan_query *q, const ps_ch_rows *rows,
                              ps_scan_visitor visit, void *ctx) {
  ps_scan_item item = {0};
  if (q->kind == PS_SCAN_MSESSIONS) {
    ps_playtime_session m = {.session_id = ps_ch_field(rows, 0), .player = ps_ch_field(rows, 1),
                             .platform = ps_ch_field(rows, 2), .portal = ps_ch_field(rows, 3),
                             .mod_ids = ps_ch_field(rows, 4),
                             .started_ms = ps_ch_field_int(rows, 5),
                             .last_ms = ps_ch_field_int(rows, 6),
                             .ended_ms = ps_ch_field_int(rows, 7),
                             .last_received_ms = ps_ch_field_int(rows, 8)};
    item.session = &m;
    return visit(&item, ctx);
  }
  ps_stored_event e = {.game_id = ps_ch_field_int(rows, 0),
                       .received_ms = ps_ch_field_int(rows, 1),
                       .category = ps_ch_field_int(rows, 6) ? ps_ch_field(rows, 2) : NULL,
                       .body = ps_ch_field(rows, 3), .body_len = rows->lens[3],
                       .event_index = (int)ps_ch_field_int(rows, 4),
                       .errors_json = ps_ch_field(rows, 5)};
  item.event = &e;
  return visit(&item, ctx);
}

static int scan_one_step(ch_store *s, const ps_scan_query *q, ps_scan_visitor visit, void *ctx) {
  ps_buf sql = {0}, answer = {0};
  page_key after = {0};
  int64_t now_ms = ps_now_ms(); /* one now for every page */
  int rc = PS_OK;
  for (;;) {
    ps_buf_reset(&sql);
    rc = q->kind == PS_SCAN_MSESSIONS ? msessions_sql(s, q, now_ms, &after, &sql)
                                      : rejected_sql(s, q, &after, &sql);
    if (rc == PS_OK) rc = ps_ch_query(s, sql.data, &answer);
    if (rc != PS_OK) break;
    ps_ch_rows rows;
    ps_ch_rows_init(&rows, &answer);
    size_t n = 0;
    while (rc == PS_OK && ps_ch_rows_next(&rows)) {
      n++;
      rc = page_key_take(&after, &rows, rows.nfields - 2);
      if (rc == PS_OK) rc = visit_one_step_row(q, &rows, visit, ctx);
    }
    if (rc != PS_OK || n < (size_t)SCAN_PAGE) break;
  }
  ps_buf_free(&sql);
  ps_buf_free(&answer);
  page_key_free(&after);
  return rc;
}

int ps_ch_scan(ch_store *s, const ps_scan_query *q, ps_scan_visitor visit, void *ctx) {
  ps_ch_ship_own(s); /* a scan (an export) sees every record appended before it */
  switch (q->kind) {
    case PS_SCAN_EVENTS: return scan_two_step(s, &events_kind, q, visit, ctx);
    case PS_SCAN_SO_EVENTS: return scan_two_step(s, &so_events_kind, q, visit, ctx);
    case PS_SCAN_REJECTED:
    case PS_SCAN_MSESSIONS: return scan_one_step(s, q, visit, ctx);
  }
  return PS_EINVAL;
}
