/*
 * parquet_sample.c: writes a Parquet file with src/export/parquet.c from a JSON description on
 * stdin, for the integration tests that read it back with independent readers
 * (tests/integration/parquet_readers.test.js).
 *
 *   parquet_sample OUT.parquet [--codec zstd|none] [--row-group-bytes N] [--zstd-level N]
 *   stdin: {"columns": [{"name": "a", "type": "int64", "optional": true}, ...],
 *           "rows": [[value, ...], ...]}
 *
 * Types: int64, double, boolean, string, timestamp_ms. Values: null; int64 and timestamp_ms as
 * a decimal string (JSON numbers lose precision past 2^53 in JavaScript) or an integer;
 * double as a number or a string strtod() reads exactly (a decimal, "NaN", "Infinity",
 * "-Infinity", "-0": JSON has no NaN, and JavaScript writes large integers JSON numbers that
 * jansson refuses); boolean as true/false;
 * string as a JSON string (may hold U+0000). On success prints {"rows": N} and exits 0; on a
 * writer error prints the error on stderr and exits 2 (bad usage or input: 1).
 */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/errors.h"
#include "export/parquet.h"

static int file_sink(const void *data, size_t len, void *ctx) {
  return fwrite(data, 1, len, (FILE *)ctx) == len ? 0 : PS_EIO;
}

static int parse_type(const char *name, ps_pq_type *out) {
  static const struct {
    const char *name;
    ps_pq_type type;
  } types[] = {{"int64", PS_PQ_INT64},     {"double", PS_PQ_DOUBLE},
               {"boolean", PS_PQ_BOOLEAN}, {"string", PS_PQ_STRING},
               {"timestamp_ms", PS_PQ_TIMESTAMP_MS}};
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strcmp(name, types[i].name) == 0) return *out = types[i].type, 0;
  return -1;
}

static int parse_int64(const json_t *j, int64_t *out) {
  if (json_is_integer(j)) return *out = json_integer_value(j), 0;
  if (!json_is_string(j)) return -1;
  const char *s = json_string_value(j);
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (errno || end == s || *end) return -1;
  *out = v;
  return 0;
}

static int parse_double(const json_t *j, double *out) {
  if (json_is_number(j)) return *out = json_number_value(j), 0;
  if (!json_is_string(j)) return -1;
  const char *s = json_string_value(j);
  char *end;
  *out = strtod(s, &end); /* also "NaN", "Infinity", "-Infinity", "-0" */
  return end == s || *end ? -1 : 0;
}

static int parse_value(const json_t *j, const ps_pq_column *c, ps_pq_value *v) {
  memset(v, 0, sizeof *v);
  if (json_is_null(j)) return v->is_null = 1, 0;
  switch (c->type) {
    case PS_PQ_INT64:
    case PS_PQ_TIMESTAMP_MS: return parse_int64(j, &v->i);
    case PS_PQ_DOUBLE: return parse_double(j, &v->d);
    case PS_PQ_BOOLEAN:
      if (!json_is_boolean(j)) return -1;
      v->i = json_is_true(j);
      return 0;
    case PS_PQ_STRING:
      if (!json_is_string(j)) return -1;
      v->s = json_string_value(j);
      v->len = json_string_length(j);
      return 0;
  }
  return -1;
}

static int usage(void) {
  fprintf(stderr, "usage: parquet_sample OUT [--codec zstd|none] [--row-group-bytes N] "
                  "[--zstd-level N] < description.json\n");
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage();
  ps_pq_options options = {0};
  for (int i = 2; i < argc; i++) {
    if (i + 1 >= argc) return usage();
    const char *arg = argv[i], *value = argv[++i];
    if (strcmp(arg, "--codec") == 0 && strcmp(value, "zstd") == 0) options.codec = PS_PQ_ZSTD;
    else if (strcmp(arg, "--codec") == 0 && strcmp(value, "none") == 0)
      options.codec = PS_PQ_UNCOMPRESSED;
    else if (strcmp(arg, "--row-group-bytes") == 0) options.row_group_bytes = strtoull(value, NULL, 10);
    else if (strcmp(arg, "--zstd-level") == 0) options.zstd_level = atoi(value);
    else return usage();
  }
  json_error_t jerr;
  json_t *doc = json_loadf(stdin, JSON_ALLOW_NUL, &jerr);
  if (!doc) {
    fprintf(stderr, "parquet_sample: stdin: %s (line %d)\n", jerr.text, jerr.line);
    return 1;
  }
  const json_t *jcolumns = json_object_get(doc, "columns"), *jrows = json_object_get(doc, "rows");
  size_t ncolumns = json_array_size(jcolumns);
  ps_pq_column *columns = calloc(ncolumns ? ncolumns : 1, sizeof *columns);
  ps_pq_value *values = calloc(ncolumns ? ncolumns : 1, sizeof *values);
  int status = 1;
  ps_pq_writer *w = NULL;
  FILE *out = NULL;
  if (!columns || !values || !json_is_array(jrows)) goto done;
  for (size_t i = 0; i < ncolumns; i++) {
    const json_t *jc = json_array_get(jcolumns, i);
    const char *type = json_string_value(json_object_get(jc, "type"));
    columns[i].name = json_string_value(json_object_get(jc, "name"));
    columns[i].optional = json_is_true(json_object_get(jc, "optional"));
    if (!type || parse_type(type, &columns[i].type) != 0) {
      fprintf(stderr, "parquet_sample: column %zu: bad type\n", i);
      goto done;
    }
  }
  out = fopen(argv[1], "wb");
  if (!out) {
    perror(argv[1]);
    goto done;
  }
  int rc = ps_pq_open(columns, ncolumns, &options, file_sink, out, &w);
  if (rc != PS_OK) {
    fprintf(stderr, "parquet_sample: open: %s\n", ps_strerror(rc));
    status = 2;
    goto done;
  }
  for (size_t r = 0; r < json_array_size(jrows); r++) {
    const json_t *jrow = json_array_get(jrows, r);
    if (json_array_size(jrow) != ncolumns) {
      fprintf(stderr, "parquet_sample: row %zu: %zu values for %zu columns\n", r,
              json_array_size(jrow), ncolumns);
      goto done;
    }
    for (size_t i = 0; i < ncolumns; i++) {
      if (parse_value(json_array_get(jrow, i), &columns[i], &values[i]) != 0) {
        fprintf(stderr, "parquet_sample: row %zu column %zu: bad value\n", r, i);
        goto done;
      }
    }
    if ((rc = ps_pq_write_row(w, values)) != PS_OK) {
      fprintf(stderr, "parquet_sample: row %zu: %s\n", r, ps_strerror(rc));
      status = 2;
      goto done;
    }
  }
  int64_t rows = 0;
  rc = ps_pq_close(w, &rows);
  w = NULL;
  if (rc != PS_OK) {
    fprintf(stderr, "parquet_sample: close: %s\n", ps_strerror(rc));
    status = 2;
    goto done;
  }
  if (fclose(out) != 0) {
    out = NULL;
    perror(argv[1]);
    goto done;
  }
  out = NULL;
  printf("{\"rows\": %" PRId64 "}\n", rows);
  status = 0;
done:
  ps_pq_abort(w);
  if (out) fclose(out);
  free(columns);
  free(values);
  json_decref(doc);
  return status;
}
