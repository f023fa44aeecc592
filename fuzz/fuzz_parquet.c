/*
 * fuzz_parquet.c: libFuzzer target for the Parquet writer (src/export/parquet.c). The input
 * chooses a schema (1 to 8 columns of any type, REQUIRED or OPTIONAL, sometimes a duplicate
 * name), the options (codec, a row_group_bytes from 1 byte to the default), a sink that fails
 * after some bytes, and rows of values (nulls, int64 and double bit patterns, strings of any
 * bytes and length). Properties: a refused schema or row is PS_EINVAL exactly when it should
 * be; a failing sink's error is what close returns; otherwise the file is well formed: "PAR1"
 * at both ends, a footer length within the file, a footer that is one whole compact struct
 * whose num_rows is the rows written and equals the sum of its row groups', every column
 * chunk's pages (walked from data_page_offset) exactly filling total_compressed_size before
 * the footer, holding num_values values, and each zstd page decompressing to its
 * uncompressed_page_size. ASan/UBSan and the leak checker do the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zstd.h>

#include "common/buf.h"
#include "common/errors.h"
#include "export/parquet.h"
#include "export/thrift_compact.h"
#include "fuzz_check.h"

typedef struct input {
  const uint8_t *p;
  size_t left;
} input;

static uint8_t byte(input *in) {
  if (!in->left) return 0;
  in->left--;
  return *in->p++;
}

static uint64_t bytes8(input *in) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = v << 8 | byte(in);
  return v;
}

typedef struct sink {
  ps_buf file;
  size_t budget; /* bytes accepted before failing with PS_EIO */
} sink;

static int to_buf(const void *data, size_t len, void *ctx) {
  sink *s = ctx;
  if (len > s->budget) return PS_EIO;
  s->budget -= len;
  return ps_buf_append(&s->file, data, len);
}

static ps_tc_field field(const uint8_t *data, size_t len, int16_t id, size_t *used) {
  ps_tc_field f;
  CHECK(ps_tc_read_field(data, len, id, &f, used) == PS_OK);
  return f;
}

/* Walks the pages of one column chunk (its ColumnMetaData at md[0..len)). */
static void check_chunk(const ps_buf *file, size_t footer_at, const uint8_t *md, size_t len,
                        int64_t group_rows, uint8_t *scratch, size_t scratch_len) {
  int64_t start = field(md, len, 9, NULL).i, size = field(md, len, 7, NULL).i;
  int codec = (int)field(md, len, 4, NULL).i;
  CHECK(field(md, len, 5, NULL).i == group_rows);
  CHECK(start >= 4 && size > 0 && (uint64_t)start + (uint64_t)size <= footer_at);
  const uint8_t *p = (const uint8_t *)file->data;
  int64_t pos = start, values = 0;
  while (pos < start + size) {
    size_t header;
    const uint8_t *h = p + pos;
    size_t room = (size_t)(start + size - pos);
    int64_t compressed = field(h, room, 3, &header).i;
    int64_t uncompressed = field(h, room, 2, NULL).i;
    ps_tc_field dph = field(h, header, 5, NULL);
    values += field(h + dph.at, dph.len, 1, NULL).i;
    CHECK(compressed >= 0 && (uint64_t)compressed <= room - header);
    if (codec == 6) {
      unsigned long long n = ZSTD_getFrameContentSize(h + header, (size_t)compressed);
      CHECK(n == (unsigned long long)uncompressed);
      if (n <= scratch_len) {
        size_t got = ZSTD_decompress(scratch, scratch_len, h + header, (size_t)compressed);
        CHECK(!ZSTD_isError(got) && got == n);
      }
    } else {
      CHECK(codec == 0 && compressed == uncompressed);
    }
    pos += (int64_t)header + compressed;
  }
  CHECK(pos == start + size);
  CHECK(values == group_rows);
}

static void check_file(const ps_buf *file, int64_t rows, size_t ncolumns) {
  static uint8_t scratch[1 << 20];
  const uint8_t *p = (const uint8_t *)file->data;
  CHECK(file->len >= 12);
  CHECK(memcmp(p, "PAR1", 4) == 0 && memcmp(p + file->len - 4, "PAR1", 4) == 0);
  const uint8_t *l = p + file->len - 8;
  size_t footer = (size_t)l[0] | (size_t)l[1] << 8 | (size_t)l[2] << 16 | (size_t)l[3] << 24;
  CHECK(footer > 0 && footer <= file->len - 12);
  size_t footer_at = file->len - 8 - footer, used = 0;
  const uint8_t *meta = p + footer_at;
  CHECK(field(meta, footer, 3, &used).i == rows);
  CHECK(used == footer);
  CHECK(field(meta, footer, 2, NULL).count == ncolumns + 1);
  ps_tc_field groups = field(meta, footer, 4, NULL);
  size_t at = groups.at;
  int64_t sum = 0;
  for (size_t g = 0; g < groups.count; g++) {
    size_t group_len;
    int64_t group_rows = field(meta + at, footer - at, 3, &group_len).i;
    CHECK(group_rows > 0);
    sum += group_rows;
    ps_tc_field chunks = field(meta + at, group_len, 1, NULL);
    CHECK(chunks.count == ncolumns);
    size_t c_at = at + chunks.at;
    for (size_t c = 0; c < chunks.count; c++) {
      size_t chunk_len;
      ps_tc_field md = field(meta + c_at, footer - c_at, 3, &chunk_len);
      check_chunk(file, footer_at, meta + c_at + md.at, md.len, group_rows, scratch,
                  sizeof scratch);
      c_at += chunk_len;
    }
    at += group_len;
  }
  CHECK(sum == rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size};
  static const char *names[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
  ps_pq_column columns[8];
  size_t ncolumns = 1 + byte(&in) % 8;
  int duplicate = 0;
  for (size_t i = 0; i < ncolumns; i++) {
    uint8_t b = byte(&in);
    columns[i].type = (ps_pq_type)(b % 5);
    columns[i].optional = b >> 3 & 1;
    int same = i > 0 && b == 0xFF;
    columns[i].name = names[same ? i - 1 : i];
    duplicate |= same;
  }
  uint8_t o = byte(&in);
  ps_pq_options options = {
      .codec = o & 1 ? PS_PQ_UNCOMPRESSED : PS_PQ_ZSTD,
      .zstd_level = o & 2 ? 1 : 0,
      .row_group_bytes = o >> 2 ? (size_t)(o >> 2) * (o >> 2) * 4 : 0,
  };
  uint8_t f = byte(&in);
  sink s = {.budget = f < 0xF0 ? (size_t)-1 : (size_t)(f - 0xF0) * 97};
  ps_pq_writer *w = NULL;
  int rc = ps_pq_open(columns, ncolumns, &options, to_buf, &s, &w);
  if (duplicate) {
    CHECK(rc == PS_EINVAL && w == NULL);
    ps_buf_free(&s.file);
    return 0;
  }
  if (rc != PS_OK) {
    CHECK(rc == PS_EIO && w == NULL);
    ps_buf_free(&s.file);
    return 0;
  }
  int64_t rows = 0;
  int failed = 0;
  while (in.left && !failed) {
    ps_pq_value values[8];
    int null_in_required = 0;
    memset(values, 0, sizeof values);
    for (size_t i = 0; i < ncolumns; i++) {
      uint8_t b = byte(&in);
      if (b & 1) {
        values[i].is_null = 1;
        null_in_required |= !columns[i].optional;
        continue;
      }
      switch (columns[i].type) {
        case PS_PQ_DOUBLE: {
          uint64_t bits = bytes8(&in);
          memcpy(&values[i].d, &bits, sizeof bits);
          break;
        }
        case PS_PQ_BOOLEAN: values[i].i = b >> 1 & 1; break;
        case PS_PQ_STRING: {
          size_t len = (size_t)(b >> 1) * (b & 0x80 ? 64 : 1);
          if (len > in.left) len = in.left;
          values[i].s = (const char *)in.p;
          values[i].len = len;
          in.p += len, in.left -= len;
          break;
        }
        default: values[i].i = (int64_t)bytes8(&in);
      }
    }
    rc = ps_pq_write_row(w, values);
    if (null_in_required) {
      CHECK(rc == PS_EINVAL);
    } else if (rc == PS_OK) {
      rows++;
    } else {
      CHECK(rc == PS_EIO);
      failed = 1;
    }
  }
  int64_t written = -1;
  rc = ps_pq_close(w, &written);
  if (failed || rc != PS_OK) {
    CHECK(rc == PS_EIO && written == 0);
  } else {
    CHECK(written == rows);
    check_file(&s.file, rows, ncolumns);
  }
  ps_buf_free(&s.file);
  return 0;
}
