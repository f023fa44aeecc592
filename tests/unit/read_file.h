/* read_file.h: a whole file into memory, and every file of a corpus folder, for the unit tests
 * that read corpora (tests/unit/test_ga_facts.c, test_json_doc_diff.c). */
#ifndef PS_TESTS_READ_FILE_H
#define PS_TESTS_READ_FILE_H

#include <dirent.h>
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

/* Calls visit(name, text, len, ctx) with every readable file of $PLAYSTAT_SOURCE_DIR/fuzz/
 * corpus/<corpus> (hidden files skipped). Returns the number of files visited, or -1 when the
 * folder cannot be opened. */
static inline long ps_test_each_corpus_file(const char *corpus,
                                            void (*visit)(const char *name, const char *text,
                                                          size_t len, void *ctx),
                                            void *ctx) {
  const char *root = getenv("PLAYSTAT_SOURCE_DIR");
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/fuzz/corpus/%s", root ? root : ".", corpus);
  DIR *d = opendir(dir);
  if (!d) return -1;
  long files = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char path[2048];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    char *text = ps_test_read_file(path, &len);
    if (!text) continue;
    files++;
    visit(e->d_name, text, len, ctx);
    free(text);
  }
  closedir(d);
  return files;
}

#endif
