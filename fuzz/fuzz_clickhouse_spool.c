/*
 * fuzz_clickhouse_spool.c: libFuzzer target for what the ClickHouse event store reads that it
 * did not just write itself (store/clickhouse/): a spool segment left on disk (recovery after
 * a crash), ClickHouse's TabSeparated answers, and the store URL.
 * - The input as a segment file: opening the spool must not crash, must count as pending at
 *   most the input's bytes, and must cut the file to a run of whole frames (what it counts).
 * - The input as an answer: every row's fields are read within the buffer; and the input as
 *   one field, escaped with ps_ch_tsv_field, reads back as itself.
 * - The input as a URL: parsed or refused with a reason; when parsed, the database and
 *   cluster are identifiers (they go into SQL unquoted).
 * Run: CC=clang cmake -S . -B build-fuzz -DPLAYSTAT_FUZZ=ON && cmake --build build-fuzz
 *      --target fuzz_clickhouse_spool && build-fuzz/fuzz/fuzz_clickhouse_spool fuzz/corpus/clickhouse_spool
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/errors.h"
#include "common/log.h"
#include "store/clickhouse/internal.h"

static char dir[64];

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "fuzz_clickhouse_spool: %s\n", what);
    abort();
  }
}

static int identifier(const char *s) {
  if (!*s) return 1; /* "": no cluster */
  if (*s >= '0' && *s <= '9') return 0;
  for (; *s; s++)
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
          *s == '_'))
      return 0;
  return 1;
}

static void segment(const uint8_t *data, size_t size) {
  char path[128];
  snprintf(path, sizeof path, "%s/0000000000000001.seg", dir);
  FILE *f = fopen(path, "w");
  check(f != NULL, "cannot write the segment");
  fwrite(data, 1, size, f);
  fclose(f);
  ps_ch_spool *sp = NULL;
  int rc = ps_ch_spool_open(dir, 1 << 30, &sp);
  check(rc == PS_OK, "a damaged segment must not stop the spool from opening");
  int64_t pending = ps_ch_spool_pending(sp);
  check(pending >= 0 && pending <= (int64_t)size, "pending beyond the input");
  ps_ch_spool_close(sp);
  struct stat st;
  check(stat(path, &st) == 0, "the segment is gone");
  check(st.st_size == pending, "the segment is not cut to the frames it counts");
  /* clean up for the next input: every segment and the mark */
  for (int i = 1; i <= 3; i++) {
    snprintf(path, sizeof path, "%s/%016x.seg", dir, i);
    unlink(path);
  }
  snprintf(path, sizeof path, "%s/shipped", dir);
  unlink(path);
}

static void answer(const uint8_t *data, size_t size) {
  ps_buf b = {0};
  if (ps_buf_append(&b, data, size) != PS_OK) return;
  ps_ch_rows rows;
  ps_ch_rows_init(&rows, &b);
  while (ps_ch_rows_next(&rows))
    for (size_t i = 0; i < rows.nfields; i++) {
      check(rows.fields[i] >= b.data && rows.fields[i] + rows.lens[i] <= b.data + b.len,
            "a field outside the answer");
      (void)ps_ch_field_int(&rows, i);
    }
  /* one field: escaped, it reads back as itself (bytes other than the separators) */
  ps_buf field = {0};
  if (ps_ch_tsv_field(&field, (const char *)data, size) == PS_OK) {
    check(memchr(field.data ? field.data : "", '\t', field.len) == NULL, "a tab survived escaping");
    check(memchr(field.data ? field.data : "", '\n', field.len) == NULL, "a newline survived escaping");
    ps_ch_rows one;
    ps_ch_rows_init(&one, &field);
    if (size) {
      check(ps_ch_rows_next(&one) && one.nfields == 1, "one field reads as one field");
      check(one.lens[0] == size && memcmp(one.fields[0], data, size) == 0,
            "an escaped field reads back as itself");
    }
  }
  ps_buf_free(&field);
  ps_buf_free(&b);
}

static void url(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return;
  memcpy(text, data, size);
  text[size] = '\0';
  ps_ch_config c;
  const char *why = NULL;
  int rc = ps_ch_config_parse(text, &c, &why);
  if (rc == PS_OK) {
    check(identifier(c.database) && c.database[0], "a database that is not an identifier");
    check(identifier(c.cluster), "a cluster that is not an identifier");
    check(c.nservers >= 1 && c.nservers <= PS_CH_MAX_SHARDS, "server count");
  } else {
    check(rc == PS_EINVAL && why != NULL, "a refusal without a reason");
  }
  free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 65536) return 0;
  if (!dir[0]) {
    ps_log_set_level((ps_log_level)(PS_LOG_ERROR + 1)); /* quiet: recovery logs what it cuts */
    snprintf(dir, sizeof dir, "/tmp/fuzz-spool-XXXXXX");
    check(mkdtemp(dir) != NULL, "mkdtemp");
  }
  segment(data, size);
  answer(data, size);
  url(data, size);
  return 0;
}
