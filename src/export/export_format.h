/*
 * export_format.h: the two file formats of a raw export, behind one writer: Parquet (typed
 * columns, zstd; export/parquet.h) and NDJSON.gz (one JSON object per row with the same
 * columns: strings as JSON strings, numbers as numbers, booleans, timestamps as RFC 3339 UTC
 * text with milliseconds; a null is left out (a reader takes an absent member for null, and
 * an event fills about a quarter of the columns); gzip, RFC 1952). Either writes its bytes, as they
 * come, into a target object (export/target.h); the caller commits it.
 *
 * Guarantee: the same rows give the same bytes (no time or random value is written), so
 * exporting a period again yields an identical object.
 */
#ifndef PS_EXPORT_EXPORT_FORMAT_H
#define PS_EXPORT_EXPORT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "export/parquet.h"
#include "export/target.h"

typedef enum { PS_EXPORT_PARQUET, PS_EXPORT_NDJSON_GZ, PS_EXPORT_NFORMATS } ps_export_format;

/* "parquet", "ndjson.gz"; -1 from _from_name for another name. */
const char *ps_export_format_name(ps_export_format format);
int ps_export_format_from_name(const char *name);
/* The object's extension (".parquet", ".ndjson.gz") and content type. */
const char *ps_export_format_extension(ps_export_format format);
const char *ps_export_format_content_type(ps_export_format format);

typedef struct ps_export_writer ps_export_writer;

int ps_export_writer_open(ps_export_format format, const ps_pq_column *columns,
                          size_t ncolumns, ps_target_object *object, ps_export_writer **out);
int ps_export_writer_row(ps_export_writer *w, const ps_pq_value *values);
/* Writes the end of the file into the object (not committed) and frees w whatever happens. */
int ps_export_writer_close(ps_export_writer *w, int64_t *rows);
void ps_export_writer_abort(ps_export_writer *w);

#endif
