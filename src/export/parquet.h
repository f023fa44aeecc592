/*
 * parquet.h: a streaming writer of Apache Parquet files (format 2.x as parquet-format's
 * parquet.thrift describes it), for the raw export (src/export/). Flat schemas only: every
 * column is a top-level field, REQUIRED or OPTIONAL, of one of the types below. Values are
 * buffered for one row group at a time (bounded by options.row_group_bytes), then written as
 * one column chunk per column: data pages v1 of about 1 MiB, PLAIN encoding, definition levels
 * (RLE/bit-packed hybrid) for optional columns, compressed with zstd (or not), with min/max
 * and null-count statistics. The footer is the FileMetaData in Thrift's compact protocol.
 *
 * Guarantees: the bytes handed to the sink, in order, are one complete Parquet file once
 * ps_pq_close() returns 0; memory stays within a small multiple of row_group_bytes whatever
 * the number of rows; every error is returned (never aborts), and after an error the writer
 * only accepts ps_pq_abort().
 */
#ifndef PS_EXPORT_PARQUET_H
#define PS_EXPORT_PARQUET_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
  PS_PQ_INT64,        /* INT64 */
  PS_PQ_DOUBLE,       /* DOUBLE */
  PS_PQ_BOOLEAN,      /* BOOLEAN */
  PS_PQ_STRING,       /* BYTE_ARRAY annotated STRING (UTF-8) */
  PS_PQ_TIMESTAMP_MS, /* INT64 annotated TIMESTAMP(isAdjustedToUTC=true, MILLIS) */
} ps_pq_type;

typedef struct ps_pq_column {
  const char *name;
  ps_pq_type type;
  int optional; /* 1: OPTIONAL (values may be null); 0: REQUIRED */
} ps_pq_column;

typedef enum { PS_PQ_ZSTD, PS_PQ_UNCOMPRESSED } ps_pq_codec;

typedef struct ps_pq_options {
  ps_pq_codec codec;      /* default (0): zstd */
  int zstd_level;         /* 0: 3 */
  size_t row_group_bytes; /* buffered values before a row group is written; 0: 64 MiB */
  const char *created_by; /* NULL: "playstat" */
} ps_pq_options;

/* One value of a row. For a REQUIRED column is_null must be 0. Strings: s/len (not
 * NUL-terminated; must be valid UTF-8, which the writer does not check). */
typedef struct ps_pq_value {
  int is_null;
  int64_t i; /* INT64, TIMESTAMP_MS, BOOLEAN (0 or 1) */
  double d;  /* DOUBLE */
  const char *s;
  size_t len;
} ps_pq_value;

/* Receives the file's bytes in order; returns 0, or an error code that the writer returns. */
typedef int (*ps_pq_sink)(const void *data, size_t len, void *ctx);

typedef struct ps_pq_writer ps_pq_writer;

/* Starts a file with these columns (copied). PS_EINVAL: no column, a duplicate or empty name. */
int ps_pq_open(const ps_pq_column *columns, size_t ncolumns, const ps_pq_options *options,
               ps_pq_sink sink, void *ctx, ps_pq_writer **out);
/* Appends one row: values[i] for columns[i]. PS_EINVAL: a null in a REQUIRED column. */
int ps_pq_write_row(ps_pq_writer *w, const ps_pq_value *values);
/* Writes what is buffered and the footer, then frees w (whatever it returns). */
int ps_pq_close(ps_pq_writer *w, int64_t *rows_written);
/* Frees w without finishing the file. */
void ps_pq_abort(ps_pq_writer *w);

#endif
