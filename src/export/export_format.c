/* export_format.c: see export_format.h. */
#include "export/export_format.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "common/buf.h"
#include "common/errors.h"
#include "common/rfc3339.h"

static const struct {
  const char *name, *extension, *content_type;
} formats[PS_EXPORT_NFORMATS] = {
    [PS_EXPORT_PARQUET] = {"parquet", ".parquet", "application/vnd.apache.parquet"},
    [PS_EXPORT_NDJSON_GZ] = {"ndjson.gz", ".ndjson.gz", "application/gzip"},
};

const char *ps_export_format_name(ps_export_format f) { return formats[f].name; }
const char *ps_export_format_extension(ps_export_format f) { return formats[f].extension; }
const char *ps_export_format_content_type(ps_export_format f) { return formats[f].content_type; }

int ps_export_format_from_name(const char *name) {
  for (int f = 0; f < PS_EXPORT_NFORMATS; f++)
    if (strcmp(formats[f].name, name) == 0) return f;
  return -1;
}

#define GZIP_CHUNK (256 * 1024)

struct ps_export_writer {
  ps_export_format format;
  ps_target_object *object;
  ps_pq_writer *parquet;
  /* NDJSON.gz */
  const ps_pq_column *columns;
  size_t ncolumns;
  ps_buf line;
  z_stream z;
  int z_open;
  unsigned char out[GZIP_CHUNK];
  int64_t rows;
};

static int to_object(const void *data, size_t len, void *ctx) {
  return ps_target_write(ctx, data, len);
}

int ps_export_writer_open(ps_export_format format, const ps_pq_column *columns,
                          size_t ncolumns, ps_target_object *object, ps_export_writer **out) {
  ps_export_writer *w = calloc(1, sizeof *w);
  if (!w) return PS_ENOMEM;
  w->format = format;
  w->object = object;
  w->columns = columns;
  w->ncolumns = ncolumns;
  int rc = PS_OK;
  if (format == PS_EXPORT_PARQUET) {
    rc = ps_pq_open(columns, ncolumns, NULL, to_object, object, &w->parquet);
  } else if (deflateInit2(&w->z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK) {
    w->z_open = 1;
  } else {
    rc = PS_ENOMEM;
  }
  if (rc != PS_OK) {
    free(w);
    return rc;
  }
  *out = w;
  return PS_OK;
}

/* Compresses in (all of it, or finishes the stream) into the object. */
static int deflate_into_object(ps_export_writer *w, const void *in, size_t len, int finish) {
  w->z.next_in = (Bytef *)in;
  w->z.avail_in = (uInt)len;
  int zrc;
  do {
    w->z.next_out = w->out;
    w->z.avail_out = sizeof w->out;
    zrc = deflate(&w->z, finish ? Z_FINISH : Z_NO_FLUSH);
    if (zrc == Z_STREAM_ERROR) return PS_EIO;
    size_t have = sizeof w->out - w->z.avail_out;
    if (have) {
      int rc = ps_target_write(w->object, w->out, have);
      if (rc != PS_OK) return rc;
    }
  } while (w->z.avail_out == 0 || (finish && zrc != Z_STREAM_END));
  return PS_OK;
}

static int append_json_value(ps_buf *b, ps_pq_type type, const ps_pq_value *v) {
  if (v->is_null) return ps_buf_append_str(b, "null");
  switch (type) {
    case PS_PQ_STRING: return ps_buf_append_json_string(b, v->s, v->len);
    case PS_PQ_INT64: return ps_buf_printf(b, "%lld", (long long)v->i);
    case PS_PQ_DOUBLE: return ps_buf_append_json_number(b, v->d);
    case PS_PQ_BOOLEAN: return ps_buf_append_str(b, v->i ? "true" : "false");
    case PS_PQ_TIMESTAMP_MS: {
      char t[PS_RFC3339_LEN + 1];
      ps_rfc3339_format(v->i, t);
      return ps_buf_printf(b, "\"%s\"", t);
    }
  }
  return PS_EINVAL;
}

static int ndjson_row(ps_export_writer *w, const ps_pq_value *values) {
  ps_buf *b = &w->line;
  ps_buf_reset(b);
  int rc = PS_OK;
  int first = 1;
  for (size_t c = 0; rc == PS_OK && c < w->ncolumns; c++) {
    if (values[c].is_null && !w->columns[c].optional) return PS_EINVAL;
    if (values[c].is_null) continue; /* an absent member reads as null */
    rc = ps_buf_append_str(b, first ? "{" : ",");
    first = 0;
    if (rc == PS_OK) rc = ps_buf_append_json_string(b, w->columns[c].name, strlen(w->columns[c].name));
    if (rc == PS_OK) rc = ps_buf_append_str(b, ":");
    if (rc == PS_OK) rc = append_json_value(b, w->columns[c].type, &values[c]);
  }
  if (rc == PS_OK) rc = ps_buf_append_str(b, first ? "{}\n" : "}\n");
  return rc == PS_OK ? deflate_into_object(w, b->data, b->len, 0) : rc;
}

int ps_export_writer_row(ps_export_writer *w, const ps_pq_value *values) {
  int rc = w->parquet ? ps_pq_write_row(w->parquet, values) : ndjson_row(w, values);
  if (rc == PS_OK) w->rows++;
  return rc;
}

void ps_export_writer_abort(ps_export_writer *w) {
  if (!w) return;
  if (w->parquet) ps_pq_abort(w->parquet);
  if (w->z_open) deflateEnd(&w->z);
  ps_buf_free(&w->line);
  free(w);
}

int ps_export_writer_close(ps_export_writer *w, int64_t *rows) {
  int rc;
  if (w->parquet) {
    rc = ps_pq_close(w->parquet, rows);
    w->parquet = NULL;
  } else {
    rc = deflate_into_object(w, NULL, 0, 1);
    *rows = w->rows;
  }
  ps_export_writer_abort(w);
  return rc;
}
