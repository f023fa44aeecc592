/* test_json_doc_diff.c: the collector's JSON reader (src/common/json_doc.h) against
 * json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL), what the collector used before, on the same
 * texts: every request body of fuzz/corpus/events and every element of those that are arrays,
 * generated edge cases (numbers at the limits of json_int_t and double, escapes and surrogates,
 * invalid UTF-8, duplicate keys in small and large objects, nesting at jansson's limit), and
 * byte-level mutations of each corpus element. Both must refuse the same texts and read the
 * same values from the others: types (integer or real), numbers, strings byte for byte, object
 * members in jansson's order with the last value of a duplicated key. One deliberate
 * difference: jansson takes a raw NUL byte for the end of its input in places ("1\0", even
 * "[null,null\0"); a NUL byte outside a string is never JSON, and json_doc refuses it. */
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
#include "common/json_doc.h"
#include "ingest/ga/batch.h"
#include "json_doc_same.h"
#include "read_file.h"
#include "xorshift.h"

static size_t compared, accepted;

/* Parses text both ways; fails the test with the text when they disagree. */
static void agree(ps_json_doc *doc, const char *what, const char *text, size_t len) {
  json_error_t jerr;
  json_t *theirs = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
  char why[160];
  int rc = ps_json_doc_parse(doc, text, len, why, sizeof why);
  int ok = theirs ? rc == PS_OK && ps_json_doc_same(doc, 0, theirs) : rc == PS_EINVAL;
  if (theirs && rc == PS_EINVAL && memchr(text, 0, len)) ok = 1; /* see the file comment */
  if (!ok)
    fprintf(stderr, "%s: jansson %s (%s), json_doc %d (%s): %.*s\n", what,
            theirs ? "accepts" : "refuses", theirs ? "" : jerr.text, rc, rc ? why : "",
            (int)(len > 300 ? 300 : len), text);
  compared++;
  accepted += rc == PS_OK;
  json_decref(theirs);
  assert_true(ok);
}

static void agree_str(ps_json_doc *doc, const char *text) {
  agree(doc, "case", text, strlen(text));
}

static void edge_cases(void **state) {
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  static const char *const cases[] = {
      /* numbers */
      "0", "-0", "1", "-1", "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "1E+2", "1e-2",
      "0e0", "-0.0", "0.0", "1.5e308", "1e309", "-1e309", "1e-400", "-1e-400", "4.9e-324",
      "9223372036854775807", "9223372036854775808", "-9223372036854775808",
      "-9223372036854775809", "99999999999999999999999", "123456789012345678.0",
      "1.7976931348623157e308", "1.7976931348623159e308", "0.1", "2.0", "1e2", "[1,2.5,-3e1]",
      "12345678901234567890123456789012345678901234567890123456789012345678901234567890.5",
      "1x", "[1x]", "[-]", "[1,]", "[,1]", "1 2", "--1", "0x10", "Infinity", "NaN", "-Infinity",
      /* literals and blanks */
      "true", "false", "null", "tru", "nul", "truex", "True", "NULL", " \t\r\n null \n",
      "\v1", "\f1", "", " ", "[", "]", "{", "}", "[]", "{}", "[[]]", "[{}]", "{\"a\":[]}",
      /* strings */
      "\"\"", "\"abc\"", "\"a\\\"b\"", "\"\\\\\"", "\"\\/\"", "\"\\b\\f\\n\\r\\t\"", "\"\\a\"",
      "\"\\x41\"", "\"\\u0041\"", "\"\\u00e9\"", "\"\\u20AC\"", "\"\\uD83D\\uDE00\"",
      "\"\\ud83d\\ude00\"", "\"\\uD83D\"", "\"\\uDE00\"", "\"\\uD83D\\u0041\"", "\"\\uD83Dx\"",
      "\"\\uDE00\\uD83D\"", "\"\\u0000\"", "\"a\\u0000b\"", "\"\\u00\"", "\"\\u00G0\"", "\"\\",
      "\"abc", "\"a\tb\"", "\"a\nb\"", "\"\x1f\"", "\"\x7f\"", "\"\xc3\xa9\"", "\"\xc3\"",
      "\"\xc0\x80\"", "\"\xc1\xbf\"", "\"\xe0\x80\x80\"", "\"\xed\xa0\x80\"", "\"\xef\xbf\xbf\"",
      "\"\xf0\x9f\x98\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xf5\x80\x80\x80\"", "\"\xff\"",
      "\"\x80\"", "\"\xe2\x82\"", "\"\xe2\x82\xac\"",
      /* objects and keys */
      "{\"a\":1}", "{\"a\" : 1 , \"b\":2}", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}",
      "{a:1}", "{'a':1}", "{\"a\":1 \"b\":2}", "{1:2}", "{\"\":0}", "{\"\\u0000\":1}",
      "{\"a\\u0000b\":1}", "{\"\\u0061\":1,\"a\":2}", "{\"a\":1,\"a\":2}",
      "{\"a\":1,\"b\":2,\"a\":3}", "{\"a\":{\"x\":1},\"a\":[2]}", "{\"b\":1,\"a\":2,\"b\":3,\"a\":4}",
      "{\"\\uD83D\\uDE00\":1,\"\xf0\x9f\x98\x80\":2}", "[{\"a\":1,\"a\":1}, {\"a\":2}]",
      "{\"category\":\"design\",\"category\":7}",
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) agree_str(&doc, cases[i]);
  /* NUL bytes as bytes: in a string (refused by both), and at the end (jansson's quirk) */
  agree(&doc, "nul in string", "\"a\0b\"", 5);
  agree(&doc, "nul after value", "1\0", 2);
  agree(&doc, "nul in array", "[1,\0]", 5);

  /* duplicate keys in large objects (json_doc's hash path) */
  char big[8192];
  for (int dup = 0; dup < 3; dup++) {
    size_t n = 0;
    n += (size_t)snprintf(big + n, sizeof big - n, "{");
    for (int i = 0; i < 200; i++)
      n += (size_t)snprintf(big + n, sizeof big - n, "%s\"k%d\":%d", i ? "," : "",
                            dup ? i % (dup == 1 ? 37 : 3) : i, i);
    n += (size_t)snprintf(big + n, sizeof big - n, "}");
    agree(&doc, "large object", big, n);
  }
  /* nesting at jansson's limit: 2048 values deep is fine, 2049 is not */
  static char deep[2 * 2050 + 8];
  for (int depth = 2046; depth <= 2050; depth++) {
    for (int scalar = 0; scalar < 2; scalar++) {
      size_t n = 0;
      int arrays = scalar ? depth - 1 : depth;
      for (int i = 0; i < arrays; i++) deep[n++] = '[';
      if (scalar) deep[n++] = '7';
      for (int i = 0; i < arrays; i++) deep[n++] = ']';
      agree(&doc, "deep", deep, n);
    }
  }
  ps_json_doc_free(&doc);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_random(void) {
  return (uint32_t)xorshift64(&rng);
}

/* Mutations of one element: a byte replaced by one of the JSON's special bytes, a byte cut. */
static void mutate(ps_json_doc *doc, const char *text, size_t len) {
  static const char specials[] = "\"\\{}[],:0-.eE\x80\xff\x00 tu";
  char *copy = malloc(len + 1);
  assert_non_null(copy);
  for (int m = 0; m < 24 && len; m++) {
    memcpy(copy, text, len);
    size_t at = next_random() % len, n = len;
    if (m % 4 == 3) {
      memmove(copy + at, copy + at + 1, len - at - 1);
      n--;
    } else {
      copy[at] = specials[next_random() % (sizeof specials - 1)];
    }
    agree(doc, "mutation", copy, n);
  }
  free(copy);
}

static size_t corpus_elements;

/* One corpus file: the whole text, each element of its array, and mutations of the first 8. */
static void agree_file(const char *name, const char *text, size_t len, void *ctx) {
  ps_json_doc *doc = ctx;
  agree(doc, name, text, len);
  ps_json_slice *slices = NULL;
  size_t count = 0;
  if (ps_json_array_split(text, len, 0, &slices, &count) == PS_OK) {
    for (size_t i = 0; i < count; i++) {
      agree(doc, name, slices[i].text, slices[i].len);
      if (i < 8) mutate(doc, slices[i].text, slices[i].len);
      corpus_elements++;
    }
  }
  free(slices);
}

static void events_corpus(void **state) {
  ps_json_doc doc;
  ps_json_doc_init(&doc, PS_JSON_DOC_ALLOW_NUL);
  long files = ps_test_each_corpus_file("events", agree_file, &doc);
  ps_json_doc_free(&doc);
  fprintf(stderr, "corpus: %ld files, %zu elements; %zu texts compared, %zu accepted\n", files,
          corpus_elements, compared, accepted);
  assert_true(files > 100);
  assert_true(corpus_elements > 100);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(edge_cases),
      cmocka_unit_test(events_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
