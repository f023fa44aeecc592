/*
 * rows.c: records (store/records.h) as TabSeparated rows of the tables of internal.h, made
 * when a record is spooled, so that what is shipped (once or again after a crash) is byte for
 * byte the same row.
 *
 * Guarantees: every column of a row is a function of the record alone, except the keys made
 * here for records without an identity of their own (an event without event_uuid, a rejected
 * event): those are random, drawn once, and travel in the spooled row. So the columns of the
 * sorting key are equal in two copies of one record, and FINAL keeps one.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/errors.h"
#include "common/random.h"
#include "store/clickhouse/internal.h"
#include "store/ga_digest.h"

const char *const ps_ch_table_names[PS_CH_NTABLES] = {"events", "rejected", "msession_requests",
                                                      "so_events"};

#define MS_PER_DAY 86400000LL

static int64_t day_of_ms(int64_t ms) {
  int64_t day = ms >= 0 ? ms / MS_PER_DAY : 0;
  return day > PS_CH_LAST_DAY ? PS_CH_LAST_DAY : day;
}

/* Rows are made on the ingest writer's thread, once per record: no printf on this path. */

/* Appends v in decimal and a tab. */
static int add_uint_digits(ps_buf *b, uint64_t v, int negative) {
  char digits[24];
  size_t n = 0;
  do {
    digits[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  if (ps_buf_reserve(b, n + 2) != PS_OK) return PS_ENOMEM;
  char *o = b->data + b->len;
  if (negative) *o++ = '-';
  while (n) *o++ = digits[--n];
  *o++ = '\t';
  b->len = (size_t)(o - b->data);
  b->data[b->len] = '\0';
  return PS_OK;
}

static int add_int(ps_buf *b, int64_t v) {
  return v < 0 ? add_uint_digits(b, (uint64_t)0 - (uint64_t)v, 1) : add_uint_digits(b, (uint64_t)v, 0);
}

static int add_uint(ps_buf *b, uint64_t v) { return add_uint_digits(b, v, 0); }

/* A double: integers (nearly every value: amounts, lengths, counts) exactly and fast, others
 * with 17 significant digits (round-trips). */
static int add_double(ps_buf *b, double v) {
  if (v >= -9.0e15 && v <= 9.0e15 && v == (double)(int64_t)v) return add_int(b, (int64_t)v);
  return ps_buf_printf(b, "%.17g\t", v);
}

static int add_date(ps_buf *b, int64_t day) {
  /* the day of the last row, kept per thread: a group's rows are nearly all of one day */
  static _Thread_local int64_t cached_day = -1;
  static _Thread_local char cached[12];
  if (day != cached_day) {
    ps_ch_date_text(day, cached);
    cached[10] = '\t';
    cached_day = day;
  }
  return ps_buf_append(b, cached, 11);
}

static int add_text(ps_buf *b, const char *s) {
  int rc = s ? ps_ch_tsv_field(b, s, strlen(s)) : PS_OK;
  return rc == PS_OK ? ps_buf_append(b, "\t", 1) : rc;
}

static int add_bytes(ps_buf *b, const char *s, size_t len) {
  int rc = ps_ch_tsv_field(b, s ? s : "", s ? len : 0);
  return rc == PS_OK ? ps_buf_append(b, "\t", 1) : rc;
}


/* Ends the row: the last field's tab becomes the newline. */
static int end_row(ps_buf *b) {
  if (b->len && b->data[b->len - 1] == '\t') b->data[b->len - 1] = '\n';
  return PS_OK;
}

/* The version ReplacingMergeTree keeps the largest of: the earliest received copy of an
 * event, and of copies received in the same millisecond by this process the first appended
 * (the counter counts down within 2^20 appends). Copies of one spooled row are equal. */
static uint64_t keep_of(int64_t received_ms) {
  static _Atomic uint64_t appended;
  uint64_t n = appended++ & ((1u << 20) - 1);
  uint64_t ms = received_ms > 0 ? (uint64_t)received_ms : 0;
  if (ms >= (1ULL << 43)) ms = (1ULL << 43) - 1;
  return (((1ULL << 43) - ms) << 20) | ((1u << 20) - 1 - n);
}

static int event_row(const ps_record *r, ps_buf *b) {
  ps_ga_digest d;
  int rc = ps_ga_digest_of_record(r, &d);
  if (rc != PS_OK) return rc;
  char key[72];
  const char *dedup = key;
  if (r->event_uuid && *r->event_uuid && strlen(r->event_uuid) < sizeof key) {
    /* one event whatever the case of its hex digits, as the SQLite store parses the uuid */
    size_t i = 0;
    for (; r->event_uuid[i]; i++) {
      char c = r->event_uuid[i];
      key[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    key[i] = '\0';
  } else if (r->event_uuid && *r->event_uuid) {
    dedup = r->event_uuid;
  } else {
    key[0] = '~'; /* never the start of a uuid a client sent (those are hex) */
    rc = ps_random_hex(key + 1, 16);
  }
  int64_t day = d.folds ? d.day
                        : day_of_ms(r->has_client_ts ? r->client_ts * 1000 : r->received_ms);
  if (rc == PS_OK) rc = add_int(b, r->game_id);
  if (rc == PS_OK) rc = add_date(b, day);
  if (rc == PS_OK) rc = add_text(b, r->category ? r->category : "");
  if (rc == PS_OK) rc = add_text(b, dedup);
  if (rc == PS_OK) rc = add_text(b, r->user_id);
  if (rc == PS_OK) rc = add_text(b, r->session_id);
  if (rc == PS_OK) rc = add_int(b, r->has_client_ts ? r->client_ts : 0);
  if (rc == PS_OK) rc = add_int(b, r->has_client_ts ? 1 : 0);
  if (rc == PS_OK) rc = add_int(b, r->received_ms);
  if (rc == PS_OK) rc = add_bytes(b, r->body, r->body_len);
  if (rc == PS_OK) rc = add_int(b, d.folds);
  if (rc == PS_OK) rc = add_int(b, d.folds ? d.day : day);
  for (int k = 1; rc == PS_OK && k < PS_GA_DIM_COUNTRY; k++)
    rc = add_text(b, d.folds ? d.dims[k] : NULL);
  if (rc == PS_OK) rc = add_int(b, d.folds && d.agg_key ? 1 : 0);
  if (rc == PS_OK) rc = add_text(b, d.folds ? d.agg_key : NULL);
  if (rc == PS_OK) rc = add_double(b, d.folds ? d.agg_value : 0.0);
  if (rc == PS_OK) rc = add_uint(b, keep_of(r->received_ms));
  if (rc == PS_OK) rc = add_text(b, r->country); /* every event's, folded or not (schema 4) */
  ps_ga_digest_release(&d);
  return rc == PS_OK ? end_row(b) : rc;
}

static int rejected_row(const ps_record *r, ps_buf *b) {
  char rid[33];
  int rc = ps_random_hex(rid, 16);
  if (rc == PS_OK) rc = add_int(b, r->game_id);
  if (rc == PS_OK) rc = add_date(b, day_of_ms(r->received_ms));
  if (rc == PS_OK) rc = add_text(b, rid);
  if (rc == PS_OK) rc = add_int(b, r->received_ms);
  if (rc == PS_OK) rc = add_int(b, r->event_index);
  if (rc == PS_OK) rc = add_text(b, r->category);
  if (rc == PS_OK) rc = add_int(b, r->category ? 1 : 0);
  if (rc == PS_OK) rc = add_bytes(b, r->body, r->body_len);
  if (rc == PS_OK) rc = add_text(b, r->errors_json ? r->errors_json : "[]");
  return rc == PS_OK ? end_row(b) : rc;
}

static int msession_row(const ps_record *r, ps_buf *b) {
  const ps_msession_record *m = r->msession;
  int rc = add_int(b, r->game_id);
  if (rc == PS_OK) rc = add_date(b, day_of_ms(m->ts_ms));
  if (rc == PS_OK) rc = add_text(b, m->session_id);
  if (rc == PS_OK) rc = add_text(b, m->nonce);
  if (rc == PS_OK) rc = add_int(b, (int64_t)m->kind);
  if (rc == PS_OK) rc = add_text(b, m->player);
  if (rc == PS_OK) rc = add_text(b, m->platform);
  if (rc == PS_OK) rc = add_text(b, m->portal);
  if (rc == PS_OK) rc = add_text(b, m->mod_ids);
  if (rc == PS_OK) rc = add_int(b, m->ts_ms);
  if (rc == PS_OK) rc = add_int(b, m->order_id);
  if (rc == PS_OK) rc = add_int(b, r->received_ms);
  return rc == PS_OK ? end_row(b) : rc;
}

/* An Array(String) or Array(Int64) column: the literal ['a','b'], then escaped as a field. */
static int add_array(ps_buf *b, const char *const *texts, const ps_so_player *players,
                     int numbers, size_t n) {
  ps_buf lit = {0};
  int rc = ps_buf_append(&lit, "[", 1);
  for (size_t i = 0; rc == PS_OK && i < n; i++) {
    if (i) rc = ps_buf_append(&lit, ",", 1);
    if (rc != PS_OK) break;
    if (numbers) {
      rc = ps_buf_printf(&lit, "%lld", (long long)players[i].number);
    } else {
      const char *t = texts ? texts[i] : players[i].hash;
      rc = ps_ch_sql_string(&lit, t, strlen(t));
    }
  }
  if (rc == PS_OK) rc = ps_buf_append(&lit, "]", 1);
  if (rc == PS_OK) rc = add_bytes(b, lit.data, lit.len);
  ps_buf_free(&lit);
  return rc;
}

/* The order of appends in this process: microseconds of the wall clock, strictly increasing
 * (a later append gets a larger value, also across restarts while the clock moves on). */
static int64_t append_seq(void) {
  static _Atomic int64_t last;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  int64_t now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, prev = last;
  for (;;) {
    int64_t next = now > prev ? now : prev + 1;
    if (atomic_compare_exchange_weak(&last, &prev, next)) return next; /* else prev reloaded */
  }
}

static int so_event_row(const ps_record *r, ps_buf *b) {
  const ps_so_event_record *e = r->so_event;
  int rc = add_text(b, e->session.project_id);
  if (rc == PS_OK) rc = add_text(b, e->session.environment_id);
  if (rc == PS_OK) rc = add_text(b, e->session.session_id);
  if (rc == PS_OK) rc = add_text(b, e->event_key);
  if (rc == PS_OK) rc = add_text(b, e->type);
  if (rc == PS_OK) rc = add_int(b, e->ts_ms);
  if (rc == PS_OK) rc = add_int(b, r->received_ms);
  if (rc == PS_OK) rc = add_date(b, day_of_ms(e->ts_ms));
  if (rc == PS_OK) rc = add_bytes(b, e->body, e->body_len);
  if (rc == PS_OK) rc = add_text(b, e->pool_id);
  if (rc == PS_OK) rc = add_text(b, e->pool_name);
  if (rc == PS_OK) rc = add_text(b, e->queue_id);
  if (rc == PS_OK) rc = add_text(b, e->queue_name);
  if (rc == PS_OK) rc = add_text(b, e->region_id);
  if (rc == PS_OK) rc = add_int(b, e->pool_id || e->pool_name || e->queue_id || e->queue_name);
  if (rc == PS_OK) rc = add_int(b, e->backfill ? 1 : 0);
  if (rc == PS_OK) rc = add_array(b, NULL, e->players, 0, e->nplayers);
  if (rc == PS_OK) rc = add_array(b, NULL, e->players, 1, e->nplayers);
  if (rc == PS_OK) rc = add_array(b, e->ticket_ids, NULL, 0, e->nticket_ids);
  if (rc == PS_OK)
    rc = add_uint(b, (1ULL << 62) - (uint64_t)append_seq());
  return rc == PS_OK ? end_row(b) : rc;
}

int ps_ch_row_of_record(const ps_record *r, ps_buf rows[PS_CH_NTABLES]) {
  switch (r->kind) {
    case PS_RECORD_EVENT: return event_row(r, &rows[PS_CH_EVENTS]);
    case PS_RECORD_REJECTED: return rejected_row(r, &rows[PS_CH_REJECTED]);
    case PS_RECORD_MSESSION: return msession_row(r, &rows[PS_CH_MSESSIONS]);
    case PS_RECORD_SO_EVENT: return so_event_row(r, &rows[PS_CH_SO_EVENTS]);
  }
  return PS_EINVAL;
}
