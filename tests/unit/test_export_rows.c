/*
 * test_export_rows.c: the rows of the raw export (export/export_rows.h) and their NDJSON.gz
 * form (export/export_format.h): an analytics event's members become typed columns (absent or
 * of another JSON type: null), the raw text is kept exactly, the other kinds map their store
 * fields, and an NDJSON.gz object inflates to one JSON object per row with those values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/gzip.h"
#include "export/export_format.h"
#include "export/export_rows.h"
#include "export/target.h"

static size_t column(ps_export_kind kind, const char *name) {
  size_t n;
  const ps_pq_column *c = ps_export_columns(kind, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(c[i].name, name) == 0) return i;
  fail_msg("no column %s", name);
  return 0;
}

static void assert_text(const ps_pq_value *v, const char *want) {
  assert_false(v->is_null);
  assert_int_equal(v->len, strlen(want));
  assert_memory_equal(v->s, want, v->len);
}

static const char BODY[] =
    "{\"category\":\"business\",\"user_id\":\"u\\u00e9\",\"session_num\":3,\"client_ts\":1764547200,"
    "\"amount\":499,\"currency\":\"EUR\",\"jailbroken\":false,\"build\":7,\"value\":1.5,"
    "\"receipt_info\":{\"x\":1}}";

static void event_members_become_typed_columns(void **state) {
  (void)state;
  ps_export_row_maker m;
  ps_export_row_maker_init(&m, PS_EXPORT_EVENTS);
  size_t n;
  ps_export_columns(PS_EXPORT_EVENTS, &n);
  ps_pq_value *v = calloc(n, sizeof *v);
  ps_stored_event e = {.game_id = 1, .received_ms = 1764550000123, .category = "business",
                       .body = BODY, .body_len = strlen(BODY)};
  ps_scan_item item = {.event = &e};
  assert_int_equal(ps_export_row_make(&m, &item, v), PS_OK);
  assert_int_equal(v[column(PS_EXPORT_EVENTS, "received_at")].i, 1764550000123);
  assert_text(&v[column(PS_EXPORT_EVENTS, "category")], "business");
  assert_text(&v[column(PS_EXPORT_EVENTS, "user_id")], "u\xc3\xa9"); /* escapes decoded */
  assert_int_equal(v[column(PS_EXPORT_EVENTS, "session_num")].i, 3);
  assert_int_equal(v[column(PS_EXPORT_EVENTS, "client_ts")].i, 1764547200000);
  assert_true(v[column(PS_EXPORT_EVENTS, "amount")].d == 499.0);
  assert_text(&v[column(PS_EXPORT_EVENTS, "currency")], "EUR");
  assert_false(v[column(PS_EXPORT_EVENTS, "jailbroken")].is_null);
  assert_int_equal(v[column(PS_EXPORT_EVENTS, "jailbroken")].i, 0);
  assert_true(v[column(PS_EXPORT_EVENTS, "build")].is_null); /* a number where text is due */
  assert_true(v[column(PS_EXPORT_EVENTS, "value")].d == 1.5);
  assert_true(v[column(PS_EXPORT_EVENTS, "event_id")].is_null); /* absent */
  assert_text(&v[column(PS_EXPORT_EVENTS, "raw")], BODY);
  free(v);
  ps_export_row_maker_free(&m);
}

static void other_kinds_map_their_fields(void **state) {
  (void)state;
  ps_export_row_maker m;
  ps_pq_value v[16];
  ps_playtime_session s = {.session_id = "s1", .player = "p", .platform = "windows",
                           .portal = "steam", .mod_ids = "1,2", .started_ms = 1000,
                           .last_ms = 61000, .ended_ms = -1, .last_received_ms = 62000};
  ps_scan_item item = {.session = &s};
  ps_export_row_maker_init(&m, PS_EXPORT_MSESSIONS);
  assert_int_equal(ps_export_row_make(&m, &item, v), PS_OK);
  assert_true(v[column(PS_EXPORT_MSESSIONS, "ended_at")].is_null);
  assert_int_equal(v[column(PS_EXPORT_MSESSIONS, "length_ms")].i, 60000);
  assert_text(&v[column(PS_EXPORT_MSESSIONS, "mod_ids")], "1,2");
  s.ended_ms = 31000;
  assert_int_equal(ps_export_row_make(&m, &item, v), PS_OK);
  assert_int_equal(v[column(PS_EXPORT_MSESSIONS, "ended_at")].i, 31000);
  assert_int_equal(v[column(PS_EXPORT_MSESSIONS, "length_ms")].i, 30000);
  ps_export_row_maker_free(&m);

  ps_stored_event r = {.received_ms = 5, .category = NULL, .body = "{\"a\":1}", .body_len = 7,
                       .event_index = 4, .errors_json = "[{\"field\":\"a\"}]"};
  item = (ps_scan_item){.event = &r};
  ps_export_row_maker_init(&m, PS_EXPORT_REJECTED);
  assert_int_equal(ps_export_row_make(&m, &item, v), PS_OK);
  assert_true(v[column(PS_EXPORT_REJECTED, "category")].is_null);
  assert_int_equal(v[column(PS_EXPORT_REJECTED, "event_index")].i, 4);
  assert_text(&v[column(PS_EXPORT_REJECTED, "errors")], "[{\"field\":\"a\"}]");
  ps_export_row_maker_free(&m);
  assert_int_equal(ps_export_kind_from_name("so_events"), PS_EXPORT_SO_EVENTS);
  assert_int_equal(ps_export_kind_from_name("sessions"), -1);
}

static void ndjson_gz_holds_one_object_per_row(void **state) {
  (void)state;
  char dir[] = "/tmp/playstat-export-rows-XXXXXX", url[64], why[256], path[256];
  assert_non_null(mkdtemp(dir));
  snprintf(url, sizeof url, "file:%s", dir);
  ps_export_target *t;
  assert_int_equal(ps_target_open(url, &t, why, sizeof why), PS_OK);
  ps_target_object *o;
  assert_int_equal(ps_target_begin(t, "rows.ndjson.gz", "application/gzip", &o), PS_OK);
  static const ps_pq_column cols[] = {{"s", PS_PQ_STRING, 0}, {"i", PS_PQ_INT64, 1},
                                      {"d", PS_PQ_DOUBLE, 1}, {"b", PS_PQ_BOOLEAN, 1},
                                      {"t", PS_PQ_TIMESTAMP_MS, 1}};
  ps_export_writer *w;
  assert_int_equal(ps_export_writer_open(PS_EXPORT_NDJSON_GZ, cols, 5, o, &w), PS_OK);
  ps_pq_value row1[5] = {{.s = "a\"\n", .len = 3}, {.i = -7}, {.d = 0.25}, {.i = 1}, {.i = 1500}};
  ps_pq_value row2[5] = {{.s = "", .len = 0}, {.is_null = 1}, {.is_null = 1}, {.is_null = 1},
                         {.is_null = 1}};
  ps_pq_value bad[5] = {{.is_null = 1}};
  assert_int_equal(ps_export_writer_row(w, row1), PS_OK);
  assert_int_equal(ps_export_writer_row(w, row2), PS_OK);
  assert_int_equal(ps_export_writer_row(w, bad), PS_EINVAL); /* null in a required column */
  int64_t rows = 0, bytes = 0;
  assert_int_equal(ps_export_writer_close(w, &rows), PS_OK);
  assert_int_equal(rows, 2);
  assert_int_equal(ps_target_commit(o, &bytes, why, sizeof why), PS_OK);
  ps_target_close(t);

  snprintf(path, sizeof path, "%s/rows.ndjson.gz", dir);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  char gz[4096];
  size_t len = fread(gz, 1, sizeof gz, f);
  fclose(f);
  assert_int_equal((int64_t)len, bytes);
  ps_buf text = {0};
  assert_int_equal(ps_gunzip(gz, len, 1 << 20, &text), PS_OK);
  const char want[] =
      "{\"s\":\"a\\\"\\u000a\",\"i\":-7,\"d\":0.25,\"b\":true,\"t\":\"1970-01-01T00:00:01.500Z\"}\n"
      "{\"s\":\"\"}\n"; /* nulls are left out */
  assert_int_equal(text.len, strlen(want));
  assert_memory_equal(text.data, want, text.len);
  ps_buf_free(&text);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(event_members_become_typed_columns),
      cmocka_unit_test(other_kinds_map_their_fields),
      cmocka_unit_test(ndjson_gz_holds_one_object_per_row),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
