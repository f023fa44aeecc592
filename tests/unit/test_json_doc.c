/* test_json_doc.c: the collector's JSON reader (src/common/json_doc.h) through its accessors:
 * the node layout (siblings, sizes), member lookup and iteration with duplicate keys, strings
 * kept as slices or decoded, integers and reals, the value limit, errors with positions, and a
 * document reused without growing. test_json_doc_diff.c compares it with jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/errors.h"
#include "common/json_doc.h"

static int parse(ps_json_doc *d, const char *text) {
  char err[128];
  return ps_json_doc_parse(d, text, strlen(text), err, sizeof err);
}

static void string_is(const ps_json_doc *d, ps_json_ref v, const char *want, size_t wantlen) {
  size_t len = 99;
  const char *s = ps_json_string(d, v, &len);
  assert_non_null(s);
  assert_int_equal(len, wantlen);
  assert_memory_equal(s, want, len);
}

static void layout_and_values(void **state) {
  ps_json_doc d;
  ps_json_doc_init(&d, 0);
  const char *text = " {\"a\": [1, 2.0, -3e2, true, null], \"b\": {\"c\": \"x\"}, \"d\": false} ";
  assert_int_equal(parse(&d, text), PS_OK);
  assert_int_equal(ps_json_type_of(&d, 0), PS_JSON_OBJECT);
  assert_int_equal(ps_json_size(&d, 0), 3);
  ps_json_ref a = ps_json_get(&d, 0, "a");
  assert_int_equal(ps_json_type_of(&d, a), PS_JSON_ARRAY);
  assert_int_equal(ps_json_size(&d, a), 5);
  ps_json_ref x = ps_json_first(&d, a);
  assert_int_equal(ps_json_type_of(&d, x), PS_JSON_INTEGER);
  assert_int_equal(ps_json_integer(&d, x), 1);
  x = ps_json_next(&d, a, x);
  assert_int_equal(ps_json_type_of(&d, x), PS_JSON_REAL);
  assert_true(ps_json_number(&d, x) == 2.0);
  assert_int_equal(ps_json_integer(&d, x), 0); /* json_integer_value of a real */
  x = ps_json_next(&d, a, x);
  assert_true(ps_json_number(&d, x) == -300.0);
  x = ps_json_next(&d, a, x);
  assert_int_equal(ps_json_type_of(&d, x), PS_JSON_TRUE);
  x = ps_json_next(&d, a, x);
  assert_int_equal(ps_json_type_of(&d, x), PS_JSON_NULL);
  assert_int_equal(ps_json_next(&d, a, x), PS_JSON_NONE);
  ps_json_ref b = ps_json_get(&d, 0, "b");
  string_is(&d, ps_json_get(&d, b, "c"), "x", 1);
  assert_int_equal(ps_json_get(&d, b, "a"), PS_JSON_NONE); /* not the outer member */
  assert_int_equal(ps_json_type_of(&d, ps_json_get(&d, 0, "d")), PS_JSON_FALSE);
  assert_int_equal(ps_json_get(&d, 0, "c"), PS_JSON_NONE);
  assert_int_equal(ps_json_get(&d, a, "a"), PS_JSON_NONE); /* not an object */
  size_t len;
  assert_null(ps_json_string(&d, a, &len));
  assert_int_equal(len, 0);
  /* the empty containers */
  assert_int_equal(parse(&d, "[[],{}]"), PS_OK);
  assert_int_equal(ps_json_size(&d, 0), 2);
  ps_json_ref inner = ps_json_first(&d, 0);
  assert_int_equal(ps_json_first(&d, inner), PS_JSON_NONE);
  ps_json_ref obj = ps_json_next(&d, 0, inner);
  assert_int_equal(ps_json_member_first(&d, obj), PS_JSON_NONE);
  ps_json_doc_free(&d);
}

/* As jansson: a duplicated key keeps its first position and its last value; size counts keys. */
static void duplicate_keys(void **state) {
  ps_json_doc d;
  ps_json_doc_init(&d, 0);
  assert_int_equal(parse(&d, "{\"b\":1,\"a\":2,\"b\":3,\"\\u0061\":4,\"c\":5}"), PS_OK);
  assert_int_equal(ps_json_size(&d, 0), 3);
  assert_int_equal(ps_json_integer(&d, ps_json_get(&d, 0, "b")), 3);
  assert_int_equal(ps_json_integer(&d, ps_json_get(&d, 0, "a")), 4);
  const char *order[] = {"b", "a", "c"};
  int64_t values[] = {3, 4, 5};
  size_t i = 0;
  for (ps_json_ref k = ps_json_member_first(&d, 0); k; k = ps_json_member_next(&d, 0, k), i++) {
    assert_true(i < 3);
    string_is(&d, k, order[i], 1);
    assert_int_equal(ps_json_integer(&d, ps_json_member_value(&d, k)), values[i]);
  }
  assert_int_equal(i, 3);
  /* a shadowed first member: iteration starts at the next distinct key */
  assert_int_equal(parse(&d, "{\"x\":1,\"x\":2}"), PS_OK);
  ps_json_ref k = ps_json_member_first(&d, 0);
  assert_int_equal(ps_json_integer(&d, ps_json_member_value(&d, k)), 2);
  assert_int_equal(ps_json_member_next(&d, 0, k), PS_JSON_NONE);
  ps_json_doc_free(&d);
}

static void strings(void **state) {
  ps_json_doc d;
  ps_json_doc_init(&d, PS_JSON_DOC_ALLOW_NUL);
  const char *text = "[\"plain\",\"a\\\"b\\\\c\\/\\n\",\"\\u00e9\\u20ac\\ud83d\\ude00\",\"n\\u0000l\"]";
  assert_int_equal(parse(&d, text), PS_OK);
  ps_json_ref s = ps_json_first(&d, 0);
  size_t len;
  const char *p = ps_json_string(&d, s, &len);
  assert_true(p > text && p < text + strlen(text)); /* a slice of the text */
  string_is(&d, s, "plain", 5);
  s = ps_json_next(&d, 0, s);
  string_is(&d, s, "a\"b\\c/\n", 7);
  s = ps_json_next(&d, 0, s);
  string_is(&d, s, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9);
  assert_int_equal(ps_json_string(&d, s, &len)[len], '\0'); /* decoded ones are terminated */
  s = ps_json_next(&d, 0, s);
  string_is(&d, s, "n\0l", 3);
  /* without ALLOW_NUL, \u0000 is refused; in a key, always */
  ps_json_doc strict;
  ps_json_doc_init(&strict, 0);
  assert_int_equal(parse(&strict, "\"n\\u0000l\""), PS_EINVAL);
  assert_int_equal(parse(&d, "{\"n\\u0000l\":1}"), PS_EINVAL);
  ps_json_doc_free(&strict);
  ps_json_doc_free(&d);
}

static void numbers(void **state) {
  ps_json_doc d;
  ps_json_doc_init(&d, 0);
  assert_int_equal(parse(&d, "[9223372036854775807,-9223372036854775808,-0,1e2,1E-2,0.5]"), PS_OK);
  ps_json_ref v = ps_json_first(&d, 0);
  assert_true(ps_json_integer(&d, v) == INT64_MAX);
  v = ps_json_next(&d, 0, v);
  assert_true(ps_json_integer(&d, v) == INT64_MIN);
  v = ps_json_next(&d, 0, v);
  assert_int_equal(ps_json_type_of(&d, v), PS_JSON_INTEGER);
  v = ps_json_next(&d, 0, v);
  assert_int_equal(ps_json_type_of(&d, v), PS_JSON_REAL);
  assert_true(ps_json_number(&d, v) == 100.0);
  assert_int_equal(parse(&d, "9223372036854775808"), PS_EINVAL);
  assert_int_equal(parse(&d, "-9223372036854775809"), PS_EINVAL);
  assert_int_equal(parse(&d, "1e400"), PS_EINVAL);
  assert_int_equal(parse(&d, "1e-400"), PS_OK); /* underflow is accepted, as jansson */
  assert_int_equal(parse(&d, "01"), PS_EINVAL);
  assert_int_equal(parse(&d, "1."), PS_EINVAL);
  ps_json_doc_free(&d);
}

static void errors_and_limits(void **state) {
  ps_json_doc d;
  ps_json_doc_init(&d, 0);
  char err[128];
  assert_int_equal(ps_json_doc_parse(&d, "{\"a\":1 \"b\":2}", 14, err, sizeof err), PS_EINVAL);
  assert_string_equal(err, "'}' expected at position 7");
  assert_int_equal(d.count, 0);
  assert_int_equal(ps_json_doc_parse(&d, "[1] x", 5, err, sizeof err), PS_EINVAL);
  assert_string_equal(err, "end of file expected at position 4");
  assert_int_equal(ps_json_doc_parse(&d, NULL, 0, err, sizeof err), PS_EINVAL);
  /* the value limit: keys count, as nodes */
  d.max_nodes = 5;
  assert_int_equal(parse(&d, "{\"a\":1,\"b\":2}"), PS_OK);
  assert_int_equal(parse(&d, "[1,2,3,4,5]"), PS_ETOOBIG);
  ps_json_doc_free(&d);
  assert_int_equal(d.max_nodes, 5); /* kept across free */
}

/* Parsing again reuses the buffers: a request pays for its largest event only. */
static void reuse_without_growth(void **state) {
  ps_json_doc d;
  ps_json_doc_init(&d, 0);
  const char *text = "{\"category\":\"design\",\"event_id\":\"a:b\\u0041\",\"value\":[1,2,3,4]}";
  assert_int_equal(parse(&d, text), PS_OK);
  ps_json_node *nodes = d.nodes;
  char *decoded = d.strings;
  size_t cap = d.cap;
  for (int i = 0; i < 100; i++) assert_int_equal(parse(&d, text), PS_OK);
  assert_ptr_equal(d.nodes, nodes);
  assert_ptr_equal(d.strings, decoded);
  assert_int_equal(d.cap, cap);
  ps_json_doc_free(&d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(layout_and_values), cmocka_unit_test(duplicate_keys),
      cmocka_unit_test(strings),           cmocka_unit_test(numbers),
      cmocka_unit_test(errors_and_limits), cmocka_unit_test(reuse_without_growth),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
