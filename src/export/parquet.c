/*
 * parquet.c: see parquet.h. The layout of a file:
 *
 *   "PAR1" | row group 1: column chunk 1 (pages) ... column chunk n | row group 2 ... |
 *   FileMetaData (Thrift compact) | its length (4 bytes, little-endian) | "PAR1"
 *
 * Each column buffers the PLAIN encoding of its values for the current row group (BOOLEAN: one
 * byte per value, bit-packed when the page is built) and, when OPTIONAL, one definition level
 * byte per row. A row group is written once the buffered bytes reach row_group_bytes; each
 * column chunk is cut into data pages (v1) of about PAGE_TARGET bytes at row boundaries, so no
 * page is huge except one holding a single huge string. A page is the definition levels
 * (4-byte length, then the RLE/bit-packed hybrid) followed by the values, compressed as one
 * zstd frame when the codec is zstd. The RowGroup metadata is encoded as soon as its row group
 * is written, so what stays in memory per row group is a few dozen bytes per column.
 *
 * Statistics per column chunk: null_count always; min_value/max_value over the non-null
 * values, in the order of the column's type (signed for INT64 and TIMESTAMP, false < true,
 * byte-wise unsigned for STRING, which is why the footer declares TypeDefinedOrder for every
 * column). DOUBLE follows the specification's rules: NaN is left out of min/max (no min/max if
 * every value is NaN), a zero minimum is written as -0.0 and a zero maximum as +0.0. A string
 * min or max longer than STAT_MAX_LEN bytes is left out (the other may still be written).
 */
#include "export/parquet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "common/buf.h"
#include "common/errors.h"
#include "export/rle_hybrid.h"
#include "export/thrift_compact.h"

#define PAGE_TARGET (1u << 20)
#define STAT_MAX_LEN 4096
#define DEFAULT_ROW_GROUP_BYTES ((size_t)64 << 20)

/* parquet.thrift's enums (the values this writer uses). */
enum { PT_BOOLEAN = 0, PT_INT64 = 2, PT_DOUBLE = 5, PT_BYTE_ARRAY = 6 };
enum { REP_REQUIRED = 0, REP_OPTIONAL = 1 };
enum { CONVERTED_UTF8 = 0, CONVERTED_TIMESTAMP_MILLIS = 9 };
enum { ENC_PLAIN = 0, ENC_RLE = 3 };
enum { CODEC_UNCOMPRESSED = 0, CODEC_ZSTD = 6 };
enum { PAGE_DATA = 0 };

typedef struct column {
  char *name;
  ps_pq_type type;
  int optional;
  ps_buf values; /* PLAIN values of the buffered rows (BOOLEAN: a byte each) */
  ps_buf levels; /* OPTIONAL: a definition level byte per buffered row */
  int64_t nulls;
  int has_minmax;
  int64_t imin, imax;
  double dmin, dmax;
  size_t smin_at, smin_len, smax_at, smax_len; /* STRING: where in values */
  /* The chunk just written. */
  int64_t chunk_offset, chunk_uncompressed, chunk_compressed;
} column;

struct ps_pq_writer {
  column *columns;
  size_t ncolumns;
  ps_pq_codec codec;
  int zstd_level;
  size_t row_group_bytes;
  char *created_by;
  ps_pq_sink sink;
  void *ctx;
  int64_t offset; /* bytes handed to the sink */
  int64_t rows_total, rows_buffered;
  size_t buffered_bytes;
  ps_buf row_groups; /* the RowGroup structs written so far, compact-encoded */
  size_t nrow_groups;
  ps_buf page, compressed, header;
  int err;
};

static void put_le32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put_le64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t double_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, sizeof u);
  return u;
}

static int emit(ps_pq_writer *w, const void *data, size_t len) {
  if (!len) return PS_OK;
  int rc = w->sink(data, len, w->ctx);
  if (rc != 0) return rc;
  w->offset += (int64_t)len;
  return PS_OK;
}

static int physical_type(ps_pq_type type) {
  switch (type) {
    case PS_PQ_BOOLEAN: return PT_BOOLEAN;
    case PS_PQ_DOUBLE: return PT_DOUBLE;
    case PS_PQ_STRING: return PT_BYTE_ARRAY;
    default: return PT_INT64;
  }
}

static void free_writer(ps_pq_writer *w) {
  if (!w) return;
  for (size_t i = 0; i < w->ncolumns; i++) {
    free(w->columns[i].name);
    ps_buf_free(&w->columns[i].values);
    ps_buf_free(&w->columns[i].levels);
  }
  free(w->columns);
  free(w->created_by);
  ps_buf_free(&w->row_groups);
  ps_buf_free(&w->page);
  ps_buf_free(&w->compressed);
  ps_buf_free(&w->header);
  free(w);
}

int ps_pq_open(const ps_pq_column *columns, size_t ncolumns, const ps_pq_options *options,
               ps_pq_sink sink, void *ctx, ps_pq_writer **out) {
  *out = NULL;
  ps_pq_options defaults = {0};
  const ps_pq_options *o = options ? options : &defaults;
  if (!columns || ncolumns == 0 || ncolumns > INT32_MAX - 1 || !sink) return PS_EINVAL;
  if (o->codec != PS_PQ_ZSTD && o->codec != PS_PQ_UNCOMPRESSED) return PS_EINVAL;
  for (size_t i = 0; i < ncolumns; i++) {
    if (!columns[i].name || !columns[i].name[0]) return PS_EINVAL;
    if ((unsigned)columns[i].type > PS_PQ_TIMESTAMP_MS) return PS_EINVAL;
    for (size_t j = 0; j < i; j++)
      if (strcmp(columns[i].name, columns[j].name) == 0) return PS_EINVAL;
  }
  ps_pq_writer *w = calloc(1, sizeof *w);
  if (!w) return PS_ENOMEM;
  w->columns = calloc(ncolumns, sizeof *w->columns);
  w->created_by = strdup(o->created_by ? o->created_by : "playstat");
  if (!w->columns || !w->created_by) {
    free_writer(w);
    return PS_ENOMEM;
  }
  w->ncolumns = ncolumns;
  for (size_t i = 0; i < ncolumns; i++) {
    w->columns[i].name = strdup(columns[i].name);
    w->columns[i].type = columns[i].type;
    w->columns[i].optional = columns[i].optional != 0;
    if (!w->columns[i].name) {
      free_writer(w);
      return PS_ENOMEM;
    }
  }
  w->codec = o->codec;
  w->zstd_level = o->zstd_level ? o->zstd_level : 3;
  w->row_group_bytes = o->row_group_bytes ? o->row_group_bytes : DEFAULT_ROW_GROUP_BYTES;
  w->sink = sink;
  w->ctx = ctx;
  int rc = emit(w, "PAR1", 4);
  if (rc != PS_OK) {
    free_writer(w);
    return rc;
  }
  *out = w;
  return PS_OK;
}

/* Appends one non-null value to c's buffer and its statistics; returns the bytes added. */
static int append_value(column *c, const ps_pq_value *v, size_t *added) {
  uint8_t bytes[8];
  int first = !c->has_minmax;
  switch (c->type) {
    case PS_PQ_BOOLEAN: {
      uint8_t b = v->i != 0;
      if (ps_buf_append(&c->values, &b, 1) != PS_OK) return PS_ENOMEM;
      if (first || b < c->imin) c->imin = b;
      if (first || b > c->imax) c->imax = b;
      c->has_minmax = 1;
      *added = 1;
      return PS_OK;
    }
    case PS_PQ_DOUBLE:
      put_le64(bytes, double_bits(v->d));
      if (ps_buf_append(&c->values, bytes, 8) != PS_OK) return PS_ENOMEM;
      if (!isnan(v->d)) {
        if (first || v->d < c->dmin) c->dmin = v->d;
        if (first || v->d > c->dmax) c->dmax = v->d;
        c->has_minmax = 1;
      }
      *added = 8;
      return PS_OK;
    case PS_PQ_STRING: {
      size_t at = c->values.len + 4;
      put_le32(bytes, (uint32_t)v->len);
      if (ps_buf_reserve(&c->values, 4 + v->len) != PS_OK) return PS_ENOMEM;
      ps_buf_append(&c->values, bytes, 4); /* reserved: cannot fail */
      ps_buf_append(&c->values, v->s, v->len);
      const uint8_t *s = (const uint8_t *)c->values.data;
      if (first) {
        c->smin_at = c->smax_at = at;
        c->smin_len = c->smax_len = v->len;
      } else {
        size_t n = v->len < c->smin_len ? v->len : c->smin_len;
        int cmp = memcmp(s + at, s + c->smin_at, n);
        if (cmp < 0 || (cmp == 0 && v->len < c->smin_len)) c->smin_at = at, c->smin_len = v->len;
        n = v->len < c->smax_len ? v->len : c->smax_len;
        cmp = memcmp(s + at, s + c->smax_at, n);
        if (cmp > 0 || (cmp == 0 && v->len > c->smax_len)) c->smax_at = at, c->smax_len = v->len;
      }
      c->has_minmax = 1;
      *added = 4 + v->len;
      return PS_OK;
    }
    default: /* INT64, TIMESTAMP_MS */
      put_le64(bytes, (uint64_t)v->i);
      if (ps_buf_append(&c->values, bytes, 8) != PS_OK) return PS_ENOMEM;
      if (first || v->i < c->imin) c->imin = v->i;
      if (first || v->i > c->imax) c->imax = v->i;
      c->has_minmax = 1;
      *added = 8;
      return PS_OK;
  }
}

/* The PLAIN size of the buffered value at values[at]. */
static size_t value_size(const column *c, size_t at) {
  switch (c->type) {
    case PS_PQ_BOOLEAN: return 1;
    case PS_PQ_STRING: return 4 + get_le32((const uint8_t *)c->values.data + at);
    default: return 8;
  }
}

static int write_page_header(ps_pq_writer *w, size_t uncompressed, size_t compressed,
                             int64_t rows) {
  ps_buf_reset(&w->header);
  ps_tc_writer t;
  ps_tc_init(&t, &w->header);
  ps_tc_struct_begin(&t);
  ps_tc_field_i32(&t, 1, PAGE_DATA);
  ps_tc_field_i32(&t, 2, (int32_t)uncompressed);
  ps_tc_field_i32(&t, 3, (int32_t)compressed);
  ps_tc_field_struct_begin(&t, 5); /* DataPageHeader */
  ps_tc_field_i32(&t, 1, (int32_t)rows);
  ps_tc_field_i32(&t, 2, ENC_PLAIN);
  ps_tc_field_i32(&t, 3, ENC_RLE);
  ps_tc_field_i32(&t, 4, ENC_RLE);
  ps_tc_struct_end(&t);
  ps_tc_struct_end(&t);
  return ps_tc_error(&t);
}

/* Builds, compresses and writes one page of rows [row, row + rows) whose values are
 * values[from, to). */
static int write_page(ps_pq_writer *w, column *c, int64_t row, int64_t rows, size_t from,
                      size_t to) {
  ps_buf *page = &w->page;
  ps_buf_reset(page);
  if (c->optional) {
    uint8_t prefix[4] = {0};
    if (ps_buf_append(page, prefix, 4) != PS_OK) return PS_ENOMEM;
    int rc = ps_rle_hybrid_encode((const uint8_t *)c->levels.data + row, (size_t)rows, 1, page);
    if (rc != PS_OK) return rc;
    if (page->len - 4 > UINT32_MAX) return PS_ETOOBIG;
    put_le32((uint8_t *)page->data, (uint32_t)(page->len - 4));
  }
  const uint8_t *values = (const uint8_t *)c->values.data;
  if (c->type == PS_PQ_BOOLEAN) {
    size_t n = to - from, bytes = (n + 7) / 8;
    if (ps_buf_reserve(page, bytes) != PS_OK) return PS_ENOMEM;
    uint8_t *bits = (uint8_t *)page->data + page->len;
    memset(bits, 0, bytes);
    for (size_t k = 0; k < n; k++)
      if (values[from + k]) bits[k / 8] |= (uint8_t)(1u << (k % 8));
    page->len += bytes;
  } else if (to > from && ps_buf_append(page, values + from, to - from) != PS_OK) {
    return PS_ENOMEM;
  }
  if (page->len > INT32_MAX) return PS_ETOOBIG;

  const void *body = page->data;
  size_t body_len = page->len;
  if (w->codec == PS_PQ_ZSTD) {
    size_t bound = ZSTD_compressBound(page->len);
    ps_buf_reset(&w->compressed);
    if (ps_buf_reserve(&w->compressed, bound) != PS_OK) return PS_ENOMEM;
    size_t n = ZSTD_compress(w->compressed.data, bound, page->data, page->len, w->zstd_level);
    if (ZSTD_isError(n)) return PS_EIO;
    if (n > INT32_MAX) return PS_ETOOBIG;
    body = w->compressed.data;
    body_len = n;
  }
  int rc = write_page_header(w, page->len, body_len, rows);
  if (rc != PS_OK) return rc;
  if ((rc = emit(w, w->header.data, w->header.len)) != PS_OK) return rc;
  if ((rc = emit(w, body, body_len)) != PS_OK) return rc;
  c->chunk_uncompressed += (int64_t)(w->header.len + page->len);
  c->chunk_compressed += (int64_t)(w->header.len + body_len);
  return PS_OK;
}

/* Writes c's buffered rows as one column chunk of pages of about PAGE_TARGET bytes. */
static int write_column_chunk(ps_pq_writer *w, column *c) {
  c->chunk_offset = w->offset;
  c->chunk_uncompressed = c->chunk_compressed = 0;
  const uint8_t *levels = (const uint8_t *)c->levels.data;
  int64_t row = 0;
  size_t at = 0;
  while (row < w->rows_buffered) {
    int64_t first = row;
    size_t from = at;
    do {
      if (!c->optional || levels[row]) at += value_size(c, at);
      row++;
    } while (row < w->rows_buffered && (at - from) + (size_t)(row - first) / 8 < PAGE_TARGET &&
             row - first < INT32_MAX / 2);
    int rc = write_page(w, c, first, row - first, from, at);
    if (rc != PS_OK) return rc;
  }
  return PS_OK;
}

static void write_statistics(ps_tc_writer *t, const column *c) {
  ps_tc_field_struct_begin(t, 12);
  ps_tc_field_i64(t, 3, c->nulls);
  if (c->has_minmax) {
    uint8_t min[8], max[8];
    const void *minp = min, *maxp = max;
    size_t minlen = 8, maxlen = 8;
    switch (c->type) {
      case PS_PQ_BOOLEAN:
        min[0] = (uint8_t)c->imin, max[0] = (uint8_t)c->imax;
        minlen = maxlen = 1;
        break;
      case PS_PQ_DOUBLE:
        put_le64(min, double_bits(c->dmin == 0 ? -0.0 : c->dmin));
        put_le64(max, double_bits(c->dmax == 0 ? +0.0 : c->dmax));
        break;
      case PS_PQ_STRING:
        minp = c->values.data + c->smin_at, minlen = c->smin_len;
        maxp = c->values.data + c->smax_at, maxlen = c->smax_len;
        break;
      default:
        put_le64(min, (uint64_t)c->imin);
        put_le64(max, (uint64_t)c->imax);
    }
    if (maxlen <= STAT_MAX_LEN) ps_tc_field_binary(t, 5, maxp, maxlen);
    if (minlen <= STAT_MAX_LEN) ps_tc_field_binary(t, 6, minp, minlen);
  }
  ps_tc_struct_end(t);
}

/* Appends the RowGroup struct of the row group just written to w->row_groups. */
static int encode_row_group(ps_pq_writer *w) {
  ps_tc_writer t;
  ps_tc_init(&t, &w->row_groups);
  int64_t uncompressed = 0, compressed = 0;
  ps_tc_struct_begin(&t);
  ps_tc_field_list_begin(&t, 1, PS_TC_STRUCT, w->ncolumns);
  for (size_t i = 0; i < w->ncolumns; i++) {
    const column *c = &w->columns[i];
    uncompressed += c->chunk_uncompressed;
    compressed += c->chunk_compressed;
    ps_tc_struct_begin(&t); /* ColumnChunk */
    ps_tc_field_i64(&t, 2, c->chunk_offset);
    ps_tc_field_struct_begin(&t, 3); /* ColumnMetaData */
    ps_tc_field_i32(&t, 1, physical_type(c->type));
    ps_tc_field_list_begin(&t, 2, PS_TC_I32, 2);
    ps_tc_i32(&t, ENC_PLAIN);
    ps_tc_i32(&t, ENC_RLE);
    ps_tc_field_list_begin(&t, 3, PS_TC_BINARY, 1);
    ps_tc_binary(&t, c->name, strlen(c->name));
    ps_tc_field_i32(&t, 4, w->codec == PS_PQ_ZSTD ? CODEC_ZSTD : CODEC_UNCOMPRESSED);
    ps_tc_field_i64(&t, 5, w->rows_buffered);
    ps_tc_field_i64(&t, 6, c->chunk_uncompressed);
    ps_tc_field_i64(&t, 7, c->chunk_compressed);
    ps_tc_field_i64(&t, 9, c->chunk_offset);
    write_statistics(&t, c);
    ps_tc_struct_end(&t);
    ps_tc_struct_end(&t);
  }
  ps_tc_field_i64(&t, 2, uncompressed);
  ps_tc_field_i64(&t, 3, w->rows_buffered);
  ps_tc_field_i64(&t, 5, w->columns[0].chunk_offset);
  ps_tc_field_i64(&t, 6, compressed);
  ps_tc_struct_end(&t);
  return ps_tc_error(&t);
}

static int flush_row_group(ps_pq_writer *w) {
  if (w->rows_buffered == 0) return PS_OK;
  for (size_t i = 0; i < w->ncolumns; i++) {
    int rc = write_column_chunk(w, &w->columns[i]);
    if (rc != PS_OK) return rc;
  }
  int rc = encode_row_group(w);
  if (rc != PS_OK) return rc;
  w->nrow_groups++;
  for (size_t i = 0; i < w->ncolumns; i++) {
    column *c = &w->columns[i];
    ps_buf_reset(&c->values);
    ps_buf_reset(&c->levels);
    c->nulls = 0;
    c->has_minmax = 0;
  }
  w->rows_total += w->rows_buffered;
  w->rows_buffered = 0;
  w->buffered_bytes = 0;
  return PS_OK;
}

int ps_pq_write_row(ps_pq_writer *w, const ps_pq_value *values) {
  if (!w || !values) return PS_EINVAL;
  if (w->err) return w->err;
  for (size_t i = 0; i < w->ncolumns; i++) {
    if (values[i].is_null && !w->columns[i].optional) return PS_EINVAL;
    if (w->columns[i].type == PS_PQ_STRING && !values[i].is_null) {
      if (values[i].len > INT32_MAX) return PS_ETOOBIG;
      if (values[i].len && !values[i].s) return PS_EINVAL;
    }
  }
  size_t bytes = 0;
  for (size_t i = 0; i < w->ncolumns; i++) {
    column *c = &w->columns[i];
    if (c->optional) {
      uint8_t level = !values[i].is_null;
      if (ps_buf_append(&c->levels, &level, 1) != PS_OK) return w->err = PS_ENOMEM;
      bytes++;
    }
    if (values[i].is_null) {
      c->nulls++;
      continue;
    }
    size_t added = 0;
    if (append_value(c, &values[i], &added) != PS_OK) return w->err = PS_ENOMEM;
    bytes += added;
  }
  w->rows_buffered++;
  w->buffered_bytes += bytes;
  if (w->buffered_bytes >= w->row_group_bytes) {
    int rc = flush_row_group(w);
    if (rc != PS_OK) return w->err = rc;
  }
  return PS_OK;
}

static void write_schema_element(ps_tc_writer *t, const column *c) {
  ps_tc_struct_begin(t);
  ps_tc_field_i32(t, 1, physical_type(c->type));
  ps_tc_field_i32(t, 3, c->optional ? REP_OPTIONAL : REP_REQUIRED);
  ps_tc_field_binary(t, 4, c->name, strlen(c->name));
  if (c->type == PS_PQ_STRING) {
    ps_tc_field_i32(t, 6, CONVERTED_UTF8);
    ps_tc_field_struct_begin(t, 10); /* LogicalType */
    ps_tc_field_empty_struct(t, 1);  /* STRING */
    ps_tc_struct_end(t);
  } else if (c->type == PS_PQ_TIMESTAMP_MS) {
    ps_tc_field_i32(t, 6, CONVERTED_TIMESTAMP_MILLIS);
    ps_tc_field_struct_begin(t, 10); /* LogicalType */
    ps_tc_field_struct_begin(t, 8);  /* TIMESTAMP */
    ps_tc_field_bool(t, 1, 1);       /* isAdjustedToUTC */
    ps_tc_field_struct_begin(t, 2);  /* unit: TimeUnit */
    ps_tc_field_empty_struct(t, 1);  /* MILLIS */
    ps_tc_struct_end(t);
    ps_tc_struct_end(t);
    ps_tc_struct_end(t);
  }
  ps_tc_struct_end(t);
}

static int write_footer(ps_pq_writer *w) {
  ps_buf footer = {0};
  ps_tc_writer t;
  ps_tc_init(&t, &footer);
  ps_tc_struct_begin(&t);
  ps_tc_field_i32(&t, 1, 2); /* version */
  ps_tc_field_list_begin(&t, 2, PS_TC_STRUCT, w->ncolumns + 1);
  ps_tc_struct_begin(&t); /* the root */
  ps_tc_field_binary(&t, 4, "schema", 6);
  ps_tc_field_i32(&t, 5, (int32_t)w->ncolumns);
  ps_tc_struct_end(&t);
  for (size_t i = 0; i < w->ncolumns; i++) write_schema_element(&t, &w->columns[i]);
  ps_tc_field_i64(&t, 3, w->rows_total);
  ps_tc_field_list_begin(&t, 4, PS_TC_STRUCT, w->nrow_groups);
  ps_tc_raw(&t, w->row_groups.data, w->row_groups.len);
  ps_tc_field_binary(&t, 6, w->created_by, strlen(w->created_by));
  ps_tc_field_list_begin(&t, 7, PS_TC_STRUCT, w->ncolumns);
  for (size_t i = 0; i < w->ncolumns; i++) {
    ps_tc_struct_begin(&t); /* ColumnOrder */
    ps_tc_field_empty_struct(&t, 1); /* TYPE_ORDER */
    ps_tc_struct_end(&t);
  }
  ps_tc_struct_end(&t);
  int rc = ps_tc_error(&t);
  if (rc == PS_OK && footer.len > UINT32_MAX) rc = PS_ETOOBIG;
  if (rc == PS_OK) rc = emit(w, footer.data, footer.len);
  if (rc == PS_OK) {
    uint8_t tail[8];
    put_le32(tail, (uint32_t)footer.len);
    memcpy(tail + 4, "PAR1", 4);
    rc = emit(w, tail, 8);
  }
  ps_buf_free(&footer);
  return rc;
}

int ps_pq_close(ps_pq_writer *w, int64_t *rows_written) {
  if (rows_written) *rows_written = 0;
  if (!w) return PS_EINVAL;
  int rc = w->err;
  if (rc == PS_OK) rc = flush_row_group(w);
  if (rc == PS_OK) rc = write_footer(w);
  if (rc == PS_OK && rows_written) *rows_written = w->rows_total;
  free_writer(w);
  return rc;
}

void ps_pq_abort(ps_pq_writer *w) { free_writer(w); }
