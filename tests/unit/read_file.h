/* read_file.h: a whole file into memory, for the unit tests that read corpora
 * (tests/unit/test_ga_facts.c, test_json_doc_diff.c). */
#ifndef PS_TESTS_READ_FILE_H
#define PS_TESTS_READ_FILE_H

#include <stdio.h>
#include <stdlib.h>

/* The file's bytes (malloc'd, NUL-terminated; the caller frees) and their count in *len, or
 * NULL when it cannot be read. */
static inline char *ps_test_read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
  if (buf && fread(buf, 1, (size_t)size, f) != (size_t)size) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) buf[size] = '\0';
  *len = size >= 0 ? (size_t)size : 0;
  return buf;
}

#endif
