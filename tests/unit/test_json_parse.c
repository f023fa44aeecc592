/* test_json_parse.c: the OOM-safe JSON reader (src/common/json_parse.h) against jansson's own on
 * the same inputs: crafted edge cases, every schema in schemas/ and every input of the fuzz
 * corpora (fuzz/corpus/events: request bodies, many malformed; fuzz/corpus/json). Both must
 * refuse the same texts and build equal values from the others (but for texts with a NUL byte,
 * which jansson sometimes takes for the end); duplicates are refused when asked. */
#include <dirent.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/json_parse.h"

/* Parses text both ways; fails the test with the text when they disagree. */
static void agree(const char *what, const char *text, size_t len) {
  json_error_t jerr;
  json_t *theirs = json_loadb(text, len, JSON_DECODE_ANY, &jerr);
  json_t *ours = NULL;
  char why[160];
  int rc = ps_json_parse(text, len, 0, &ours, why, sizeof why);
  int same = theirs ? rc == PS_OK && json_equal(theirs, ours) : rc == PS_EINVAL && !ours;
  /* jansson takes a NUL byte for the end of its input in places ("1\0", even "[null,null\0"
   * is accepted); a NUL byte is never valid JSON, and this reader refuses it everywhere */
  if (theirs && rc == PS_EINVAL && memchr(text, 0, len)) same = 1;
  if (!same) {
    fprintf(stderr, "%s: jansson %s (%s), ours %d (%s): %.*s\n", what, theirs ? "accepts" : "refuses",
            theirs ? "" : jerr.text, rc, why, (int)(len > 300 ? 300 : len), text);
  }
  json_decref(theirs);
  json_decref(ours);
  assert_true(same);
}

static void edge_cases_agree_with_jansson(void **state) {
  (void)state;
  static const char *const cases[] = {
      "{}", "[]", " [ 1 , 2 ] ", "0", "-0", "1.5", "-1.5e3", "1E+2", "1e-400", "123456789012345678",
      "9223372036854775807", "-9223372036854775808", "9223372036854775808", "1e400", "01", "1.",
      ".5", "-", "+1", "1e", "true", "false", "null", "tru", "nul", "\"\"", "\"a\\\"b\\\\c\\/d\"",
      "\"\\b\\f\\n\\r\\t\"", "\"\\u00e9\\u4e2d\"", "\"\\ud83d\\ude00\"", "\"\\ud83d\"", "\"\\ude00\"",
      "\"\\u0000\"", "\"\\x\"", "\"\\u12\"", "\"caf\xc3\xa9\"", "\"\xc3\"", "\"\xc0\xaf\"",
      "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"tab\there\"", "\"unterminated", "[1,]", "[,1]",
      "{\"a\":1,}", "{\"a\" 1}", "{1:2}", "{\"a\":1,\"a\":2}", "[1] [2]", "[1] x", "", "   ",
      "{\"k\":{\"n\":[true,false,null,{\"d\":-0.25}]}}", "[[[[[[[[[[]]]]]]]]]]",
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) agree("case", cases[i], strlen(cases[i]));
  agree("embedded NUL", "[1]\0", 4);
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  char *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      char *grown = realloc(buf, cap *= 2);
      if (!grown) free(buf);
      buf = grown;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

/* Every regular file of dir agrees; returns how many were read. */
static size_t agree_on_directory(const char *dir) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  size_t files = 0;
  struct dirent *e;
  char path[1024];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len;
    char *text = read_all(path, &len);
    if (!text) continue;
    agree(path, text, len);
    free(text);
    files++;
  }
  closedir(d);
  return files;
}

static void schemas_and_fuzz_corpus_agree_with_jansson(void **state) {
  (void)state;
  const char *root = getenv("PLAYSTAT_SOURCE_DIR");
  assert_non_null(root);
  char dir[1024];
  snprintf(dir, sizeof dir, "%s/schemas", root);
  assert_true(agree_on_directory(dir) >= 13);
  snprintf(dir, sizeof dir, "%s/fuzz/corpus/events", root);
  assert_true(agree_on_directory(dir) >= 100);
  snprintf(dir, sizeof dir, "%s/fuzz/corpus/json", root);
  assert_true(agree_on_directory(dir) >= 100);
}

static void duplicates_are_refused_when_asked(void **state) {
  (void)state;
  json_t *v = NULL;
  char why[160];
  const char *text = "{\"a\":1,\"b\":{\"a\":2},\"a\":3}";
  assert_int_equal(ps_json_parse(text, strlen(text), 1, &v, why, sizeof why), PS_EINVAL);
  assert_null(v);
  assert_non_null(strstr(why, "duplicate object key \"a\""));
  assert_int_equal(ps_json_parse(text, strlen(text), 0, &v, why, sizeof why), PS_OK);
  assert_int_equal(json_integer_value(json_object_get(v, "a")), 3); /* the last one, as jansson */
  json_decref(v);
}

static void nesting_is_bounded(void **state) {
  (void)state;
  size_t depth = PS_JSON_MAX_DEPTH + 1;
  char *text = malloc(2 * depth);
  assert_non_null(text);
  memset(text, '[', depth);
  memset(text + depth, ']', depth);
  json_t *v = NULL;
  char why[160];
  assert_int_equal(ps_json_parse(text, 2 * depth, 0, &v, why, sizeof why), PS_EINVAL);
  assert_non_null(strstr(why, "nested too deeply"));
  assert_int_equal(ps_json_parse(text + 1, 2 * depth - 2, 0, &v, why, sizeof why), PS_OK);
  json_decref(v);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(edge_cases_agree_with_jansson),
      cmocka_unit_test(schemas_and_fuzz_corpus_agree_with_jansson),
      cmocka_unit_test(duplicates_are_refused_when_asked),
      cmocka_unit_test(nesting_is_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
