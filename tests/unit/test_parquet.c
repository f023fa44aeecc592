/* test_parquet.c: the Parquet writer (export/parquet.h) and its two encoders: refused schemas
 * and rows, sink errors returned, the file's frame (PAR1, footer length) and footer contents
 * (num_rows, row groups, pages of a chunk) decoded with export/thrift_compact.h's reader, and
 * the exact bytes of the RLE/bit-packed hybrid and of compact field headers. The values
 * themselves are checked by independent readers in integration/parquet_readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/errors.h"
#include "export/parquet.h"
#include "export/rle_hybrid.h"
#include "export/thrift_compact.h"

static int buf_sink(const void *data, size_t len, void *ctx) {
  return ps_buf_append(ctx, data, len);
}

/* Accepts budget bytes, then fails with PS_EIO. */
typedef struct failing_sink {
  size_t budget;
  ps_buf got;
} failing_sink;

static int failing(const void *data, size_t len, void *ctx) {
  failing_sink *f = ctx;
  if (len > f->budget) return PS_EIO;
  f->budget -= len;
  return ps_buf_append(&f->got, data, len);
}

static const ps_pq_column kColumns[] = {
    {"id", PS_PQ_INT64, 0},
    {"name", PS_PQ_STRING, 1},
    {"at", PS_PQ_TIMESTAMP_MS, 1},
    {"score", PS_PQ_DOUBLE, 0},
    {"ok", PS_PQ_BOOLEAN, 1},
};
#define NCOLUMNS (sizeof kColumns / sizeof kColumns[0])

static void fill_row(ps_pq_value *v, int64_t i, const char *text) {
  memset(v, 0, NCOLUMNS * sizeof *v);
  v[0].i = i;
  v[1].is_null = i % 3 == 0;
  v[1].s = text;
  v[1].len = strlen(text);
  v[2].i = 1700000000000 + i;
  v[3].d = (double)i / 2;
  v[4].i = i & 1;
  v[4].is_null = i % 5 == 0;
}

static ps_tc_field field(const uint8_t *data, size_t len, int16_t id) {
  ps_tc_field f;
  assert_int_equal(ps_tc_read_field(data, len, id, &f, NULL), PS_OK);
  return f;
}

/* Checks the frame of file and returns its footer (the FileMetaData). */
static const uint8_t *footer_of(const ps_buf *file, size_t *len) {
  const uint8_t *p = (const uint8_t *)file->data;
  assert_true(file->len >= 12);
  assert_memory_equal(p, "PAR1", 4);
  assert_memory_equal(p + file->len - 4, "PAR1", 4);
  const uint8_t *l = p + file->len - 8;
  size_t footer = (size_t)l[0] | (size_t)l[1] << 8 | (size_t)l[2] << 16 | (size_t)l[3] << 24;
  assert_true(footer > 0 && footer <= file->len - 12);
  size_t used = 0;
  ps_tc_field f;
  const uint8_t *meta = p + file->len - 8 - footer;
  assert_int_equal(ps_tc_read_field(meta, footer, 3, &f, &used), PS_OK);
  assert_int_equal(used, footer); /* the footer is exactly one struct */
  *len = footer;
  return meta;
}

/* The row groups' num_rows, summed, and their count. */
static int64_t row_group_rows(const uint8_t *meta, size_t len, size_t *groups) {
  ps_tc_field list = field(meta, len, 4);
  assert_int_equal(list.type, PS_TC_LIST);
  assert_int_equal(list.element, PS_TC_STRUCT);
  int64_t rows = 0;
  size_t at = list.at;
  for (size_t g = 0; g < list.count; g++) {
    size_t used = 0;
    ps_tc_field n;
    assert_int_equal(ps_tc_read_field(meta + at, len - at, 3, &n, &used), PS_OK);
    rows += n.i;
    at += used;
  }
  *groups = list.count;
  return rows;
}

/* Checks the frame of file and that its footer and row groups count rows; returns the number
 * of row groups. */
static size_t check_rows(const ps_buf *file, int64_t rows) {
  size_t len, groups;
  const uint8_t *meta = footer_of(file, &len);
  assert_int_equal(field(meta, len, 3).i, rows);
  assert_int_equal(row_group_rows(meta, len, &groups), rows);
  return groups;
}

static void write_file(size_t rows, const ps_pq_options *o, ps_buf *file, const char *text) {
  ps_pq_writer *w;
  assert_int_equal(ps_pq_open(kColumns, NCOLUMNS, o, buf_sink, file, &w), PS_OK);
  ps_pq_value v[NCOLUMNS];
  for (size_t i = 0; i < rows; i++) {
    fill_row(v, (int64_t)i, text);
    assert_int_equal(ps_pq_write_row(w, v), PS_OK);
  }
  int64_t written = -1;
  assert_int_equal(ps_pq_close(w, &written), PS_OK);
  assert_int_equal(written, rows);
}

static void refuses_bad_schemas(void **state) {
  ps_buf file = {0};
  ps_pq_writer *w = (ps_pq_writer *)&file;
  assert_int_equal(ps_pq_open(kColumns, 0, NULL, buf_sink, &file, &w), PS_EINVAL);
  assert_null(w);
  ps_pq_column dup[] = {{"a", PS_PQ_INT64, 0}, {"b", PS_PQ_STRING, 1}, {"a", PS_PQ_DOUBLE, 1}};
  assert_int_equal(ps_pq_open(dup, 3, NULL, buf_sink, &file, &w), PS_EINVAL);
  ps_pq_column empty[] = {{"", PS_PQ_INT64, 0}};
  assert_int_equal(ps_pq_open(empty, 1, NULL, buf_sink, &file, &w), PS_EINVAL);
  ps_pq_column unnamed[] = {{NULL, PS_PQ_INT64, 0}};
  assert_int_equal(ps_pq_open(unnamed, 1, NULL, buf_sink, &file, &w), PS_EINVAL);
  assert_int_equal(file.len, 0); /* nothing written for a refused schema */
}

static void refuses_a_null_in_a_required_column(void **state) {
  ps_buf file = {0};
  ps_pq_writer *w;
  assert_int_equal(ps_pq_open(kColumns, NCOLUMNS, NULL, buf_sink, &file, &w), PS_OK);
  ps_pq_value v[NCOLUMNS];
  fill_row(v, 1, "x");
  v[0].is_null = 1; /* id is REQUIRED */
  assert_int_equal(ps_pq_write_row(w, v), PS_EINVAL);
  fill_row(v, 1, "x");
  v[3].is_null = 1; /* score too */
  assert_int_equal(ps_pq_write_row(w, v), PS_EINVAL);
  fill_row(v, 1, "x");
  v[1].is_null = v[2].is_null = v[4].is_null = 1; /* the OPTIONAL ones may be null */
  assert_int_equal(ps_pq_write_row(w, v), PS_OK);
  int64_t rows;
  assert_int_equal(ps_pq_close(w, &rows), PS_OK);
  assert_int_equal(rows, 1); /* the refused rows are not in the file */
  assert_int_equal(check_rows(&file, 1), 1);
  ps_buf_free(&file);
}

static void returns_the_sink_error(void **state) {
  /* At open (the leading magic), in a row group's pages, and in the footer. */
  failing_sink f = {0};
  ps_pq_writer *w;
  assert_int_equal(ps_pq_open(kColumns, NCOLUMNS, NULL, failing, &f, &w), PS_EIO);
  assert_null(w);

  ps_pq_options small = {.codec = PS_PQ_UNCOMPRESSED, .row_group_bytes = 1000};
  f.budget = 200;
  assert_int_equal(ps_pq_open(kColumns, NCOLUMNS, &small, failing, &f, &w), PS_OK);
  ps_pq_value v[NCOLUMNS];
  int rc = PS_OK;
  size_t i;
  for (i = 0; i < 1000 && rc == PS_OK; i++) {
    fill_row(v, (int64_t)i, "some text");
    rc = ps_pq_write_row(w, v);
  }
  assert_int_equal(rc, PS_EIO);
  assert_true(i < 1000);
  assert_int_equal(ps_pq_write_row(w, v), PS_EIO); /* stays failed */
  int64_t rows = -1;
  assert_int_equal(ps_pq_close(w, &rows), PS_EIO);
  assert_int_equal(rows, 0);

  /* Everything fits but the footer. */
  ps_buf whole = {0};
  write_file(10, NULL, &whole, "abc");
  ps_buf_reset(&f.got);
  f.budget = whole.len - 1;
  assert_int_equal(ps_pq_open(kColumns, NCOLUMNS, NULL, failing, &f, &w), PS_OK);
  for (i = 0; i < 10; i++) {
    fill_row(v, (int64_t)i, "abc");
    assert_int_equal(ps_pq_write_row(w, v), PS_OK);
  }
  assert_int_equal(ps_pq_close(w, &rows), PS_EIO);
  ps_buf_free(&whole);
  ps_buf_free(&f.got);
}

static void frames_the_file_and_counts_rows(void **state) {
  for (int codec = 0; codec < 2; codec++) {
    ps_pq_options o = {.codec = codec ? PS_PQ_UNCOMPRESSED : PS_PQ_ZSTD};
    ps_buf file = {0};
    write_file(1234, &o, &file, "hello, parquet");
    assert_int_equal(check_rows(&file, 1234), 1);
    size_t len;
    const uint8_t *meta = footer_of(&file, &len);
    ps_tc_field schema = field(meta, len, 2);
    assert_int_equal(schema.count, NCOLUMNS + 1); /* the root and the leaves */
    ps_tc_field orders = field(meta, len, 7);     /* column_orders: one per leaf */
    assert_int_equal(orders.count, NCOLUMNS);
    ps_tc_field created = field(meta, len, 6);
    assert_int_equal(created.len, strlen("playstat"));
    assert_memory_equal(meta + created.at, "playstat", created.len);
    ps_buf_free(&file);
  }
}

static void an_empty_file_has_no_row_group(void **state) {
  ps_buf file = {0};
  write_file(0, NULL, &file, "");
  assert_int_equal(check_rows(&file, 0), 0);
  ps_buf_free(&file);
}

static void small_row_group_bytes_make_several_row_groups(void **state) {
  ps_pq_options o = {.row_group_bytes = 4096};
  ps_buf file = {0};
  write_file(5000, &o, &file, "a string of some length");
  /* About 50 bytes a row: 4096 bytes hold under 100 rows. */
  assert_true(check_rows(&file, 5000) >= 5000 / 100);
  ps_buf_free(&file);
}

/* The pages of the first row group's column col: walks its page headers from
 * data_page_offset over total_compressed_size bytes. */
static size_t pages_of_column(const ps_buf *file, const uint8_t *meta, size_t len, size_t col) {
  ps_tc_field groups = field(meta, len, 4);
  ps_tc_field chunks = field(meta + groups.at, len - groups.at, 1);
  size_t at = groups.at + chunks.at;
  for (size_t i = 0; i < col; i++) {
    size_t used;
    ps_tc_field unused;
    assert_int_equal(ps_tc_read_field(meta + at, len - at, 2, &unused, &used), PS_OK);
    at += used;
  }
  ps_tc_field md = field(meta + at, len - at, 3);
  const uint8_t *cmd = meta + at + md.at;
  int64_t offset = field(cmd, md.len, 9).i, size = field(cmd, md.len, 7).i;
  assert_int_equal(field(cmd, md.len, 5).i, field(meta, len, 3).i); /* num_values: every row */
  const uint8_t *p = (const uint8_t *)file->data;
  size_t pages = 0;
  int64_t pos = offset, values = 0;
  while (pos < offset + size) {
    size_t header;
    ps_tc_field compressed;
    assert_int_equal(ps_tc_read_field(p + pos, file->len - (size_t)pos, 3, &compressed, &header),
                     PS_OK);
    ps_tc_field dph = field(p + pos, header, 5);
    values += field(p + pos + dph.at, dph.len, 1).i;
    assert_true(compressed.i <= (int64_t)(1u << 20) + 4096); /* about 1 MiB at most */
    pos += (int64_t)header + compressed.i;
    pages++;
  }
  assert_int_equal(pos, offset + size);
  assert_int_equal(values, field(meta, len, 3).i); /* the pages hold every row once */
  return pages;
}

static void a_big_chunk_is_cut_into_pages(void **state) {
  char text[1001];
  memset(text, 'q', 1000);
  text[1000] = '\0';
  ps_pq_options o = {.codec = PS_PQ_UNCOMPRESSED};
  ps_buf file = {0};
  write_file(6000, &o, &file, text); /* 4000 strings of 1000 bytes: about 4 MiB */
  size_t len;
  const uint8_t *meta = footer_of(&file, &len);
  size_t pages = pages_of_column(&file, meta, len, 1);
  assert_true(pages >= 4 && pages <= 5);
  assert_int_equal(pages_of_column(&file, meta, len, 0), 1); /* 48 kB of ids: one page */
  ps_buf_free(&file);
}

static void rle_hybrid_bytes(void **state) {
  ps_buf out = {0};
  uint8_t ones[10];
  memset(ones, 1, sizeof ones);
  assert_int_equal(ps_rle_hybrid_encode(ones, 10, 1, &out), PS_OK);
  /* One RLE run: header 10 << 1 = 0x14, then the value in one byte. */
  assert_int_equal(out.len, 2);
  assert_memory_equal(out.data, "\x14\x01", 2);

  ps_buf_reset(&out);
  uint8_t mixed[] = {1, 0, 1, 1, 0, 0, 0, 1, 1};
  assert_int_equal(ps_rle_hybrid_encode(mixed, sizeof mixed, 1, &out), PS_OK);
  /* Two bit-packed groups (header 2 << 1 | 1 = 5): 0b10001101, then 1 padded with zeros. */
  assert_int_equal(out.len, 3);
  assert_memory_equal(out.data, "\x05\x8d\x01", 3);

  ps_buf_reset(&out);
  uint8_t both[20] = {0, 1}; /* a bit-packed group, then a run of 12 zeros */
  assert_int_equal(ps_rle_hybrid_encode(both, sizeof both, 1, &out), PS_OK);
  assert_int_equal(out.len, 4);
  assert_memory_equal(out.data, "\x03\x02\x18\x00", 4);

  uint8_t two = 2;
  assert_int_equal(ps_rle_hybrid_encode(&two, 1, 1, &out), PS_EINVAL);
  ps_buf_free(&out);
}

static void compact_field_headers(void **state) {
  ps_buf out = {0};
  ps_tc_writer t;
  ps_tc_init(&t, &out);
  ps_tc_struct_begin(&t);
  ps_tc_field_i32(&t, 1, -1);      /* short form: 0x15, zigzag(-1) = 1 */
  ps_tc_field_i64(&t, 17, 300);    /* delta 16: long form 0x06, zigzag(17) = 34, 600 = d8 04 */
  ps_tc_field_bool(&t, 18, 1);     /* 0x11 */
  ps_tc_field_binary(&t, 19, "ab", 2);
  ps_tc_field_empty_struct(&t, 20); /* 0x1c 0x00 */
  ps_tc_struct_end(&t);
  assert_int_equal(ps_tc_error(&t), PS_OK);
  const char want[] = "\x15\x01\x06\x22\xd8\x04\x11\x18\x02" "ab" "\x1c\x00\x00";
  assert_int_equal(out.len, sizeof want - 1);
  assert_memory_equal(out.data, want, sizeof want - 1);
  ps_tc_field f;
  assert_int_equal(ps_tc_read_field((const uint8_t *)out.data, out.len, 17, &f, NULL), PS_OK);
  assert_int_equal(f.i, 300);
  assert_int_equal(ps_tc_read_field((const uint8_t *)out.data, out.len, 2, &f, NULL), PS_ENOTFOUND);
  assert_int_equal(ps_tc_read_field((const uint8_t *)out.data, out.len - 1, 17, &f, NULL), PS_EPARSE);
  ps_buf_free(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(refuses_bad_schemas),
      cmocka_unit_test(refuses_a_null_in_a_required_column),
      cmocka_unit_test(returns_the_sink_error),
      cmocka_unit_test(frames_the_file_and_counts_rows),
      cmocka_unit_test(an_empty_file_has_no_row_group),
      cmocka_unit_test(small_row_group_bytes_make_several_row_groups),
      cmocka_unit_test(a_big_chunk_is_cut_into_pages),
      cmocka_unit_test(rle_hybrid_bytes),
      cmocka_unit_test(compact_field_headers),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
